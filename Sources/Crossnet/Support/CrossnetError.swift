/// An error a person can act on: it says what failed, where, and what to do.
///
/// The CLI maps ``isInputError`` to exit code 2 (bad input, nothing was started) and everything
/// else to exit code 1.
public protocol CrossnetError: Error, CustomStringConvertible, Sendable {
    /// `true` when the error comes from the user's input (inventory, flags, files) rather than the
    /// lab or the network.
    var isInputError: Bool { get }
}

extension CrossnetError {
    public var isInputError: Bool { false }
}

/// Bad input from the user: a file, flag or value that must be fixed before anything runs.
public struct InputError: CrossnetError, Equatable {
    /// The file the problem is in, when there is one.
    public var file: String?
    /// 1-based line in `file`, when known.
    public var line: Int?
    /// 1-based column in `file`, when known.
    public var column: Int?
    /// What is wrong and how to fix it.
    public var message: String

    public init(file: String? = nil, line: Int? = nil, column: Int? = nil, _ message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    public var isInputError: Bool { true }

    public var description: String {
        var location = ""
        if let file {
            location = file
            if let line {
                location += ":\(line)"
                if let column { location += ":\(column)" }
            }
            location += ": "
        }
        return Redaction.text(location + message)
    }
}

/// A failure of a step on a host: names the host, the operation and what to do next.
public struct OperationError: CrossnetError {
    /// The host the operation ran against (`local` for this machine).
    public var host: String
    /// The operation, e.g. `exec "docker version"` or `POST /swarm/init`.
    public var operation: String
    /// What happened.
    public var reason: String
    /// What the user can do about it.
    public var hint: String?

    public init(host: String, operation: String, reason: String, hint: String? = nil) {
        self.host = host
        self.operation = operation
        self.reason = reason
        self.hint = hint
    }

    public var description: String {
        var text = "\(host): \(operation) failed: \(reason)"
        if let hint { text += " — \(hint)" }
        return Redaction.text(text)
    }
}
