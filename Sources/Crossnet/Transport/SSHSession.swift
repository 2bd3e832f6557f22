import CLibSSH
import Foundation
import Logging

/// One authenticated SSH connection to a host, on which commands run and channels open.
///
/// Every libssh call for the session runs on one dedicated thread the session owns (never on
/// Swift's cooperative pool); the async methods bridge to it. Many execs and channels may be in
/// flight at once; they are multiplexed on that thread. While idle, the thread sends a keepalive
/// every ``SSHOptions/keepaliveInterval``.
///
/// Every call returns by its deadline, and at once when its task is cancelled. A call that timed
/// out makes the session check that the server still answers; when it does not (or the
/// connection broke), calls in flight fail with `.connectionLost` and the *next* call opens a new
/// connection. Reconnects back off (1 s, 2 s, 4 s … at most ``maxReconnectBackoff``): a call
/// made while the host is backing off fails at once with `.hostUnreachable`, so a host that is
/// down costs one connect timeout per backoff period, not one per call.
///
/// `Sendable`: the mutable connection state lives in a lock-guarded ``SessionSlot``; libssh state
/// lives in `SSHSessionCore`, confined to its session thread.
public final class SSHSession: Sendable {
    /// Where this session is connected.
    public let endpoint: SSHEndpoint
    private let options: SSHOptions
    private let slot: SessionSlot
    private let logger: Logger
    /// Sessions to the jump hosts this one passes through, first hop first (closed after it).
    let jumpSessions: [SSHSession]
    /// The session this one's connection is tunnelled through (the last hop), owned or borrowed;
    /// reconnects go through it again.
    private let jump: SSHSession?

    /// Longest wait between two reconnect attempts.
    public static let maxReconnectBackoff: Duration = .seconds(30)

    /// The inventory name of the host.
    public var hostName: String { endpoint.hostName }

    /// How many sessions this process has opened so far (successful connects, reconnects included).
    public static var sessionsOpened: Int { openedCounter.value }
    private static let openedCounter = LockedCounter()

    /// Session threads still running in this process: open sessions, and sessions being torn
    /// down or abandoned inside a blocking connect (those end within their connect timeout).
    public static var liveSessionThreads: Int { SSHSessionCore.liveThreads.value }

