import Foundation

/// The overlay topology: an attachable overlay across every host of the swarm, a global service
/// with a task on every inventory node, and an attachable probe container on every host.
///
/// In a shared swarm the service and network names are the run's own (`cn-3fa2-web`,
/// `cn-3fa2-ovl`); containers reach the service as `web`, a network alias only the run's network
/// knows. Nodes outside the inventory are kept out by placement constraints and never touched.
struct OverlayDeployer: Sendable {
    let context: RunContext

    /// The name the suites reach the service by: a network alias on the run's overlay network.
    static let serviceAlias = "web"

    /// The run-scoped service name, e.g. `cn-3fa2-web`.
    var serviceName: String { OverlayNaming(runID: context.runID).serviceName }

    func deploy(hosts: [String]) async throws -> Deployment {
        let fleet = context.fleet
        // Whether service VIPs can work is asked on every host while the swarm forms.
        async let vip = vipAvailable()
        let swarm = try await context.swarm.ensure(context)
        let manager = fleet.engine(swarm.managerHost)
        var notes: [String] = []
        var hostsWithoutGatewayBridge: [String] = []
        if !swarm.createdByCrossnet {
            notes.append("using the hosts' existing swarm (left as it was)")
            for host in hosts where try await !fleet.engine(host).allNetworks().contains(where: { $0.name == "docker_gwbridge" }) {
                hostsWithoutGatewayBridge.append(host)
            }
        }

        // A swarm the run just created holds no service and no node but the inventory's.
        if !swarm.createdByCrossnet, let existing = try await manager.allServices().first(where: { $0.spec.name == serviceName }) {
            throw OperationError(
                host: swarm.managerHost, operation: "docker service create --name \(serviceName)",
                reason: "a service named \(serviceName) (\(existing.id.prefix(12))) already exists in this swarm",
                hint: "Crossnet never touches a service it did not create: run `crossnet clean --run \(context.runID)` if an earlier run with this id left it")
        }
        let foreign = swarm.createdByCrossnet ? [] : try await foreignNodes(manager: manager, swarm: swarm)
        if !foreign.isEmpty {
            let note = "swarm nodes outside the inventory, left untouched and kept free of Crossnet's tasks: "
                + foreign.map(\.label).joined(separator: ", ")
            notes.append(note)
            // In the transcript (transcript.log) too, where a reader of the run's artifacts sees it.
            fleet.transcript.record(TranscriptEntry(
                timestamp: Date(), host: swarm.managerHost, command: "# " + note, durationSeconds: 0, result: "note"))
            context.logger.info("foreign swarm nodes excluded", metadata: ["run": "\(context.runID)", "nodes": "\(foreign.map(\.label))"])
        }
        let network = OverlayNaming(runID: context.runID).networkName
        let networkID = try await manager.createNetwork(NetworkSpec(
            name: network, driver: "overlay", labels: context.labels(), attachable: true,
            subnet: fleet.inventory.network.overlaySubnet))
        context.ledger.record(CreatedResource(host: swarm.managerHost, kind: .network, id: networkID, inSwarm: true))

        let endpointMode = try await vip ? "vip" : "dnsrr"
        if endpointMode == "dnsrr" {
            notes.append("endpoint mode dnsrr: not every node has ip_vs (IPVS), so service VIPs would not answer")
        }
        let serviceID = try await manager.createService(ServiceSpec(
            name: serviceName, image: context.probeImage, command: ProbeCommand.serve(port: ProbeCommand.httpPort),
            labels: context.labels(["crossnet.driver": DriverID.overlay.rawValue]), network: network,
            aliases: [Self.serviceAlias], endpointMode: endpointMode, global: true,
            constraints: Self.placement(excluding: foreign.map(\.id))))
        context.ledger.record(CreatedResource(host: swarm.managerHost, kind: .service, id: serviceID, inSwarm: true))
        // The attachable probes start on every host at once once the service's tasks run: a node
        // then already holds the overlay. Started while the tasks came up on a swarm a second old,
        // an attachment now and then waited 20–30 s for the manager ("attaching to network
        // failed … context deadline exceeded", seen on the virtual lab).
        let tasks = try await waitForTasks(service: serviceID, manager: manager, swarm: swarm, hosts: hosts)
        let deployer = TopologyDeployer(context: context)
        let context = context
        var endpoints = try await deployer.onEachHost(hosts) { host in
            [try await deployer.startProbe(host: host, name: context.name("ovl-\(host)"), network: network, driver: .overlay)]
        }
        // Task containers, one per host, as endpoints named after the service.
        for host in hosts {
            guard let containerID = tasks[host] else { continue }
            let details = try await fleet.engine(host).inspectContainer(containerID)
            let address = details.networkSettings.networks?[network]?.ipAddress
            endpoints.append(ProbeEndpoint(
                host: host, containerID: containerID, name: "\(serviceName)@\(host)", aliases: [Self.serviceAlias],
                address: address, isServiceTask: true))
        }
        notes.append(try await waitForConvergence(endpoints.filter { !$0.isServiceTask }))
        if !hostsWithoutGatewayBridge.isEmpty {
            // Docker's own bridge for overlay containers: created on a node the first time one runs
            // there, held by the swarm's ingress sandbox, and removable only once the node leaves
            // the swarm — which is not Crossnet's to do here.
            notes.append(
                "Docker created docker_gwbridge on \(hostsWithoutGatewayBridge.joined(separator: ", ")) for the overlay containers; "
                    + "it stays while those hosts are in the swarm")
        }
        return Deployment(
            driver: .overlay, endpoints: endpoints, networkName: network, notes: notes, serviceName: serviceName,
            serviceAlias: Self.serviceAlias, foreignNodes: foreign.map(\.label))
    }

