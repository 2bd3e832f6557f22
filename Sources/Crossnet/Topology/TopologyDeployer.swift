import Foundation
import Logging

/// Builds each driver's topology on the run's hosts: networks and probe containers, all labelled
/// `crossnet.run=<id>` and recorded in the run's ledger for teardown.
public struct TopologyDeployer: Sendable {
    public let context: RunContext

    public init(context: RunContext) { self.context = context }

    var fleet: HostFleet { context.fleet }

    /// Deploys `driver` on `hosts` (all inventory hosts by default).
    public func deploy(_ driver: DriverID, hosts: [String]? = nil) async throws -> Deployment {
        let hosts = hosts ?? fleet.hostNames
        switch driver {
        case .bridge: return try await deployBridge(hosts: hosts)
        case .userBridge: return try await deployUserBridge(hosts: hosts)
        case .compose: return try await deployCompose(hosts: hosts)
        case .host: return try await deployHostNetwork(hosts: hosts)
        case .none: return try await deployNone(hosts: hosts)
        case .overlay: return try await OverlayDeployer(context: context).deploy(hosts: hosts)
        case .macvlan: return try await deployMacvlan(hosts: hosts)
        }
    }

    /// Starts a probe container and records it; returns its endpoint with the address on `network`.
    func startProbe(
        host: String, name: String, network: String, aliases: [String] = [], ipv4Address: String? = nil,
        extraLabels: [String: String] = [:], driver: DriverID, port: Int = ProbeCommand.httpPort,
        publishedPorts: [PublishedPort] = []
    ) async throws -> ProbeEndpoint {
        let engine = fleet.engine(host)
        let spec = ContainerSpec(
            name: name, image: context.probeImage, command: ProbeCommand.serve(port: port),
            labels: context.labels(extraLabels.merging(["crossnet.driver": driver.rawValue]) { a, _ in a }),
            networkMode: network, aliases: aliases, ipv4Address: ipv4Address,
            hostname: network == "host" ? nil : name, publishedPorts: publishedPorts)
        let id = try await engine.createContainer(spec)
        context.ledger.record(CreatedResource(host: host, kind: .container, id: id))
        try await engine.startContainer(id)
        let details = try await engine.inspectContainer(id)
        let address: String?
        switch network {
        case "host": address = fleet.config(host).dataAddress
        case "none": address = nil
        default: address = details.networkSettings.networks?[network]?.ipAddress.flatMap { $0.isEmpty ? nil : $0 }
        }
        return ProbeEndpoint(
            host: host, containerID: id, name: name, aliases: aliases, address: address,
            hostAddress: fleet.config(host).address, publishedPorts: publishedPorts)
    }

    /// Runs `body` on every host at once and returns the endpoints in host order; the first
    /// error is thrown after every host has finished (what was created is in the ledger).
    func onEachHost(_ hosts: [String], _ body: @escaping @Sendable (String) async throws -> [ProbeEndpoint]) async throws -> [ProbeEndpoint] {
        try await withThrowingTaskGroup(of: (Int, Result<[ProbeEndpoint], any Error>).self) { group in
            for (index, host) in hosts.enumerated() {
                group.addTask {
                    do { return (index, .success(try await body(host))) } catch { return (index, .failure(error)) }
                }
            }
            var results: [(Int, Result<[ProbeEndpoint], any Error>)] = []
            for try await result in group { results.append(result) }
            return try results.sorted { $0.0 < $1.0 }.flatMap { try $0.1.get() }
        }
    }

    /// Creates a network on `host` and records it.
    func createNetwork(host: String, _ spec: NetworkSpec) async throws {
        let id = try await fleet.engine(host).createNetwork(spec)
        context.ledger.record(CreatedResource(host: host, kind: .network, id: id))
    }

    /// Two probes on each host's default bridge; the second (`b`, the server of same-host figures)
    /// publishes ``ProbePorts/bridgePublished`` so containers on other hosts reach it at
    /// `<host address>:<host port>`, the bridge driver's only path across hosts.
    func deployBridge(hosts: [String]) async throws -> Deployment {
        let endpoints = try await onEachHost(hosts) { host in
            var endpoints: [ProbeEndpoint] = []
            for role in ["a", "b"] {
                endpoints.append(try await startProbe(
                    host: host, name: context.name("br-\(host)-\(role)"), network: "bridge", driver: .bridge,
                    publishedPorts: role == "b" ? ProbePorts.bridgePublished : []))
            }
            return endpoints
        }
        return Deployment(driver: .bridge, endpoints: endpoints, networkName: "bridge")
    }