    /// Waits until no session thread runs any more, at most `timeout`; `true` when none is left.
    ///
    /// Call before the process exits after closing every session: libssh frees its global state
    /// when the process exits, and a session thread still inside libssh then may crash.
    public static func waitForSessionThreads(timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while liveSessionThreads > 0 {
            if ContinuousClock.now >= deadline { return false }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return true
    }

    /// How many times this session reconnected after its connection was lost.
    public var reconnects: Int { slot.reconnects }

    /// The current connection's core (tests use it to inspect the session thread's state).
    var core: SSHSessionCore { slot.current }

    private init(
        endpoint: SSHEndpoint, options: SSHOptions, core: SSHSessionCore, logger: Logger, jump: SSHSession?,
        jumpSessions: [SSHSession]
    ) {
        self.jump = jump
        self.endpoint = endpoint
        self.options = options
        self.slot = SessionSlot(core: core)
        self.logger = logger
        self.jumpSessions = jumpSessions
    }

    deinit { slot.current.shutdown() }

    /// Connects, verifies the host key against `endpoint.knownHostsFile` and authenticates
    /// (ssh-agent when `SSH_AUTH_SOCK` is set, then each identity file).
    ///
    /// Returns by ``SSHOptions/connectTimeout`` even when the host stops answering half-way
    /// (`.timeout` with operation `connect`), and at once when the task is cancelled.
    ///
    /// - Throws: ``SSHError``: `.hostKeyMismatch` (both SHA256 fingerprints in the message),
    ///   `.unknownHostKey` (unless ``SSHOptions/acceptNewHostKeys``, then the key is recorded),
    ///   `.unsafeKeyFile` (key readable by group/others), `.authenticationFailed`, `.timeout`,
    ///   `.libssh`.
    public static func connect(
        _ endpoint: SSHEndpoint, options: SSHOptions = SSHOptions(), logger: Logger
    ) async throws -> SSHSession {
        // Jump hosts (ProxyJump): each hop is a session of its own, reached through a
        // direct-tcpip channel on the previous one; no OpenSSH client is involved.
        var jumps: [SSHSession] = []
        do {
            for hop in endpoint.proxyJump {
                jumps.append(try await connectLeg(
                    hop.withoutJumps, through: jumps.last, keeping: [], options: options, logger: logger))
            }
            return try await connectLeg(endpoint, through: jumps.last, keeping: jumps, options: options, logger: logger)
        } catch {
            for jump in jumps.reversed() { await jump.close() }
            throw error
        }
    }

    /// Connects one leg: directly, or through a tunnel on `jump`'s session. The new session keeps
    /// `jumps` alive and closes them after itself; `jump` itself is only borrowed (a pool that
    /// shares one session to a bastion among several hosts keeps and closes it).
    static func connectLeg(
        _ endpoint: SSHEndpoint, through jump: SSHSession?, keeping jumps: [SSHSession], options: SSHOptions,
        logger: Logger
    ) async throws -> SSHSession {
        var logger = logger
        logger[metadataKey: "host"] = "\(endpoint.hostName)"
        let core = try await openCore(endpoint, through: jump, options: options, logger: logger)
        return SSHSession(
            endpoint: endpoint, options: options, core: core, logger: logger, jump: jump, jumpSessions: jumps)
    }

    /// Opens one connection: a new session thread, connected (through a tunnel on `jump`'s
    /// session when given) and authenticated.
    fileprivate static func openCore(
        _ endpoint: SSHEndpoint, through jump: SSHSession?, options: SSHOptions, logger: Logger
    ) async throws -> SSHSessionCore {
        let core = SSHSessionCore(endpoint: endpoint, options: options, logger: logger)
        if let jump {
            core.tunnelSocket = try await jump.openTunnel(
                host: endpoint.address, port: endpoint.port, timeout: options.connectTimeout)
            core.connectedThroughJump = jump.hostName
        }
        core.start()
        let started = ContinuousClock.now
        let operation = "connect to \(endpoint.addressAndPort)"
        do {
            try await core.perform(deadline: options.connectTimeout, operation: operation) { core in
                try SSHConnector.connect(core)
            }
        } catch var error as SSHError {
            // Does not wait: the thread may still be inside a blocking connect; it tears the
            // session down as soon as that returns.
            core.shutdown()
            // libssh's own timeout (the same `connectTimeout`) may fire just before ours: the
            // same fault, reported the same way.
            let elapsed = ContinuousClock.now - started
            if case .libssh = error.kind, elapsed >= options.connectTimeout * 0.95 {
                error = SSHError(
                    endpoint, .timeout(operation: operation, elapsed: elapsed),
                    "\(operation) did not finish within \(formatSeconds(elapsed)) (\(error.message))",
                    hint: "check that \(endpoint.hostName) is up and reachable on \(endpoint.addressAndPort)")
            }
            throw error
        } catch {
            core.shutdown()
            throw error
        }
        openedCounter.increment()
        logger.debug(
            "SSH session open",
            metadata: ["address": "\(endpoint.addressAndPort)", "user": "\(endpoint.user)",
                       "via": "\(jump?.hostName ?? "direct")",
                       "seconds": "\(formatSeconds(ContinuousClock.now - started))"])
        return core
    }

    /// Opens a direct-tcpip channel from this host to `host:port` and returns a local socket
    /// connected to it (the caller owns it); this session's thread pumps the bytes.
    func openTunnel(host: String, port: Int, timeout: Duration) async throws -> Int32 {
        try await liveCore().run { _, completion in
            TCPTunnelOperation(host: host, port: port, timeout: timeout, completion: completion)
        }
    }

    /// Runs `command` on an exec channel and returns its stdin/stdout as a byte stream (stderr is
    /// discarded), e.g. `docker system dial-stdio`. The channel takes one of the session's exec
    /// slots until it is closed.
    public func openExecStream(_ command: String, timeout: Duration) async throws -> SSHChannel {
        let core = try await liveCore()
        let box: UncheckedChannelBox = try await core.run { _, completion in
            ExecStreamOpenOperation(command: command, timeout: timeout) { result in
                completion(result.map(UncheckedChannelBox.init))
            }
        }
        return SSHChannel(session: self, core: core, path: "exec \(command)", box: box.box, writeTimeout: timeout)
    }

    /// The core to run the next call on: the current one while it is usable, else a new
    /// connection (one attempt shared by concurrent callers), unless the host is backing off.
    func liveCore() async throws -> SSHSessionCore {
        switch slot.next(now: .now, makeAttempt: makeReconnectAttempt) {
        case .use(let core):
            return core
        case .closed:
            throw SSHError(endpoint, .sessionClosed, "the SSH session is closed", hint: "open a new session")
        case .backingOff(let attempts, let retryIn, let last):
            throw SSHError(
                endpoint, .hostUnreachable(attempts: attempts),
                "\(endpoint.hostName) is unreachable: \(attempts) reconnect attempt\(attempts == 1 ? "" : "s") failed, "
                    + "the last with: \(last); next attempt in \(formatSeconds(retryIn))",
                hint: "check that the host is up and its sshd answers")
        case .wait(let attempt):
            return try await awaitCancellable(attempt)
        }
    }

    /// Starts one reconnect attempt (called by ``SessionSlot`` under its lock).
    private func makeReconnectAttempt() -> Task<SSHSessionCore, Error> {
        let endpoint = self.endpoint
        let options = self.options
        let logger = self.logger
        let slot = self.slot
        // A host behind a jump host reconnects through it (the jump's own session reconnects
        // first when it was lost too).
        let jump = self.jump
        logger.warning("SSH connection lost; reconnecting")
        return Task<SSHSessionCore, Error> {
            do {
                let core = try await SSHSession.openCore(endpoint, through: jump, options: options, logger: logger)
                slot.reconnected(core)
                logger.info("SSH session reconnected")
                return core
            } catch {
                let backoff = slot.failedReconnect(error, now: .now, cap: SSHSession.maxReconnectBackoff)
                logger.warning("SSH reconnect failed", metadata: ["error": "\(error)", "retry_in": "\(formatSeconds(backoff))"])
                throw error
            }
        }
    }

    /// Waits for a shared reconnect attempt; a cancelled caller stops waiting at once.
    private func awaitCancellable(_ attempt: Task<SSHSessionCore, Error>) async throws -> SSHSessionCore {
        let once = ResumeOnce<SSHSessionCore>()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                once.install(continuation)
                Task { once.resume(with: await attempt.result) }
            }
        } onCancel: {
            once.resume(with: .failure(CancellationError()))
        }
    }

    /// Runs `command` through the remote user's shell and collects its output.
    ///
    /// - Parameters:
    ///   - stdin: input streamed to the command (64 KiB chunks, respecting the channel window),
    ///     followed by EOF; without it the command reads an immediate EOF.
    ///   - timeout: deadline for the whole command; when it passes, the command is signalled,
    ///     its channel closed and an ``SSHError`` of kind `.timeout` thrown. The session stays
    ///     usable.
    /// - Returns: stdout and stderr kept apart and the exit status (`-1` when the server sent
    ///   none); a non-zero status is returned, not thrown.
    public func exec(_ command: String, stdin: ExecInput? = nil, timeout: Duration) async throws -> CommandOutput {
        let started = ContinuousClock.now
        let collector = OutputCollector()
        let core = try await liveCore()
        let status: Int32 = try await core.run { core, completion in
            try ExecOperation(
                command: command, input: stdin, timeout: timeout, endpoint: core.endpoint,
                onOutput: { stream, data in collector.append(stream, data) }, completion: completion)
        }
        logger.trace("exec done", metadata: ["command": "\(abbreviate(command))", "status": "\(status)"])
        return CommandOutput(
            stdout: collector.stdout, stderr: collector.stderr, exitStatus: status,
            duration: ContinuousClock.now - started)
    }

    /// Runs `command` and hands its output to `onOutput` as it arrives, for long or large outputs.
    ///
    /// `onOutput` is called on the session thread, in arrival order; keep it short.
    /// - Returns: the exit status (`-1` when the server sent none).
    /// - Throws: like ``exec(_:stdin:timeout:)``.
    public func execStreaming(
        _ command: String, stdin: ExecInput? = nil, timeout: Duration,
        onOutput: @escaping @Sendable (ExecStream, Data) -> Void
    ) async throws -> Int32 {
        try await liveCore().run { core, completion in
            try ExecOperation(
                command: command, input: stdin, timeout: timeout, endpoint: core.endpoint,
                onOutput: onOutput, completion: completion)
        }
    }

    /// Opens a channel to the Unix socket at `path` on the host (OpenSSH direct-streamlocal),
    /// e.g. `/var/run/docker.sock`.
    /// - Throws: ``SSHError`` when the server refuses (missing socket, forwarding disabled) or
    ///   `timeout` passes.
    public func openUnixSocketChannel(path: String, timeout: Duration) async throws -> SSHChannel {
        let core = try await liveCore()
        let box: UncheckedChannelBox = try await core.run { _, completion in
            UnixSocketOpenOperation(path: path, timeout: timeout) { result in
                completion(result.map(UncheckedChannelBox.init))
            }
        }
        return SSHChannel(session: self, core: core, path: path, box: box.box, writeTimeout: timeout)
    }

    /// Disconnects and frees the session; pending operations fail with `.sessionClosed`, and
    /// no reconnect happens any more. Closing twice is harmless.
    public func close() async {
        let core = slot.close()
        if core.isUsable {
            await core.shutdownAndWait()
        } else {
            core.shutdown()  // possibly still inside a blocking connect: do not wait for it
        }
        for jump in jumpSessions.reversed() { await jump.close() }
    }
}

/// Carries a ``ChannelBox`` out of the session thread to build an ``SSHChannel``;
/// `@unchecked Sendable` because the box itself is only ever used on that thread.
struct UncheckedChannelBox: @unchecked Sendable {
    let box: ChannelBox
}

/// Accumulates exec output on the session thread; read only after the exec completed.
private final class OutputCollector: @unchecked Sendable {
    var stdout = Data()
    var stderr = Data()

    func append(_ stream: ExecStream, _ data: Data) {
        switch stream {
        case .stdout: stdout.append(data)
        case .stderr: stderr.append(data)
        }
    }
}

/// A thread-safe counter.
final class LockedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0

    var value: Int {
        lock.lock()
        defer { lock.unlock() }
        return count
    }

    func increment() {
        lock.lock()
        count += 1
        lock.unlock()
    }

    func decrement() {
        lock.lock()
        count -= 1
        lock.unlock()
    }
}
