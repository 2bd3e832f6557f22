import Foundation

/// The overlay topology: an attachable overlay across every host of the swarm, a global service
/// `web` with a task on every node, and an attachable probe container on every host.
struct OverlayDeployer: Sendable {
    let context: RunContext

    /// The service name the suites ping across hosts.
    static let serviceName = "web"

    func deploy(hosts: [String]) async throws -> Deployment {
        let fleet = context.fleet
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

        if let existing = try await manager.allServices().first(where: { $0.spec.name == Self.serviceName }) {
            throw OperationError(
                host: swarm.managerHost, operation: "docker service create --name web",
                reason: "a service named web (\(existing.id.prefix(12))) already exists in this swarm",
                hint: "Crossnet never touches a service it did not create: remove it, or run `crossnet clean` if an earlier run left it")
        }
        let network = context.name("ovl")
        let networkID = try await manager.createNetwork(NetworkSpec(
            name: network, driver: "overlay", labels: context.labels(), attachable: true,
            subnet: fleet.inventory.network.overlaySubnet))
        context.ledger.record(CreatedResource(host: swarm.managerHost, kind: .network, id: networkID))

        let endpointMode = try await vipAvailable() ? "vip" : "dnsrr"
        if endpointMode == "dnsrr" {
            notes.append("endpoint mode dnsrr: not every node has ip_vs (IPVS), so service VIPs would not answer")
        }
        let serviceID = try await manager.createService(ServiceSpec(
            name: Self.serviceName, image: context.probeImage, command: ProbeCommand.serve(port: ProbeCommand.httpPort),
            labels: context.labels(["crossnet.driver": DriverID.overlay.rawValue]), network: network,
            endpointMode: endpointMode, global: true))
        context.ledger.record(CreatedResource(host: swarm.managerHost, kind: .service, id: serviceID))
        let tasks = try await waitForTasks(service: serviceID, manager: manager, swarm: swarm, hosts: hosts)

        var endpoints: [ProbeEndpoint] = []
        for host in hosts {
            let probe = try await TopologyDeployer(context: context).startProbe(
                host: host, name: context.name("ovl-\(host)"), network: network, driver: .overlay)
            endpoints.append(probe)
        }
        // Task containers, one per host, as endpoints named after the service.
        for host in hosts {
            guard let containerID = tasks[host] else { continue }
            let details = try await fleet.engine(host).inspectContainer(containerID)
            let address = details.networkSettings.networks?[network]?.ipAddress
            endpoints.append(ProbeEndpoint(
                host: host, containerID: containerID, name: "\(Self.serviceName)@\(host)", aliases: [Self.serviceName],
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
        return Deployment(driver: .overlay, endpoints: endpoints, networkName: network, notes: notes)
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
            var still: [(ProbeEndpoint, ProbeEndpoint)] = []
            for (source, target) in pending {
                guard let address = target.address else { continue }
                let output = try await context.fleet.engine(source.host).exec(
                    source.containerID, ["ping", "-c", "1", "-W", "1", address], timeout: .seconds(10))
                if !output.succeeded { still.append((source, target)) }
            }
            pending = still
            if !pending.isEmpty { try await Task.sleep(for: .milliseconds(500)) }
        }
        let seconds = String(format: "%.1f", (ContinuousClock.now - started).seconds)
        if pending.isEmpty { return "overlay converged: every probe answered every other host's probe after \(seconds) s" }
        return "overlay not converged after \(seconds) s: " + pending.map { "\($0.0.host)→\($0.1.host)" }.joined(separator: ", ")
    }

    /// `true` when every host has IPVS (needed for service VIPs).
    func vipAvailable() async throws -> Bool {
        for host in context.fleet.hostNames {
            let output = try await context.fleet.exec(
                // /sys and /lib/modules only: no /usr/sbin tool (modinfo) a non-root user may lack.
                host, "[ -d /sys/module/ip_vs ] || grep -qs '/ip_vs.ko' /lib/modules/$(uname -r)/modules.builtin || grep -qs '/ip_vs.ko' /lib/modules/$(uname -r)/modules.dep",
                timeout: .seconds(15))
            if !output.succeeded { return false }
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
            try await Task.sleep(for: .milliseconds(500))
        }
        throw OperationError(
            host: swarm.managerHost, operation: "docker service ps web",
            reason: "tasks not running on every host after 90 s: \(lastStates.joined(separator: "; "))",
            hint: "check the probe image is loaded on every node (`crossnet image load`) and the nodes are Ready (`docker node ls`)")
    }
}
