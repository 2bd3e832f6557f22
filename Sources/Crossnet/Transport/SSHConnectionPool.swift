import Foundation
import Logging

/// One SSH session per inventory host, connected in parallel and shared by everything that
/// talks to the hosts.
///
/// Jump hosts are shared too: every session is a *leg* keyed by its route (the user, address,
/// port and known_hosts of each hop and of the host), so hosts behind the same bastion go through
/// one session to it, and a bastion that is itself an inventory host is that host's session.
public actor SSHConnectionPool {
    private let hosts: [HostConfig]
    private let options: SSHOptions
    private let logger: Logger
    private var connecting: [String: Task<SSHSession, Error>] = [:]
    /// Every session the pool opened (hosts and jump hosts), by route (a host's own: route and name).
    private var legs: [String: Task<SSHSession, Error>] = [:]
    /// Route → key of the first inventory host's own leg with that route.
    private var hostRoutes: [String: String] = [:]

    /// Creates a pool for `hosts`; nothing connects until ``connectAll()`` or ``session(for:)``.
    public init(hosts: [HostConfig], options: SSHOptions = SSHOptions(), logger: Logger) {
        self.hosts = hosts
        self.options = options
        self.logger = logger
    }

    /// Connects every host not yet connected, all in parallel.
    /// - Throws: ``SSHConnectionPoolError`` listing each host that failed (the others stay
    ///   connected; call ``closeAll()`` to drop them).
    public func connectAll() async throws {
        let tasks = hosts.map { (host: $0.name, task: task(for: $0)) }
        var failures: [SSHConnectionPoolError.Failure] = []
        await withTaskGroup(of: SSHConnectionPoolError.Failure?.self) { group in
            for entry in tasks {
                group.addTask {
                    do {
                        _ = try await entry.task.value
                        return nil
                    } catch {
                        return .init(host: entry.host, error: error)
                    }
                }
            }
            for await failure in group {
                if let failure { failures.append(failure) }
            }
        }
        guard failures.isEmpty else {
            let order = Dictionary(uniqueKeysWithValues: hosts.enumerated().map { ($1.name, $0) })
            failures.sort { (order[$0.host] ?? 0) < (order[$1.host] ?? 0) }
            for failure in failures { connecting[failure.host] = nil }  // allow a retry later
            throw SSHConnectionPoolError(failures: failures, attempted: hosts.count)
        }
    }

    /// The session for the host named `hostName`, connecting it first if needed.
    /// Concurrent callers share one connection attempt.
    public func session(for hostName: String) async throws -> SSHSession {
        guard let host = hosts.first(where: { $0.name == hostName }) else {
            throw InputError("no host named \"\(hostName)\" in the inventory")
        }
        let task = task(for: host)
        do {
            return try await task.value
        } catch {
            if connecting[hostName] == task { connecting[hostName] = nil }
            throw error
        }
    }

    /// Closes every session and forgets them: sessions reached through jump hosts first, then
    /// the jump hosts.
    public func closeAll() async {
        let byDepth = Dictionary(grouping: legs) { $0.key.components(separatedBy: Self.hopSeparator).count }
        connecting.removeAll()
        legs.removeAll()
        hostRoutes.removeAll()
        for depth in byDepth.keys.sorted(by: >) {
            await withTaskGroup(of: Void.self) { group in
                for (_, task) in byDepth[depth] ?? [] {
                    group.addTask {
                        if let session = try? await task.value { await session.close() }
                    }
                }
            }
        }
    }

    private func task(for host: HostConfig) -> Task<SSHSession, Error> {
        if let existing = connecting[host.name] { return existing }
        let endpoint = SSHEndpoint(host: host)
        let route = Self.routeKey(endpoint, hops: endpoint.proxyJump)
        // A host's own session is never shared with another inventory host (even one at the same
        // address), but it is the jump-host session for hosts behind it, and the other way round.
        let task: Task<SSHSession, Error>
        let hostKey: String
        if let jumpLeg = legs[route], !connecting.values.contains(jumpLeg) {
            task = jumpLeg  // opened as another host's jump host before this host asked
            hostKey = route
        } else {
            hostKey = route + Self.hostMark + host.name
            task = leg(endpoint, hops: endpoint.proxyJump, key: hostKey)
        }
        if hostRoutes[route] == nil { hostRoutes[route] = hostKey }
        connecting[host.name] = task
        return task
    }

    static let hostMark = " #"

    static let hopSeparator = " > "

    /// `user@address:port` of each hop and of the endpoint, with each one's known_hosts file.
    static func routeKey(_ endpoint: SSHEndpoint, hops: [SSHEndpoint]) -> String {
        (hops + [endpoint]).map { "\($0.user)@\($0.addressAndPort) (\($0.knownHostsFile))" }
            .joined(separator: hopSeparator)
    }

    /// The session for `endpoint` reached through `hops`, shared with every other host whose
    /// route starts the same way.
    private func leg(_ endpoint: SSHEndpoint, hops: [SSHEndpoint], key: String? = nil) -> Task<SSHSession, Error> {
        let route = Self.routeKey(endpoint, hops: hops)
        let key = key ?? hostRoutes[route] ?? route
        if let existing = legs[key] { return existing }
        let previous = hops.last.map { leg($0, hops: Array(hops.dropLast())) }
        let options = self.options
        let logger = self.logger
        let task = Task {
            do {
                let jump = try await previous?.value
                var direct = endpoint
                direct.proxyJump = []
                return try await SSHSession.connectLeg(
                    direct, through: jump, keeping: [], options: options, logger: logger)
            } catch {
                self.forget(key)
                throw error
            }
        }
        legs[key] = task
        return task
    }

    /// Drops a failed leg so that a later call tries again.
    private func forget(_ key: String) {
        legs[key] = nil
        for (route, hostKey) in hostRoutes where hostKey == key { hostRoutes[route] = nil }
    }
}
