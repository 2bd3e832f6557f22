import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Runs programs on this machine, with a deadline, returning their output and exit status.
///
/// Used by the virtual lab (which drives `ip`, `nsenter`, `iptables`, `sshd`, `dockerd`) and by
/// tooling that must run locally. Programs are started with `posix_spawnp`, pipe ends are
/// close-on-exec (so a daemon started elsewhere never holds one of our pipes), output is read with
/// `poll`, and the wait happens on a thread of its own, never on Swift's cooperative pool.
/// (Foundation's `Process.waitUntilExit` spins a run loop on Linux and burns a core.)
public enum LocalCommand {
    /// Runs `arguments[0]` (looked up in `PATH`) with the remaining arguments.
    ///
    /// - Parameters:
    ///   - arguments: program and arguments; no shell is involved.
    ///   - stdin: bytes to feed on standard input, if any (otherwise `/dev/null`).
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
        let operation = arguments.joined(separator: " ")
        var outPipe: [Int32] = [0, 0]
        var errPipe: [Int32] = [0, 0]
        var inPipe: [Int32] = [-1, -1]
        guard pipe(&outPipe) == 0, pipe(&errPipe) == 0, stdin == nil || pipe(&inPipe) == 0 else {
            throw OperationError(host: "local", operation: operation, reason: "pipe() failed: \(String(cString: strerror(errno)))")
        }
        // Our pipe ends must not leak into other children (a daemon holding one would keep a
        // reader waiting): close-on-exec; dup2 onto 0-2 clears the flag for this child only.
        for fd in outPipe + errPipe + inPipe where fd >= 0 { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if stdin != nil {
            posix_spawn_file_actions_adddup2(&actions, inPipe[0], 0)
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)

        let envStrings = childEnvironment(adding: environment)
        var attributes = cleanSignalAttributes()
        defer { posix_spawnattr_destroy(&attributes) }
        var pid: pid_t = 0
        let spawnResult = withCStrings(arguments) { argv in
            withCStrings(envStrings) { envp in
                posix_spawnp(&pid, arguments[0], &actions, &attributes, argv, envp)
            }
        }
        close(outPipe[1])
        close(errPipe[1])
        if stdin != nil { close(inPipe[0]) }
        guard spawnResult == 0 else {
            close(outPipe[0])
            close(errPipe[0])
            if stdin != nil { close(inPipe[1]) }
            throw OperationError(
                host: "local", operation: operation, reason: "could not start: \(String(cString: strerror(spawnResult)))",
                hint: "is \(arguments[0]) installed and in PATH?")
        }

        var pending = stdin ?? Data()
        var inFD: Int32 = stdin == nil ? -1 : inPipe[1]
        if inFD >= 0 {
            _ = fcntl(inFD, F_SETFL, fcntl(inFD, F_GETFL) | O_NONBLOCK)
            if pending.isEmpty { close(inFD); inFD = -1 }
        }
        var out = Data()
        var err = Data()
        var outFD = outPipe[0]
        var errFD = errPipe[0]
        var status: Int32 = 0
        var exited = false
        var exitedAt: ContinuousClock.Instant?
        let deadline = started + timeout
        var buffer = [UInt8](repeating: 0, count: 65536)

        while true {
            if !exited {
                let result = waitpid(pid, &status, WNOHANG)
                if result == pid { exited = true; exitedAt = .now }
            }
            // Done when the program exited and its pipes are closed, or shortly after it exited
            // when a background child it started still holds them.
            if exited && ((outFD < 0 && errFD < 0) || ContinuousClock.now - exitedAt! > .milliseconds(300)) { break }
            if !exited && ContinuousClock.now > deadline {
                kill(pid, SIGKILL)
                _ = waitpid(pid, &status, 0)
                for fd in [outFD, errFD, inFD] where fd >= 0 { close(fd) }
                throw OperationError(
                    host: "local", operation: operation,
                    reason: "no answer after \(String(format: "%.0f", timeout.seconds)) s, killed",
                    hint: "check the program is not waiting for input or a lock")
            }
            var fds: [pollfd] = []
            if outFD >= 0 { fds.append(pollfd(fd: outFD, events: Int16(POLLIN), revents: 0)) }
            if errFD >= 0 { fds.append(pollfd(fd: errFD, events: Int16(POLLIN), revents: 0)) }
            if inFD >= 0 { fds.append(pollfd(fd: inFD, events: Int16(POLLOUT), revents: 0)) }
            if fds.isEmpty {
                if !exited { _ = waitpid(pid, &status, 0); exited = true; exitedAt = .now }
                continue
            }
            _ = poll(&fds, nfds_t(fds.count), 50)
            for entry in fds where entry.revents != 0 {
                if entry.fd == inFD {
                    let written = pending.withUnsafeBytes { write(inFD, $0.baseAddress, min($0.count, 65536)) }
                    if written > 0 { pending.removeFirst(written) }
                    if written < 0 && errno != EAGAIN { pending.removeAll() }
                    if pending.isEmpty { close(inFD); inFD = -1 }
                    continue
                }
                let count = read(entry.fd, &buffer, buffer.count)
                if count > 0 {
                    if entry.fd == outFD { out.append(contentsOf: buffer[0..<count]) } else { err.append(contentsOf: buffer[0..<count]) }
                } else if count == 0 || (errno != EAGAIN && errno != EINTR) {
                    close(entry.fd)
                    if entry.fd == outFD { outFD = -1 } else { errFD = -1 }
                }
            }
        }
        for fd in [outFD, errFD, inFD] where fd >= 0 { close(fd) }
        let exitStatus: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return CommandOutput(stdout: out, stderr: err, exitStatus: exitStatus, duration: ContinuousClock.now - started)
    }
}

