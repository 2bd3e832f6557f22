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
    /// How each connected host's Engine is reached (see ``EngineDialer``).
    let dialers: [String: EngineDialer]
    /// Each host's Engine API version, negotiated on its first Engine call.
    let apiSelections: [String: EngineAPISelection]
    /// Whether each host's Engine still answers (see ``EngineHealth``).
    let engineHealth: [String: EngineHealth]
    /// Hosts that could not be connected at the start (only with `tolerateDown`), in inventory
    /// order, each with the reason. They are not in ``hostNames``.
    public let downHosts: [UnreachableHost]

    private init(
        inventory: Inventory, transcript: Transcript, logger: Logger, pool: SSHConnectionPool,
        sessions: [String: SSHSession], downHosts: [UnreachableHost]
    ) {
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
        self.apiSelections = Dictionary(uniqueKeysWithValues: inventory.hosts.map { ($0.name, EngineAPISelection()) })
        self.engineHealth = Dictionary(uniqueKeysWithValues: inventory.hosts.map { ($0.name, EngineHealth()) })
        self.downHosts = downHosts
    }

    /// Connects to every host of `inventory` in parallel.
    ///
    /// - Parameter tolerateDown: go on with the hosts that connected: each host that did not is
    ///   listed in ``downHosts`` (with the reason) and left out of ``hostNames``. Still throws
    ///   when no host connected, or when a failure is the user's to fix (e.g. a key file
    ///   readable by others).
    /// - Throws: one error naming every host that could not be reached or authenticated.
    public static func connect(
        _ inventory: Inventory, options: SSHOptions = SSHOptions(), transcript: Transcript = Transcript(), logger: Logger,
        tolerateDown: Bool = false
    ) async throws -> HostFleet {
        let pool = SSHConnectionPool(hosts: inventory.hosts, options: options, logger: logger)
        var down: [UnreachableHost] = []
        do {
            try await pool.connectAll()
        } catch let error as SSHConnectionPoolError {
            let userMustFix = error.failures.contains { ($0.error as? any CrossnetError)?.isInputError ?? false }
            guard tolerateDown, !userMustFix, error.failures.count < inventory.hosts.count else {
                await pool.closeAll()
                throw error
            }
            down = error.failures.map { UnreachableHost(host: $0.host, operation: "connect", error: $0.error) }
            for host in down {
                logger.warning("host is down; going on without it", metadata: ["host": "\(host.host)", "reason": "\(host.reason)"])
            }
        }
        var sessions: [String: SSHSession] = [:]
        for host in inventory.hosts where !down.contains(where: { $0.host == host.name }) {
            sessions[host.name] = try await pool.session(for: host.name)
        }
        return HostFleet(
            inventory: inventory, transcript: transcript, logger: logger, pool: pool, sessions: sessions, downHosts: down)
    }

    /// Names of the connected hosts, in inventory order (all of them unless some were down at
    /// the start, see ``downHosts``).
    public var hostNames: [String] { inventory.hosts.map(\.name).filter { sessions[$0] != nil } }

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
        return DockerEngine(
            host: host, transcript: transcript, api: apiSelections[host] ?? EngineAPISelection(), health: engineHealth[host]
        ) {
            try await dialer.open(timeout: .seconds(30))
        }
    }

    /// How `host`'s Engine is reached.
    public func dialer(_ host: String) -> EngineDialer {
        guard let dialer = dialers[host] else { preconditionFailure("unknown host \(host)") }
        return dialer
    }

    /// The Engine API version negotiated with `host`, `nil` before its first Engine call (for
    /// the report: `ResultsDocument.Host.apiVersion`).
    public func apiVersion(_ host: String) -> EngineAPIVersion? {
        apiSelections[host]?.current
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

/// A host an operation could not reach, and why; collected by best-effort work (connecting a
/// fleet, teardown, `crossnet clean`) that goes on with the other hosts.
public struct UnreachableHost: Sendable, CustomStringConvertible {
    /// Inventory name of the host.
    public var host: String
    /// What could not be done there (`connect`, `remove network cn-…`).
    public var operation: String
    /// Why, as the error said it.
    public var reason: String

    public init(host: String, operation: String, reason: String) {
        self.host = host
        self.operation = operation
        self.reason = reason
    }

    public init(host: String, operation: String, error: any Error) {
        self.init(host: host, operation: operation, reason: "\(error)")
    }

    public var description: String { "\(host): could not \(operation): \(reason)" }

    /// `true` when `error` says the host (its SSH session or its Docker daemon) does not answer,
    /// rather than that it refused the request: a timeout, a lost or unreachable connection.
    public static func isUnreachable(_ error: any Error) -> Bool {
        if error is DeadlineExceeded { return true }
        guard let error = error as? SSHError else { return false }
        switch error.kind {
        case .connectionLost, .hostUnreachable, .timeout, .sessionClosed, .libssh: return true
        default: return false
        }
    }
}

extension HostFleet {
    /// Runs `body` for every host in `hosts` at once; results come back in `hosts` order, each
    /// host's error kept beside it (one host's failure never stops the others).
    public func onEachHost<T: Sendable>(
        _ hosts: [String], _ body: @escaping @Sendable (String) async throws -> T
    ) async -> [(host: String, result: Result<T, any Error>)] {
        await withTaskGroup(of: (Int, Result<T, any Error>).self) { group in
            for (index, host) in hosts.enumerated() {
                group.addTask {
                    do { return (index, .success(try await body(host))) } catch { return (index, .failure(error)) }
                }
            }
            var results: [(Int, Result<T, any Error>)] = []
            for await result in group { results.append(result) }
            return results.sorted { $0.0 < $1.0 }.map { (hosts[$0.0], $0.1) }
        }
    }
}
