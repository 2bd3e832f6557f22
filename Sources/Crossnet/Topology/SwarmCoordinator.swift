import Foundation

/// The swarm the overlay topology runs on.
public struct SwarmState: Sendable, Equatable {
    /// The host that answers manager calls (services, tasks).
    public var managerHost: String
    /// Swarm node ID of each host.
    public var nodeIDs: [String: String]
    /// `true` when Crossnet created the swarm (and so must leave it at the end).
    public var createdByCrossnet: Bool
}

/// Errors about the hosts' existing swarm membership.
public struct SwarmMembershipError: CrossnetError {
    public var message: String
    public var description: String { message }
}

/// Finds or creates the swarm for a run, once, and leaves only a swarm Crossnet created.
///
/// - In no swarm: `swarm init` on the first host (advertising its inventory address), others join.
/// - All in one swarm with a reachable manager: used as is and left exactly as it was.
/// - Different swarms, some in and some out, or workers without a reachable manager: an error
///   naming the hosts.
public actor SwarmCoordinator {
    private var state: SwarmState?
    /// Hosts that had no `docker_gwbridge` before Crossnet created the swarm: joining an overlay
    /// makes Docker create it, and leaving the swarm does not remove it, so teardown does.
    private var hostsWithoutGatewayBridge: [String] = []

    public init() {}

    /// Hosts whose `docker_gwbridge` appeared with the swarm Crossnet created.
    public func gatewayBridgesToRemove() -> [String] { hostsWithoutGatewayBridge }

    /// The swarm for this run, created on first use.
    public func ensure(_ context: RunContext) async throws -> SwarmState {
        if let state { return state }
        let fleet = context.fleet
        // Every host asked at once; the first failure (in host order) is the error.
        var infos: [String: SwarmInfo] = [:]
        for (host, result) in await fleet.onEachHost(fleet.hostNames, { try await fleet.engine($0).info().swarm }) {
            infos[host] = try result.get()
        }
        let inactive = fleet.hostNames.filter { infos[$0]?.localNodeState == "inactive" }
        let active = fleet.hostNames.filter { infos[$0]?.localNodeState == "active" }
        let other = fleet.hostNames.filter { !inactive.contains($0) && !active.contains($0) }
        if !other.isEmpty {
            throw SwarmMembershipError(message: "swarm state is not usable on " + other.map { "\($0) (\(infos[$0]!.localNodeState))" }.joined(separator: ", ") + " — fix or leave that swarm (`docker swarm leave`) and retry")
        }
        let created: SwarmState
        if active.isEmpty {
            created = try await createSwarm(context)
        } else if inactive.isEmpty {
            created = try await adoptSwarm(context, infos: infos)
        } else {
            throw SwarmMembershipError(message: "hosts \(active.joined(separator: ", ")) are in a swarm but \(inactive.joined(separator: ", ")) are not — Crossnet does not change a swarm it did not create: join them to that swarm, or have all hosts leave it")
        }
        state = created
        return created
    }

    func createSwarm(_ context: RunContext) async throws -> SwarmState {
        let fleet = context.fleet
        let manager = fleet.hostNames[0]
        let managerAddress = fleet.config(manager).dataAddress
        hostsWithoutGatewayBridge = []
        for (host, result) in await fleet.onEachHost(fleet.hostNames, { host in
            try await fleet.engine(host).allNetworks().contains(where: { $0.name == "docker_gwbridge" })
        }) where try !result.get() {
            hostsWithoutGatewayBridge.append(host)
        }
        let managerEngine = fleet.engine(manager)
        let nodeID = try await managerEngine.swarmInit(
            advertiseAddress: managerAddress, defaultAddressPool: fleet.inventory.network.swarmAddressPool,
            labels: context.labels())
        context.ledger.record(CreatedResource(host: manager, kind: .swarm, id: nodeID))
        let token = try await managerEngine.swarmInspect().joinTokens.worker
        var nodeIDs = [manager: nodeID]
        // The workers join at once (each join is its own TLS handshake with the manager).
        for (host, result) in await fleet.onEachHost(Array(fleet.hostNames.dropFirst()), { host in
            try await fleet.engine(host).swarmJoin(
                advertiseAddress: fleet.config(host).dataAddress, managerAddress: managerAddress, token: token)
            return try await fleet.engine(host).info().swarm.nodeID
        }) {
            nodeIDs[host] = try result.get()
        }
        try await waitUntilReady(manager: manager, engine: managerEngine, nodes: Set(nodeIDs.values))
        return SwarmState(managerHost: manager, nodeIDs: nodeIDs, createdByCrossnet: true)
    }

    /// Waits (at most 30 s) until the manager lists every node as `ready`: a node's agent has then
    /// registered with the dispatcher. An attachable container started on a node before that (the
    /// manager included, a moment after `swarm init`) can wait 20 s for its network attachment and
    /// fail with "attaching to network failed … context deadline exceeded" (seen on the virtual lab).
    func waitUntilReady(manager: String, engine: DockerEngine, nodes: Set<String>) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        var states: [String] = []
        while ContinuousClock.now < deadline {
            let listed = try await engine.nodes().filter { nodes.contains($0.id) }
            if listed.count == nodes.count, listed.allSatisfy({ $0.status.state == "ready" }) { return }
            states = listed.map { "\($0.description.hostname): \($0.status.state)" }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw OperationError(
            host: manager, operation: "docker node ls",
            reason: "swarm nodes not ready 30 s after joining: \(states.joined(separator: ", "))",
            hint: "check that the hosts reach each other on TCP 2377 and 7946 and UDP 7946, 4789 (`crossnet check`)")
    }

    func adoptSwarm(_ context: RunContext, infos: [String: SwarmInfo]) async throws -> SwarmState {
        let fleet = context.fleet
        guard let manager = fleet.hostNames.first(where: { infos[$0]?.controlAvailable == true }) else {
            throw SwarmMembershipError(message: "hosts \(fleet.hostNames.joined(separator: ", ")) are swarm workers and none of them is a manager — add a manager of that swarm to the inventory")
        }
        let members = Set(try await fleet.engine(manager).nodes().map(\.id))
        let outsiders = fleet.hostNames.filter { !members.contains(infos[$0]!.nodeID) }
        if !outsiders.isEmpty {
            throw SwarmMembershipError(message: "hosts \(outsiders.joined(separator: ", ")) are in a different swarm than \(manager) — Crossnet needs all hosts in one swarm")
        }
        return SwarmState(
            managerHost: manager, nodeIDs: Dictionary(uniqueKeysWithValues: fleet.hostNames.map { ($0, infos[$0]!.nodeID) }),
            createdByCrossnet: false)
    }

    /// Makes every host of `fleet` leave the swarm, workers first (all at once), then `manager`;
    /// best-effort: a worker that does not answer is recorded in `report` and the others still
    /// leave. The manager leaves even when a worker could not (`force`), so the swarm is gone from
    /// every host that answers. (Manager and workers leaving at once was tried: on the virtual lab a
    /// worker then kept a broken overlay into the next run's swarm, its peers unreachable.)
    public static func leave(manager: String, fleet: HostFleet, report: inout TeardownReport) async {
        let workers = fleet.hostNames.filter { $0 != manager && !report.isDown($0) }
        for (host, result) in await fleet.onEachHost(workers, { host in
            let info = try await fleet.engine(host).info().swarm
            if info.localNodeState != "inactive" { try await fleet.engine(host).swarmLeave() }
        }) {
            if case .failure(let error) = result { report.record(error, host: host, operation: "leave the swarm") }
        }
        guard !report.isDown(manager) else {
            report.skipped(host: manager, operation: "leave the swarm (manager)")
            return
        }
        do {
            try await fleet.engine(manager).swarmLeave()
        } catch {
            report.record(error, host: manager, operation: "leave the swarm (manager)")
        }
    }

    /// Forgets the state after teardown removed the swarm.
    public func reset() {
        state = nil
        hostsWithoutGatewayBridge = []
    }
}
