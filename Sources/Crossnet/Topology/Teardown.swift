import Foundation
import Logging

/// What a teardown or `crossnet clean` could not do, host by host.
public struct TeardownReport: Sendable {
    /// Removals that failed on hosts that answered (the Engine refused, a resource lingered).
    public var problems: [String] = []
    /// What was left on hosts that did not answer; each host's later steps are skipped (listed
    /// here too) instead of each waiting for its own timeout.
    public var unreachable: [UnreachableHost] = []

    public init() {}

    /// `true` when everything was removed.
    public var isComplete: Bool { problems.isEmpty && unreachable.isEmpty }

    /// Hosts found unreachable, in the order found.
    public var unreachableHosts: [String] {
        var seen: [String] = []
        for entry in unreachable where !seen.contains(entry.host) { seen.append(entry.host) }
        return seen
    }

    /// One line per problem and per unreachable step.
    public var lines: [String] { problems + unreachable.map(\.description) }

    func isDown(_ host: String) -> Bool { unreachable.contains { $0.host == host } }

    /// Records `error` of `operation` on `host`: as unreachable when the host did not answer.
    mutating func record(_ error: any Error, host: String, operation: String) {
        if UnreachableHost.isUnreachable(error) {
            unreachable.append(UnreachableHost(host: host, operation: operation, error: error))
        } else {
            problems.append("\(host): \(operation): \(error)")
        }
    }

    mutating func skipped(host: String, operation: String) {
        unreachable.append(UnreachableHost(host: host, operation: operation, reason: "skipped: the host did not answer earlier"))
    }
}

/// Removes what a run created, newest first, whatever state the tests left it in.
public enum Teardown {
    /// Removes everything in the run's ledger in reverse order of creation. Errors are collected,
    /// not thrown half-way: every resource gets its removal attempt.
    /// - Returns: one line per problem (see ``report(_:)`` for the typed form).
    @discardableResult
    public static func run(_ context: RunContext) async -> [String] {
        await report(context).lines
    }

    /// Removes everything in the run's ledger, best-effort per host: a host that does not answer
    /// is recorded once and skipped afterwards; the other hosts are cleaned all the same.
    public static func report(_ context: RunContext) async -> TeardownReport {
        var report = TeardownReport()
        let fleet = context.fleet
        var drained = context.ledger.drainNewestFirst()
        // A swarm the run created goes as a whole: `swarm leave --force` removes its services'
        // task containers and its networks on every node, so they are not removed one by one
        // (a service's tasks take seconds to stop after `service rm`); their absence is checked
        // once the swarm is gone.
        var dissolved: [CreatedResource] = []
        if drained.contains(where: { $0.kind == .swarm }) {
            dissolved = drained.filter(\.inSwarm)
            drained.removeAll(where: \.inSwarm)
            for resource in dissolved {
                fleet.transcript.record(TranscriptEntry(
                    timestamp: Date(), host: resource.host,
                    command: "# \(resource.kind.rawValue) \(resource.id.prefix(12)) goes with the swarm this run created (swarm leave --force)",
                    durationSeconds: 0, result: "note"))
            }
        }
        var pending = drained[...]
        while let resource = pending.first {
            // Consecutive containers do not depend on each other: removed on every host at once.
            if resource.kind == .container {
                let batch = pending.prefix { $0.kind == .container }
                pending = pending.dropFirst(batch.count)
                await removeContainers(Array(batch), fleet: fleet, report: &report)
                continue
            }
            pending = pending.dropFirst()
            let operation = "remove \(resource.kind.rawValue) \(resource.id.prefix(12))"
            if report.isDown(resource.host) {
                report.skipped(host: resource.host, operation: operation)
                continue
            }
            let engine = fleet.engine(resource.host)
            do {
                switch resource.kind {
                case .container:
                    try await engine.removeContainer(resource.id)
                case .service:
                    try await engine.removeService(resource.id)
                    await waitForServiceContainersGone(resource.id, fleet: fleet, report: &report)
                case .network:
                    try await removeNetworkRetrying(resource.id, engine: engine)
                    // A local network is gone once its host removed it; a swarm-scoped one lingers
                    // on the other nodes for a moment.
                    if resource.inSwarm { await waitForNetworkGoneEverywhere(resource.id, fleet: fleet, report: &report) }
                case .swarm:
                    await SwarmCoordinator.leave(manager: resource.host, fleet: fleet, report: &report)
                    for item in dissolved {
                        switch item.kind {
                        case .service: await waitForServiceContainersGone(item.id, fleet: fleet, report: &report)
                        case .network: await waitForNetworkGoneEverywhere(item.id, fleet: fleet, report: &report)
                        case .container, .swarm: break
                        }
                    }
                    let bridges = await context.swarm.gatewayBridgesToRemove()
                    for host in bridges where report.isDown(host) {
                        report.skipped(host: host, operation: "remove network docker_gwbridge")
                    }
                    for (host, result) in await fleet.onEachHost(bridges.filter { !report.isDown($0) }, { host in
                        try await removeNetworkRetrying("docker_gwbridge", engine: fleet.engine(host))
                    }) {
                        if case .failure(let error) = result { report.record(error, host: host, operation: "remove network docker_gwbridge") }
                    }
                    await context.swarm.reset()
                }
            } catch {
                report.record(error, host: resource.host, operation: operation)
            }
        }
        for line in report.lines {
            context.logger.warning("teardown problem", metadata: ["problem": "\(line)"])
        }
        return report
    }

