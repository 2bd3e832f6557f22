import CLibSSH
import Foundation
import Logging

/// One authenticated SSH connection to a host, on which commands run and channels open.
///
/// Every libssh call for the session runs on one dedicated thread the session owns (never on
/// Swift's cooperative pool); the async methods bridge to it. Many execs and channels may be in
/// flight at once; they are multiplexed on that thread. While idle, the thread sends a keepalive
/// every ``SSHOptions/keepaliveInterval``; once the connection is lost, every call fails fast with
/// an ``SSHError`` of kind `.connectionLost`.
///
/// `Sendable`: all stored properties are immutable and `Sendable`; the mutable libssh state lives
/// in `SSHSessionCore`, confined to the session thread.
public final class SSHSession: Sendable {
    /// Where this session is connected.
    public let endpoint: SSHEndpoint
    let core: SSHSessionCore
    private let logger: Logger
    /// Sessions to the jump hosts this one passes through, first hop first (closed after it).
    let jumpSessions: [SSHSession]

    /// The inventory name of the host.
    public var hostName: String { endpoint.hostName }

    /// How many sessions this process has opened so far (successful connects).
    public static var sessionsOpened: Int { openedCounter.value }
    private static let openedCounter = LockedCounter()

    private init(endpoint: SSHEndpoint, core: SSHSessionCore, logger: Logger, jumpSessions: [SSHSession]) {
        self.endpoint = endpoint
        self.core = core
        self.logger = logger
        self.jumpSessions = jumpSessions
    }

    deinit { core.shutdown() }

    /// Connects, verifies the host key against `endpoint.knownHostsFile` and authenticates
    /// (ssh-agent when `SSH_AUTH_SOCK` is set, then each identity file).
    ///
    /// - Throws: ``SSHError``: `.hostKeyMismatch` (both SHA256 fingerprints in the message),
    ///   `.unknownHostKey` (unless ``SSHOptions/acceptNewHostKeys``, then the key is recorded),
    ///   `.unsafeKeyFile` (key readable by group/others), `.authenticationFailed`, `.libssh`.
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
        let core = SSHSessionCore(endpoint: endpoint, options: options, logger: logger)
        if let jump {
            core.tunnelSocket = try await jump.openTunnel(
                host: endpoint.address, port: endpoint.port, timeout: options.connectTimeout)
            core.connectedThroughJump = jump.hostName
        }
        core.start()
        let started = ContinuousClock.now
        do {
            try await core.perform { core in try SSHConnector.connect(core) }
        } catch {
            await core.shutdownAndWait()
            throw error
        }
        openedCounter.increment()
        logger.debug(
            "SSH session open",
            metadata: ["address": "\(endpoint.addressAndPort)", "user": "\(endpoint.user)",
                       "via": "\(jump?.hostName ?? "direct")",
                       "seconds": "\(formatSeconds(ContinuousClock.now - started))"])
        return SSHSession(endpoint: endpoint, core: core, logger: logger, jumpSessions: jumps)
    }

    /// Opens a direct-tcpip channel from this host to `host:port` and returns a local socket
    /// connected to it (the caller owns it); this session's thread pumps the bytes.
    func openTunnel(host: String, port: Int, timeout: Duration) async throws -> Int32 {
        try await core.run { _, completion in
            TCPTunnelOperation(host: host, port: port, timeout: timeout, completion: completion)
        }
    }

    /// Runs `command` on an exec channel and returns its stdin/stdout as a byte stream (stderr is
    /// discarded), e.g. `docker system dial-stdio`. The channel takes one of the session's exec
    /// slots until it is closed.
    public func openExecStream(_ command: String, timeout: Duration) async throws -> SSHChannel {
        let box: UncheckedChannelBox = try await core.run { _, completion in
            ExecStreamOpenOperation(command: command, timeout: timeout) { result in
                completion(result.map(UncheckedChannelBox.init))
            }
        }
        return SSHChannel(session: self, path: "exec \(command)", box: box.box)
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
        try await core.run { core, completion in
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
        let box: UncheckedChannelBox = try await core.run { _, completion in
            UnixSocketOpenOperation(path: path, timeout: timeout) { result in
                completion(result.map(UncheckedChannelBox.init))
            }
        }
        return SSHChannel(session: self, path: path, box: box.box)
    }

    /// Disconnects and frees the session; pending operations fail with `.sessionClosed`.
    /// Closing twice is harmless.
    public func close() async {
        await core.shutdownAndWait()
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
}
