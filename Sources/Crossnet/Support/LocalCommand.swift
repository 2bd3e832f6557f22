import Foundation

/// Runs programs on this machine, with a deadline, returning their output and exit status.
///
/// Used by the virtual lab (which drives `ip`, `nsenter`, `iptables`, `sshd`, `dockerd`) and by
/// tooling that must run locally. Blocking waits happen on a thread of their own, never on Swift's
/// cooperative pool.
public enum LocalCommand {
    /// Runs `arguments[0]` (looked up in `PATH`) with the remaining arguments.
    ///
    /// - Parameters:
    ///   - arguments: program and arguments; no shell is involved.
    ///   - stdin: bytes to feed on standard input, if any.
    ///   - environment: extra variables added to this process's environment.
    ///   - timeout: deadline; the process is killed (SIGKILL) when it passes.
    /// - Returns: the output; a non-zero exit is returned, not thrown.
    /// - Throws: ``OperationError`` when the program cannot be started or the deadline passes.
    public static func run(
        _ arguments: [String],
        stdin: Data? = nil,
        environment: [String: String] = [:],
        timeout: Duration = .seconds(60)
    ) async throws -> CommandOutput {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                continuation.resume(with: Result {
                    try runBlocking(arguments, stdin: stdin, environment: environment, timeout: timeout)
                })
            }
            thread.name = "crossnet.local-command"
            thread.start()
        }
    }

    /// Blocking variant of ``run(_:stdin:environment:timeout:)``; call only from a thread you own.
    public static func runBlocking(
        _ arguments: [String],
        stdin: Data? = nil,
        environment: [String: String] = [:],
        timeout: Duration = .seconds(60)
    ) throws -> CommandOutput {
        precondition(!arguments.isEmpty, "LocalCommand needs a program name")
        let started = ContinuousClock.now
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let outPipe = Pipe()
        let errPipe = Pipe()
        let inPipe = Pipe()
        process.standardOutput = outPipe
        process.standardError = errPipe
        process.standardInput = stdin == nil ? FileHandle.nullDevice : inPipe
        let operation = arguments.joined(separator: " ")
        do {
            try process.run()
        } catch {
            throw OperationError(
                host: "local", operation: operation, reason: "could not start: \(error)",
                hint: "is \(arguments[0]) installed and in PATH?")
        }
        let outBox = DataBox()
        let errBox = DataBox()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            outBox.data = outPipe.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        group.enter()
        DispatchQueue.global().async {
            errBox.data = errPipe.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        if let stdin {
            DispatchQueue.global().async {
                try? inPipe.fileHandleForWriting.write(contentsOf: stdin)
                try? inPipe.fileHandleForWriting.close()
            }
        }
        let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
        let exited = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            process.waitUntilExit()
            exited.signal()
        }
        if exited.wait(timeout: .now() + seconds) == .timedOut {
            kill(process.processIdentifier, SIGKILL)
            _ = exited.wait(timeout: .now() + 5)
            throw OperationError(
                host: "local", operation: operation,
                reason: "no answer after \(Int(seconds)) s, killed",
                hint: "check the program is not waiting for input or a lock")
        }
        // Output pipes may be held open by daemons the command started; do not wait forever.
        _ = group.wait(timeout: .now() + 5)
        return CommandOutput(
            stdout: outBox.data, stderr: errBox.data, exitStatus: process.terminationStatus,
            duration: ContinuousClock.now - started)
    }
}

private final class DataBox: @unchecked Sendable {
    var data = Data()
}