    /// Removes `containers` concurrently, skipping hosts already known to be down; failures are
    /// recorded per host.
    static func removeContainers(_ containers: [CreatedResource], fleet: HostFleet, report: inout TeardownReport) async {
        let skipped = containers.filter { report.isDown($0.host) }
        for resource in skipped { report.skipped(host: resource.host, operation: "remove container \(resource.id.prefix(12))") }
        let attempts = containers.filter { !report.isDown($0.host) }
        let failures = await withTaskGroup(of: (CreatedResource, (any Error)?).self) { group in
            for resource in attempts {
                group.addTask {
                    do {
                        try await fleet.engine(resource.host).removeContainer(resource.id)
                        return (resource, nil)
                    } catch {
                        return (resource, error)
                    }
                }
            }
            var failures: [(CreatedResource, any Error)] = []
            for await (resource, error) in group { if let error { failures.append((resource, error)) } }
            return failures
        }
        for (resource, error) in failures {
            report.record(error, host: resource.host, operation: "remove container \(resource.id.prefix(12))")
        }
    }

    /// Service task containers linger a moment after `service rm`; the network cannot go before
    /// them. Hosts that do not answer are recorded and no longer asked.
    static func waitForServiceContainersGone(_ serviceID: String, fleet: HostFleet, report: inout TeardownReport) async {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            var remaining = 0
            let hosts = fleet.hostNames.filter { !report.isDown($0) }
            for (host, result) in await fleet.onEachHost(hosts, { host in
                try await fleet.engine(host).containers(label: "com.docker.swarm.service.id=\(serviceID)").count
            }) {
                switch result {
                case .success(let count): remaining += count
                case .failure(let error): report.record(error, host: host, operation: "list the containers of service \(serviceID.prefix(12))")
                }
            }
            if remaining == 0 { return }
            try? await Task.sleep(for: .milliseconds(200))
        }
    }

    /// A swarm-scoped network lingers on workers for a moment after its removal on the manager.
    static func waitForNetworkGoneEverywhere(_ id: String, fleet: HostFleet, report: inout TeardownReport) async {
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            var present = false
            let hosts = fleet.hostNames.filter { !report.isDown($0) }
            for (host, result) in await fleet.onEachHost(hosts, { host in
                try await fleet.engine(host).allNetworks().contains(where: { $0.id == id })
            }) {
                switch result {
                case .success(let found): present = present || found
                case .failure(let error): report.record(error, host: host, operation: "list networks (waiting for \(id.prefix(12)) to go)")
                }
            }
            if !present { return }
            try? await Task.sleep(for: .milliseconds(200))
        }
    }

    static func removeNetworkRetrying(_ id: String, engine: DockerEngine) async throws {
        var attempt = 0
        while true {
            do {
                try await engine.removeNetwork(id)
                return
            } catch let error as DockerAPIError where error.status == 403 || error.status == 500 || error.status == 409 {
                // "has active endpoints": endpoints of just-removed containers are still going.
                attempt += 1
                if attempt >= 30 { throw error }
                try await Task.sleep(for: .milliseconds(500))
            }
        }
    }
}
