import Foundation
import Logging

/// Runs the lab's local programs, turning failures into ``LabError``s that name the step.
struct LabShell: Sendable {
    var logger: Logger

    /// Runs `arguments`; a non-zero exit throws unless `check` is false.
    @discardableResult
    func run(
        _ step: String, _ arguments: [String], environment: [String: String] = [:],
        timeout: Duration = .seconds(30), check: Bool = true, hint: String? = nil
    ) async throws -> CommandOutput {
        logger.debug("lab: \(arguments.joined(separator: " "))")
        let output: CommandOutput
        do {
            output = try await LocalCommand.run(arguments, environment: environment, timeout: timeout)
        } catch let error as OperationError {
            throw LabError(step: step, reason: error.reason, hint: hint ?? error.hint)
        }
        if check && !output.succeeded {
            let text = (output.stderrText + output.stdoutText).trimmingCharacters(in: .whitespacesAndNewlines)
            throw LabError(
                step: step, reason: "`\(arguments.joined(separator: " "))` exited \(output.exitStatus): \(text)",
                hint: hint)
        }
        return output
    }

    /// Runs `arguments`, ignoring any failure (for teardown).
    @discardableResult
    func attempt(_ arguments: [String], timeout: Duration = .seconds(30)) async -> CommandOutput? {
        logger.debug("lab: \(arguments.joined(separator: " "))")
        return try? await LocalCommand.run(arguments, timeout: timeout)
    }
}

/// Small helpers over `/proc` used to find and stop the lab's processes.
enum LabProcesses {
    /// The NUL-separated command line of `pid`, joined by spaces; `nil` when the process is gone.
    static func commandLine(_ pid: Int32) -> String? {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"), !data.isEmpty else {
            return nil
        }
        return String(decoding: data.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
            .trimmingCharacters(in: .whitespaces)
    }

    /// `true` when `pid` runs the program at `executable` (checked through `/proc/PID/exe`, never
    /// the command line).
    static func isAlive(_ pid: Int32?, executable: String) -> Bool {
        guard let pid else { return false }
        return runs(pid, executable: executable)
    }

    static func isZombie(_ pid: Int32) -> Bool {
        guard let fields = statFields(pid) else { return true }
        return fields.first == "Z" || fields.first == "X"
    }

    /// Parent pid of `pid`.
    static func parent(_ pid: Int32) -> Int32? {
        guard let stat = readWhole("/proc/\(pid)/stat"),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        let rest = stat[stat.index(after: close)...].split(separator: " ")
        return rest.count > 1 ? Int32(rest[1]) : nil
    }

    /// All pids currently in `/proc`.
    static func all() -> [Int32] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { Int32($0) }
    }

    /// The network namespace identity (`net:[4026…]`) of `pid`.
    static func netNamespace(_ pid: Int32) -> String? {
        try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/ns/net")
    }

    /// This process and its ancestors, never to be killed.
    static func selfAndAncestors() -> Set<Int32> {
        var result: Set<Int32> = []
        var pid: Int32? = getpid()
        while let current = pid, current > 0, !result.contains(current) {
            result.insert(current)
            pid = parent(current)
        }
        return result
    }

    /// The whole text of a file, read until end of file (proc files report size 0, and a
    /// size-based read may return only part of them).
    static func readWhole(_ path: String) -> String? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        guard let data = try? handle.readToEnd() else { return nil }
        return String(decoding: data ?? Data(), as: UTF8.self)
    }

    /// Reads a pid file; `nil` when missing or malformed.
    static func readPidFile(_ path: String) -> Int32? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        return Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
