import Foundation
import Logging

/// Removes what a run created, newest first, whatever state the tests left it in.
public enum Teardown {
    /// Removes everything in the run's ledger in reverse order of creation. Errors are collected,
    /// not thrown half-way: every resource gets its removal attempt.
    @discardableResult
    public static func run(_ context: RunContext) async -> [String] {
        var problems: [String] = []
        // Consecutive containers (or consecutive networks) do not depend on each other: each such
        // batch is removed on every host at once; batches keep the newest-first order.
        for batch in batches(context.ledger.drainNewestFirst()) {
            problems += await withTaskGroup(of: String?.self) { group in
                for resource in batch {
                    group.addTask { await remove(resource, context: context) }
                }
                var found: [String] = []
                for await problem in group { if let problem { found.append(problem) } }
                return found
            }
        }
        return problems
    }

    /// Runs of resources that may be removed concurrently: consecutive containers, or
    /// consecutive networks; services and swarms stand alone.
    static func batches(_ resources: [CreatedResource]) -> [[CreatedResource]] {
        var batches: [[CreatedResource]] = []
        for resource in resources {
            if let last = batches.last?.last, last.kind == resource.kind, resource.kind == .container || resource.kind == .network {
                batches[batches.count - 1].append(resource)
            } else {
                batches.append([resource])
            }
        }
        return batches
    }

    /// Removes one resource; returns the problem, if any, naming the host.
    static func remove(_ resource: CreatedResource, context: RunContext) async -> String? {
        let fleet = context.fleet
        let engine = fleet.engine(resource.host)
        do {
            switch resource.kind {
            case .container:
                try await engine.removeContainer(resource.id)
            case .service:
                try await engine.removeService(resource.id)
                try await waitForServiceContainersGone(resource.id, context: context, fleet: fleet)
            case .network:
                try await removeNetworkRetrying(resource.id, engine: engine)
                try await waitForNetworkGoneEverywhere(resource.id, fleet: fleet)
            case .swarm:
                try await leaveSwarm(manager: resource.host, context: context)
                for host in await context.swarm.gatewayBridgesToRemove() {
                    try await removeNetworkRetrying("docker_gwbridge", engine: fleet.engine(host))
                }
                await context.swarm.reset()
            }
            return nil
        } catch {
            context.logger.warning("teardown problem", metadata: ["host": "\(resource.host)", "error": "\(error)"])
            return "\(resource.host): removing \(resource.kind.rawValue) \(resource.id.prefix(12)): \(error)"
        }
    }

    /// Service task containers linger a moment after `service rm`; the network cannot go before them.
    static func waitForServiceContainersGone(_ serviceID: String, context: RunContext?, fleet: HostFleet) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            var remaining = 0
            for host in fleet.hostNames {
                remaining += try await fleet.engine(host).containers(label: "com.docker.swarm.service.id=\(serviceID)").count
            }
            if remaining == 0 { return }
            try await Task.sleep(for: .milliseconds(500))
        }
    }

    /// A swarm-scoped network lingers on workers for a moment after its removal on the manager.
    static func waitForNetworkGoneEverywhere(_ id: String, fleet: HostFleet) async throws {
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            var present = false
            for host in fleet.hostNames where try await fleet.engine(host).allNetworks().contains(where: { $0.id == id }) {
                present = true
            }
            if !present { return }
            try await Task.sleep(for: .milliseconds(300))
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

    /// Workers leave first, then the manager.
    static func leaveSwarm(manager: String, context: RunContext) async throws {
        for host in context.fleet.hostNames where host != manager {
            let info = try await context.fleet.engine(host).info().swarm
            if info.localNodeState != "inactive" { try await context.fleet.engine(host).swarmLeave() }
        }
        try await context.fleet.engine(manager).swarmLeave()
    }
}