    func deployUserBridge(hosts: [String]) async throws -> Deployment {
        let network = context.name("ub")
        let endpoints = try await onEachHost(hosts) { host in
            try await createNetwork(host: host, NetworkSpec(name: network, driver: "bridge", labels: context.labels()))
            var endpoints: [ProbeEndpoint] = []
            for role in ["a", "b"] {
                endpoints.append(try await startProbe(
                    host: host, name: context.name("ub-\(host)-\(role)"), network: network, driver: .userBridge))
            }
            return endpoints
        }
        return Deployment(driver: .userBridge, endpoints: endpoints, networkName: network)
    }

    /// The Compose project name used for the `compose` topology.
    public var composeProject: String { "cn\(context.runID.suffix(4))" }

    /// Compose's model: network `<project>_default`, containers `<project>-<service>-1` with the
    /// service name as a network alias and Compose's labels, so `web` resolves through Docker's DNS.
    func deployCompose(hosts: [String]) async throws -> Deployment {
        let project = composeProject
        let network = "\(project)_default"
        let endpoints = try await onEachHost(hosts) { host in
            try await createNetwork(host: host, NetworkSpec(
                name: network, driver: "bridge",
                labels: context.labels([
                    "com.docker.compose.project": project, "com.docker.compose.network": "default",
                    "com.docker.compose.version": "crossnet",
                ])))
            var endpoints: [ProbeEndpoint] = []
            for service in ["web", "client"] {
                let name = "\(project)-\(service)-1"
                endpoints.append(try await startProbe(
                    host: host, name: name, network: network, aliases: [service, name],
                    extraLabels: [
                        "com.docker.compose.project": project, "com.docker.compose.service": service,
                        "com.docker.compose.container-number": "1", "com.docker.compose.oneoff": "False",
                    ],
                    driver: .compose))
            }
            return endpoints
        }
        return Deployment(driver: .compose, endpoints: endpoints, networkName: network)
    }

    func deployHostNetwork(hosts: [String]) async throws -> Deployment {
        let endpoints = try await onEachHost(hosts) { host in
            [try await startProbe(
                host: host, name: context.name("host-\(host)"), network: "host", driver: .host,
                port: ProbeCommand.hostNetworkHTTPPort)]
        }
        return Deployment(driver: .host, endpoints: endpoints, networkName: "host")
    }

    func deployNone(hosts: [String]) async throws -> Deployment {
        let endpoints = try await onEachHost(hosts) { host in
            [try await startProbe(host: host, name: context.name("none-\(host)"), network: "none", driver: .none)]
        }
        return Deployment(driver: .none, endpoints: endpoints, networkName: "none")
    }

    func deployMacvlan(hosts: [String]) async throws -> Deployment {
        guard let settings = fleet.inventory.network.macvlan else {
            throw InputError(file: fleet.inventory.sourcePath, "the inventory has no network.macvlan section: macvlan cannot be deployed")
        }
        let network = context.name("mvl")
        let fleet = fleet
        let endpoints = try await onEachHost(hosts) { host in
            let config = fleet.config(host)
            guard let parent = config.interface else {
                throw InputError(file: fleet.inventory.sourcePath, "host \(host) has no `interface` (macvlan parent) in the inventory")
            }
            guard let range = settings.ranges[host] else {
                throw InputError(file: fleet.inventory.sourcePath, "network.macvlan.ranges has no range for host \(host)")
            }
            try await createNetwork(host: host, NetworkSpec(
                name: network, driver: "macvlan", labels: context.labels(), subnet: settings.subnet,
                gateway: settings.gateway, ipRange: range, options: ["parent": parent, "macvlan_mode": "bridge"]))
            return [try await startProbe(host: host, name: context.name("mvl-\(host)"), network: network, driver: .macvlan)]
        }
        return Deployment(driver: .macvlan, endpoints: endpoints, networkName: network)
    }
}