extension LocalCommand {
    /// Runs a program attached to this process's standard input, output and error (for
    /// interactive use such as `crossnet lab exec`), waiting on a thread of its own.
    /// - Returns: its exit status, 128 + signal when a signal ended it.
    public static func runAttached(_ arguments: [String], environment: [String: String] = [:]) async throws -> Int32 {
        precondition(!arguments.isEmpty, "LocalCommand needs a program name")
        let envStrings = childEnvironment(adding: environment)
        var attributes = cleanSignalAttributes()
        defer { posix_spawnattr_destroy(&attributes) }
        var pid: pid_t = 0
        let result = withCStrings(arguments) { argv in
            withCStrings(envStrings) { envp in posix_spawnp(&pid, arguments[0], nil, &attributes, argv, envp) }
        }
        guard result == 0 else {
            throw OperationError(
                host: "local", operation: arguments.joined(separator: " "),
                reason: "could not start: \(String(cString: strerror(result)))", hint: "is \(arguments[0]) installed and in PATH?")
        }
        let child = pid
        return await withCheckedContinuation { continuation in
            let thread = Thread {
                var status: Int32 = 0
                while waitpid(child, &status, 0) < 0 && errno == EINTR {}
                continuation.resume(returning: (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f))
            }
            thread.name = "crossnet.local-command"
            thread.start()
        }
    }
}

/// Spawn attributes that start the child with no blocked signals and default handlers: the
/// calling thread's mask (Swift runtime threads block most signals) would otherwise be inherited,
/// and programs that rely on SIGALRM (busybox ping, iperf3 timers) or daemons that pass the mask
/// on to their own children (dockerd → containerd → containers) would hang. Destroy after use.
func cleanSignalAttributes() -> posix_spawnattr_t {
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    var emptySet = sigset_t()
    sigemptyset(&emptySet)
    var allSignals = sigset_t()
    sigfillset(&allSignals)
    posix_spawnattr_setsigmask(&attributes, &emptySet)
    posix_spawnattr_setsigdefault(&attributes, &allSignals)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
    return attributes
}

/// Variables this process holds that no child may inherit: the SSH key passphrase is for
/// Crossnet's own libssh sessions, not for `swift test`, `docker`, or a lab's sshd and dockerd.
public let secretEnvironmentVariables: Set<String> = ["CROSSNET_SSH_PASSPHRASE"]

/// The environment a child starts with, as `KEY=value` strings: this process's environment
/// without ``secretEnvironmentVariables``, plus `extra` (which wins over inherited values).
func childEnvironment(
    adding extra: [String: String], inherited: [String: String] = ProcessInfo.processInfo.environment
) -> [String] {
    var env = inherited.filter { !secretEnvironmentVariables.contains($0.key) }
    for (key, value) in extra { env[key] = value }
    return env.map { "\($0.key)=\($0.value)" }
}

/// Calls `body` with a NULL-terminated C array of C strings.
func withCStrings<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
    let pointers = strings.map { strdup($0) } + [nil]
    defer { for pointer in pointers { free(pointer) } }
    return body(pointers)
}