    /// Swarm spreads overlay peer entries by gossip, which can lag on a loaded machine: waits (at
    /// most 60 s) until every attachable probe answers a ping from every other one, and says how
    /// long that took. Traffic that still does not pass after that is left for the suites to
    /// report.
    func waitForConvergence(_ probes: [ProbeEndpoint]) async throws -> String {
        let started = ContinuousClock.now
        let deadline = started + .seconds(60)
        var pending = probes.flatMap { source in probes.filter { $0.host != source.host }.map { (source, $0) } }
        while !pending.isEmpty && ContinuousClock.now < deadline {
            // Every pending pair pinged at once.
            let answered = try await withThrowingTaskGroup(of: (Int, Bool).self) { group in
                for (index, (source, target)) in pending.enumerated() {
                    guard let address = target.address else { continue }
                    let batcher = context.execBatcher
                    group.addTask {
                        // One exec per source container for all its pings (``ExecBatcher``).
                        let output = try await batcher.run(
                            host: source.host, container: source.containerID, command: ["ping", "-c", "1", "-W", "1", address],
                            timeLimit: 2)
                        return (index, output.succeeded)
                    }
                }
                var answered: Set<Int> = []
                for try await (index, ok) in group where ok { answered.insert(index) }
                return answered
            }
            pending = pending.enumerated().filter { !answered.contains($0.offset) && $0.element.1.address != nil }.map(\.element)
            if !pending.isEmpty { try await Task.sleep(for: .milliseconds(300)) }
        }
        let seconds = String(format: "%.1f", (ContinuousClock.now - started).seconds)
        if pending.isEmpty { return "overlay converged: every probe answered every other host's probe after \(seconds) s" }
        return "overlay not converged after \(seconds) s: " + pending.map { "\($0.0.host)→\($0.1.host)" }.joined(separator: ", ")
    }

    /// A swarm node that is not one of the inventory's hosts.
    struct ForeignNode: Sendable, Equatable {
        var id: String
        var hostname: String
        var label: String { "\(hostname) (\(id.prefix(12)))" }
    }

    /// Nodes of the swarm that are not inventory hosts (read only: `docker node ls`).
    func foreignNodes(manager: DockerEngine, swarm: SwarmState) async throws -> [ForeignNode] {
        let ours = Set(swarm.nodeIDs.values)
        return try await manager.nodes().filter { !ours.contains($0.id) }
            .map { ForeignNode(id: $0.id, hostname: $0.description.hostname) }
            .sorted { ($0.hostname, $0.id) < ($1.hostname, $1.id) }
    }

    /// Constraints that keep a global service off `foreign` nodes. Swarm ANDs constraints and has
    /// no "one of", so inventory nodes are selected by excluding every other node, without
    /// labelling (touching) any node.
    static func placement(excluding foreign: [String]) -> [String] {
        foreign.sorted().map { "node.id!=\($0)" }
    }

    /// `true` when every host has IPVS (needed for service VIPs); every host asked at once.
    func vipAvailable() async throws -> Bool {
        let fleet = context.fleet
        for (_, result) in await fleet.onEachHost(fleet.hostNames, { host in
            try await fleet.exec(
                // /sys and /lib/modules only: no /usr/sbin tool (modinfo) a non-root user may lack.
                host, "[ -d /sys/module/ip_vs ] || grep -qs '/ip_vs.ko' /lib/modules/$(uname -r)/modules.builtin || grep -qs '/ip_vs.ko' /lib/modules/$(uname -r)/modules.dep",
                timeout: .seconds(15)
            ).succeeded
        }) where try !result.get() {
            return false
        }
        return true
    }

    /// Waits until the global service runs a task on every host; returns host → container ID.
    func waitForTasks(service: String, manager: DockerEngine, swarm: SwarmState, hosts: [String]) async throws -> [String: String] {
        let deadline = ContinuousClock.now + .seconds(90)
        var lastStates: [String] = []
        while ContinuousClock.now < deadline {
            let tasks = try await manager.tasks(service: service)
            var byHost: [String: String] = [:]
            lastStates = []
            for task in tasks {
                guard let host = swarm.nodeIDs.first(where: { $0.value == task.nodeID })?.key else { continue }
                lastStates.append("\(host): \(task.status.state)\(task.status.err.map { " (\($0))" } ?? "")")
                if task.status.state == "running", let id = task.status.containerStatus?.containerID { byHost[host] = id }
            }
            if hosts.allSatisfy({ byHost[$0] != nil }) { return byHost }
            try await Task.sleep(for: .milliseconds(250))
        }
        throw OperationError(
            host: swarm.managerHost, operation: "docker service ps \(serviceName)",
            reason: "tasks not running on every host after 90 s: \(lastStates.joined(separator: "; "))",
            hint: "check the probe image is loaded on every node (`crossnet image load`) and the nodes are Ready (`docker node ls`)")
    }
}

/// The overlay topology's names for one run: distinct per run, so two runs (or a user's own `web`)
/// never meet in one swarm.
struct OverlayNaming: Sendable, Equatable {
    var runID: String
    /// `cn-<last 4 of the run id>-web`.
    var serviceName: String { RunContext.name(runID: runID, "web") }
    /// `cn-<last 4 of the run id>-ovl`.
    var networkName: String { RunContext.name(runID: runID, "ovl") }
}
