import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Runs a long local program (e.g. `swift test`) and hands its output to a callback line by line
/// as it arrives (standard output and standard error merged, in order).
///
/// Like ``LocalCommand``: `posix_spawnp` with the child's signal mask reset and default signal
/// handlers, pipe ends close-on-exec, `poll` for output and `waitpid(WNOHANG)` for the exit — no
/// Foundation `Process` (its `waitUntilExit` spins on Linux) — all on a thread of its own.
public enum StreamingCommand {
    /// Runs `arguments` in `directory` with `environment` added; `onLine` gets each output line
    /// (without its newline) on the runner's thread.
    ///
    /// - Returns: the exit status (128+N for a signal).
    /// - Throws: ``OperationError`` when the program cannot be started.
    public static func run(
        _ arguments: [String], directory: String? = nil, environment: [String: String] = [:],
        onLine: @escaping @Sendable (String) -> Void
    ) async throws -> Int32 {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                continuation.resume(with: Result {
                    try runBlocking(arguments, directory: directory, environment: environment, onLine: onLine)
                })
            }
            thread.name = "crossnet.streaming-command"
            thread.start()
        }
    }

    public static func runBlocking(
        _ arguments: [String], directory: String? = nil, environment: [String: String] = [:],
        onLine: (String) -> Void
    ) throws -> Int32 {
        precondition(!arguments.isEmpty, "StreamingCommand needs a program name")
        let operation = arguments.joined(separator: " ")
        // Glibc's posix_spawn_file_actions_addchdir_np is not visible to Swift: a shell changes
        // directory, then execs the program.
        let arguments = directory.map { ["/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", $0] + arguments } ?? arguments
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else {
            throw OperationError(host: "local", operation: operation, reason: "pipe() failed: \(String(cString: strerror(errno)))")
        }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        posix_spawn_file_actions_adddup2(&actions, fds[1], 2)

        let envStrings = childEnvironment(adding: environment)
        var attributes = cleanSignalAttributes()
        defer { posix_spawnattr_destroy(&attributes) }
        var pid: pid_t = 0
        let spawned = withCStrings(arguments) { argv in
            withCStrings(envStrings) { envp in posix_spawnp(&pid, arguments[0], &actions, &attributes, argv, envp) }
        }
        close(fds[1])
        guard spawned == 0 else {
            close(fds[0])
            throw OperationError(
                host: "local", operation: operation, reason: "could not start: \(String(cString: strerror(spawned)))",
                hint: "is \(arguments[0]) installed and in PATH?")
        }

        var readFD = fds[0]
        var pending = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        var status: Int32 = 0
        var exited = false
        var exitedAt: ContinuousClock.Instant?
        func flushLines(final: Bool) {
            while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                onLine(String(decoding: pending[pending.startIndex..<newline], as: UTF8.self))
                pending.removeSubrange(pending.startIndex...newline)
            }
            if final && !pending.isEmpty {
                onLine(String(decoding: pending, as: UTF8.self))
                pending.removeAll()
            }
        }
        while true {
            if !exited && waitpid(pid, &status, WNOHANG) == pid { exited = true; exitedAt = .now }
            if exited && (readFD < 0 || ContinuousClock.now - exitedAt! > .milliseconds(500)) { break }
            if readFD < 0 {
                _ = waitpid(pid, &status, 0)
                exited = true
                exitedAt = .now
                continue
            }
            var pollFD = pollfd(fd: readFD, events: Int16(POLLIN), revents: 0)
            _ = poll(&pollFD, 1, 100)
            if pollFD.revents != 0 {
                let count = read(readFD, &buffer, buffer.count)
                if count > 0 {
                    pending.append(contentsOf: buffer[0..<count])
                    flushLines(final: false)
                } else if count == 0 || (errno != EAGAIN && errno != EINTR) {
                    close(readFD)
                    readFD = -1
                }
            }
        }
        if readFD >= 0 { close(readFD) }
        flushLines(final: true)
        return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }
}
