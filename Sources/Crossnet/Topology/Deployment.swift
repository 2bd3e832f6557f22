/// A topology as deployed: its probe containers and what the suites need to know about it.
public struct Deployment: Sendable {
    public var driver: DriverID
    /// Probe containers, in host order.
    public var endpoints: [ProbeEndpoint]
    /// The Docker network the probes are on (`bridge`, `host`, `none` or the created network).
    public var networkName: String
    /// Facts worth reporting, e.g. why the overlay service uses `dnsrr`.
    public var notes: [String]

    public init(driver: DriverID, endpoints: [ProbeEndpoint], networkName: String, notes: [String] = []) {
        self.driver = driver
        self.endpoints = endpoints
        self.networkName = networkName
        self.notes = notes
    }

    /// The probes on `host`.
    public func endpoints(on host: String) -> [ProbeEndpoint] { endpoints.filter { $0.host == host } }

    /// Swarm service task containers (overlay), in host order.
    public var serviceTasks: [ProbeEndpoint] { endpoints.filter(\.isServiceTask) }

    /// Probe containers Crossnet started itself (not service tasks) on `host`.
    public func probes(on host: String) -> [ProbeEndpoint] { endpoints.filter { $0.host == host && !$0.isServiceTask } }

    /// The first probe on `host`.
    public func endpoint(on host: String) -> ProbeEndpoint? { endpoints.first { $0.host == host } }
}
