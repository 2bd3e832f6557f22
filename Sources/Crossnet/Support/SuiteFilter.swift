import Foundation

/// The `--filter` regular expression of `crossnet run`, checked when the command line is parsed
/// rather than after connecting to every host.
public enum SuiteFilter {
    /// Throws ``InputError`` when `pattern` is not a regular expression `swift test --filter`
    /// accepts (Swift `Regex` syntax), naming the problem and how to fix it.
    public static func validate(_ pattern: String) throws {
        do {
            _ = try Regex(pattern)
        } catch {
            let reason = "\(error)".split(separator: "\n").first.map(String.init) ?? "\(error)"
            throw InputError(
                "--filter '\(pattern)' is not a valid regular expression (\(reason)); "
                    + "escape special characters such as ( ) [ ] . * + ? with a backslash")
        }
    }
}
