import Foundation
import Logging

/// One SSH session per inventory host, connected in parallel and shared by everything that
/// talks to the hosts.
public actor SSHConnectionPool {
    private let hosts: [HostConfig]
    private let options: SSHOptions
    private let logger: Logger
    private var connecting: [String: Task<SSHSession, Error>] = [:]

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

    /// Closes every session and forgets them.
    public func closeAll() async {
        let tasks = connecting.values
        connecting.removeAll()
        await withTaskGroup(of: Void.self) { group in
            for task in tasks {
                group.addTask {
                    if let session = try? await task.value { await session.close() }
                }
            }
        }
    }

    private func task(for host: HostConfig) -> Task<SSHSession, Error> {
        if let existing = connecting[host.name] { return existing }
        let options = self.options
        let logger = self.logger
        let task = Task {
            try await SSHSession.connect(SSHEndpoint(host: host), options: options, logger: logger)
        }
        connecting[host.name] = task
        return task
    }
}
