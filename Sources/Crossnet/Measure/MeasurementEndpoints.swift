/// The two probe containers one measurement runs between, and how the source addresses the target.
public struct MeasurementEndpoints: Sendable, Equatable {
    public var driver: DriverID
    /// Runs the client (iperf3 `-c`, sockperf `ping-pong`, ping, lookups).
    public var source: ProbeEndpoint
    /// Runs the server.
    public var target: ProbeEndpoint
    /// The target's address on the topology's network.
    public var targetAddress: String
    /// A name the source resolves through the container's resolver, when the driver has one
    /// (embedded DNS on user networks, the service name `web` on overlay and Compose).
    public var dnsName: String?
    /// Ports the source connects to instead of the server's own, keyed by the server's port: the
    /// host ports of a published port (`45201` → `46201`). Empty when the source reaches the
    /// server directly.
    public var portMap: [Int: Int]

    public var pair: HostPairOrder { HostPairOrder(source: source.host, target: target.host) }

    /// Across hosts or on one host, from the hosts the two probes run on.
    public var placement: MeasurementPlacement { source.host == target.host ? .sameHost : .crossHost }

    /// The port the source connects to for a server listening on `serverPort` in the target.
    public func clientPort(_ serverPort: Int) -> Int { portMap[serverPort] ?? serverPort }

    public init(
        driver: DriverID, source: ProbeEndpoint, target: ProbeEndpoint, targetAddress: String, dnsName: String?,
        portMap: [Int: Int] = [:]
    ) {
        self.driver = driver
        self.source = source
        self.target = target
        self.targetAddress = targetAddress
        self.dnsName = dnsName
        self.portMap = portMap
    }
}

extension MeasurementSchedule.Mode {
    /// Bridge-type drivers reach only containers on the same host; the others cross hosts.
    public static func forDriver(_ driver: DriverID, pairs: PairMode) -> Self {
        switch driver {
        case .bridge, .userBridge, .compose: .local
        case .host, .none, .overlay, .macvlan: pairs == .star ? .star : .mesh
        }
    }
}

extension Deployment {
    /// Bridge across hosts: the source probe on `pair.source` reaches the target probe on
    /// `pair.target` at the target host's address through its published ports (DNAT), the only way
    /// a default-bridge container is reached from another host.
    public func publishedPortEndpoints(for pair: HostPairOrder) throws -> MeasurementEndpoints {
        let operation = "pick probes for \(pair) through a published port on \(driver.rawValue)"
        guard let source = probes(on: pair.source).first,
            let target = probes(on: pair.target).first(where: { !$0.publishedPorts.isEmpty })
        else {
            throw MeasurementError.noSamples(host: pair.target, operation: operation + ": no probe with published ports")
        }
        guard let address = target.hostAddress else {
            throw MeasurementError.noAddress(host: target.host, operation: operation, endpoint: target.name)
        }
        var portMap: [Int: Int] = [:]
        for port in target.publishedPorts { portMap[port.containerPort] = port.hostPort }
        return MeasurementEndpoints(
            driver: driver, source: source, target: target, targetAddress: address, dnsName: nil, portMap: portMap)
    }

    /// The host's loopback on `host` (the same-host baseline): client and server in the one
    /// host-network probe there, talking over `127.0.0.1`.
    public func loopbackEndpoints(on host: String) throws -> MeasurementEndpoints {
        guard driver == .host, let probe = endpoint(on: host) else {
            throw MeasurementError.noSamples(
                host: host, operation: "pick the host-network probe for loopback on \(driver.rawValue): none on \(host)")
        }
        return MeasurementEndpoints(driver: .host, source: probe, target: probe, targetAddress: "127.0.0.1", dnsName: nil)
    }

    /// The probes to measure `pair` between on this deployment's driver: two containers on one
    /// host for bridge-type drivers (`source == target` host), one on each host otherwise.
    public func measurementEndpoints(for pair: HostPairOrder) throws -> MeasurementEndpoints {
        let operation = "pick probes for \(pair) on \(driver.rawValue)"
        let source: ProbeEndpoint?
        let target: ProbeEndpoint?
        var dnsName: String?
        switch driver {
        case .bridge, .userBridge:
            let local = probes(on: pair.source)
            source = local.first
            target = local.dropFirst().first
            dnsName = driver == .userBridge ? target?.name : nil
        case .compose:
            let local = probes(on: pair.source)
            source = local.first { $0.aliases.contains("client") }
            target = local.first { $0.aliases.contains("web") }
            dnsName = "web"
        case .host, .none, .macvlan:
            source = endpoint(on: pair.source)
            target = endpoint(on: pair.target)
            // A macvlan network is local to each host: a container resolves its own name there.
            dnsName = driver == .macvlan ? source?.name : nil
        case .overlay:
            source = probes(on: pair.source).first
            target = probes(on: pair.target).first
            dnsName = "web"
        }
        guard let source, let target else {
            throw MeasurementError.noSamples(host: pair.source, operation: operation + ": no probe container")
        }
        guard let address = target.address else {
            throw MeasurementError.noAddress(host: target.host, operation: operation, endpoint: target.name)
        }
        return MeasurementEndpoints(driver: driver, source: source, target: target, targetAddress: address, dnsName: dnsName)
    }
}
