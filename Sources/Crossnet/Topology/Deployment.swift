/// A topology as deployed: its probe containers and what the suites need to know about it.
public struct Deployment: Sendable {
    public var driver: DriverID
    /// Probe containers, in host order.
    public var endpoints: [ProbeEndpoint]
    /// The Docker network the probes are on (`bridge`, `host`, `none` or the created network).
    public var networkName: String
    /// Facts worth reporting, e.g. why the overlay service uses `dnsrr`.
    public var notes: [String]
    /// The swarm service Crossnet created (overlay only): its run-scoped name, e.g. `cn-3fa2-web`.
    public var serviceName: String?
    /// The name containers on ``networkName`` reach the service by: a network alias (`web`) that
    /// only this run's network knows, so a user's own service `web` elsewhere does not collide.
    public var serviceAlias: String?
    /// Swarm nodes outside the inventory (`hostname (node ID)`): never touched, no task placed there.
    public var foreignNodes: [String]

    public init(
        driver: DriverID, endpoints: [ProbeEndpoint], networkName: String, notes: [String] = [],
        serviceName: String? = nil, serviceAlias: String? = nil, foreignNodes: [String] = []
    ) {
        self.driver = driver
        self.endpoints = endpoints
        self.networkName = networkName
        self.notes = notes
        self.serviceName = serviceName
        self.serviceAlias = serviceAlias
        self.foreignNodes = foreignNodes
    }

    /// The DNS name that resolves to one address per service task (`tasks.web`): Docker registers
    /// `tasks.<alias>` for every alias, next to `tasks.<service name>`.
    public var tasksName: String? { serviceAlias.map { "tasks.\($0)" } }

    /// The probes on `host`.
    public func endpoints(on host: String) -> [ProbeEndpoint] { endpoints.filter { $0.host == host } }

    /// Swarm service task containers (overlay), in host order.
    public var serviceTasks: [ProbeEndpoint] { endpoints.filter(\.isServiceTask) }

    /// Probe containers Crossnet started itself (not service tasks) on `host`.
    public func probes(on host: String) -> [ProbeEndpoint] { endpoints.filter { $0.host == host && !$0.isServiceTask } }

    /// The first probe on `host`.
    public func endpoint(on host: String) -> ProbeEndpoint? { endpoints.first { $0.host == host } }
}
