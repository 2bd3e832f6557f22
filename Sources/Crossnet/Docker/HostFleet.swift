import Foundation
import Logging

/// The inventory's hosts for one run: one SSH session per host (connected in parallel), the
/// Docker Engine on each, and the transcript every remote step is recorded in.
public final class HostFleet: Sendable {
    public let inventory: Inventory
    public let transcript: Transcript
    public let logger: Logger
    let pool: SSHConnectionPool
    let sessions: [String: SSHSession]
    let dialers: [String: EngineDialer]

    private init(inventory: Inventory, transcript: Transcript, logger: Logger, pool: SSHConnectionPool, sessions: [String: SSHSession]) {
        self.inventory = inventory
        self.transcript = transcript
        self.logger = logger
        self.pool = pool
        self.sessions = sessions
        var dialers: [String: EngineDialer] = [:]
        for host in inventory.hosts {
            guard let session = sessions[host.name] else { continue }
            dialers[host.name] = EngineDialer(host: host.name, socket: host.dockerSocket, session: session, logger: logger)
        }
        self.dialers = dialers
    }

    /// Connects to every host of `inventory` in parallel.
    ///
    /// - Throws: one error naming every host that could not be reached or authenticated.
    public static func connect(
        _ inventory: Inventory, options: SSHOptions = SSHOptions(), transcript: Transcript = Transcript(), logger: Logger
    ) async throws -> HostFleet {
        let pool = SSHConnectionPool(hosts: inventory.hosts, options: options, logger: logger)
        try await pool.connectAll()
        var sessions: [String: SSHSession] = [:]
        for host in inventory.hosts { sessions[host.name] = try await pool.session(for: host.name) }
        return HostFleet(inventory: inventory, transcript: transcript, logger: logger, pool: pool, sessions: sessions)
    }

    /// Host names in inventory order.
    public var hostNames: [String] { inventory.hosts.map(\.name) }

    /// The inventory entry of `host`.
    public func config(_ host: String) -> HostConfig {
        guard let config = inventory.host(named: host) else { preconditionFailure("unknown host \(host)") }
        return config
    }

    /// The SSH session to `host`.
    public func session(_ host: String) -> SSHSession {
        guard let session = sessions[host] else { preconditionFailure("unknown host \(host)") }
        return session
    }

    /// The Docker Engine on `host`, reached through its SSH session (stream-local forwarding, or
    /// `docker system dial-stdio` where sshd forbids that; see ``EngineDialer``).
    public func engine(_ host: String) -> DockerEngine {
        let dialer = dialer(host)
        return DockerEngine(host: host, transcript: transcript) {
            try await dialer.open(timeout: .seconds(30))
        }
    }

    /// How `host`'s Engine is reached.
    public func dialer(_ host: String) -> EngineDialer {
        guard let dialer = dialers[host] else { preconditionFailure("unknown host \(host)") }
        return dialer
    }

    /// Runs a shell command on `host` over SSH, recorded in the transcript.
    public func exec(_ host: String, _ command: String, stdin: ExecInput? = nil, timeout: Duration = .seconds(60)) async throws -> CommandOutput {
        let session = session(host)
        return try await transcript.step(host: host, command: command) {
            try await session.exec(command, stdin: stdin, timeout: timeout)
        }
    }

    /// Closes every session.
    public func close() async {
        await pool.closeAll()
    }
}
