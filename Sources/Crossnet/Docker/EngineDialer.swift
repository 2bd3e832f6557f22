import Foundation
import Logging

/// How Crossnet reaches one host's Docker Engine over the host's SSH session.
///
/// First choice is a `direct-streamlocal` channel to the Engine socket. Where sshd forbids
/// stream-local forwarding (`AllowStreamLocalForwarding no`, `DisableForwarding yes`), OpenSSH
/// refuses that channel with the same "open failed" (code 2) it gives for a missing socket, so on
/// a refusal the dialer asks the host once whether the socket exists and a docker CLI is there.
/// If so, it runs `docker system dial-stdio` (the CLI relays stdin/stdout to the socket) on an
/// exec channel instead, says so once in the log, and keeps using it. The HTTP client on top is
/// the same. If not, the original refusal is reported.
public final class EngineDialer: Sendable {
    /// The way to the Engine socket.
    public enum Route: String, Sendable {
        /// An SSH direct-streamlocal channel to the socket.
        case streamLocal = "stream-local forwarding"
        /// An exec channel running `docker system dial-stdio`.
        case dialStdio = "docker system dial-stdio"
    }

    /// The inventory name of the host.
    public let host: String
    /// The Engine socket on the host.
    public let socket: String
    private let session: SSHSession
    private let logger: Logger
    private let state = RouteState()

    /// A dialer for the Engine at `socket` on `session`'s host.
    public init(host: String, socket: String, session: SSHSession, logger: Logger) {
        self.host = host
        self.socket = socket
        self.session = session
        self.logger = logger
    }

    /// The route the last successful dial took, `nil` before the first.
    public var route: Route? { state.route }

    /// A sentence for `check`'s output when the fallback is in use, else `nil`.
    public var note: String? {
        guard state.route == .dialStdio else { return nil }
        return "sshd on \(host) forbids stream-local forwarding: the Engine is reached through "
            + "`docker system dial-stdio` on an exec channel"
    }

    /// The command the fallback runs on the host.
    public var dialStdioCommand: String {
        "docker -H \(shellQuote("unix://" + socket)) system dial-stdio"
    }

    /// Opens a new stream to the Engine socket.
    /// - Throws: ``SSHError`` when neither route works (the fallback's error when stream-local
    ///   forwarding is forbidden, with a hint naming the sshd settings and the docker group).
    public func open(timeout: Duration) async throws -> any ByteStream {
        if state.route == .dialStdio { return try await openDialStdio(timeout: timeout) }
        do {
            let channel = try await session.openUnixSocketChannel(path: socket, timeout: timeout)
            state.route = .streamLocal
            return channel
        } catch let error as SSHError where Self.isChannelRefusal(error) {
            guard try await dialStdioWorks(timeout: timeout) else { throw error }
            logger.notice(
                "sshd refuses stream-local forwarding; reaching the Engine through docker system dial-stdio",
                metadata: ["host": "\(host)", "command": "\(dialStdioCommand)"])
            let stream = try await openDialStdio(timeout: timeout)
            state.route = .dialStdio
            return stream
        }
    }

    /// `true` when the socket exists on the host, the SSH user may use it (root, or the docker
    /// group) and a docker CLI is on the user's PATH: then a refused channel means forwarding is
    /// forbidden, not that the Engine is missing or out of the user's reach.
    private func dialStdioWorks(timeout: Duration) async throws -> Bool {
        let quoted = shellQuote(socket)
        let probe = "test -S \(quoted) && test -r \(quoted) && test -w \(quoted) && command -v docker >/dev/null"
        return try await session.exec(probe, timeout: timeout).exitStatus == 0
    }

    private func openDialStdio(timeout: Duration) async throws -> any ByteStream {
        do {
            return try await session.openExecStream(dialStdioCommand, timeout: timeout)
        } catch var error as SSHError {
            error.hint = "sshd on \(host) forbids stream-local forwarding (AllowStreamLocalForwarding no or "
                + "DisableForwarding yes), so Crossnet runs `\(dialStdioCommand)`: install the docker CLI there "
                + "and add the SSH user to the docker group, or allow AllowStreamLocalForwarding in sshd_config"
            throw error
        }
    }

    /// `true` when the server refused to open the stream-local channel (as opposed to a lost
    /// session or a timeout).
    static func isChannelRefusal(_ error: SSHError) -> Bool {
        guard case .libssh(let function, _) = error.kind, function == "ssh_channel_open_forward_unix" else {
            return false
        }
        return error.message.contains("Channel opening failure")
    }
}

/// The route an ``EngineDialer`` settled on, shared by its concurrent dials.
private final class RouteState: @unchecked Sendable {
    private let lock = NSLock()
    private var value: EngineDialer.Route?

    var route: EngineDialer.Route? {
        get {
            lock.lock()
            defer { lock.unlock() }
            return value
        }
        set {
            lock.lock()
            value = newValue
            lock.unlock()
        }
    }
}
