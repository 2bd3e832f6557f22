/// A probe container deployed for a topology: where it runs and how others can address it.
public struct ProbeEndpoint: Sendable, Equatable {
    /// The inventory host it runs on.
    public var host: String
    /// Container ID on that host.
    public var containerID: String
    /// Container name (what Docker's DNS resolves on user networks).
    public var name: String
    /// Extra DNS names (network aliases, Compose service name).
    public var aliases: [String]
    /// Its IPv4 address on the topology's network (the host address for `host`, `nil` for `none`).
    public var address: String?
    /// `true` for a swarm service's task container (created by the swarm, not by Crossnet directly).
    public var isServiceTask: Bool
    /// The address of the host it runs on (from the inventory), where its published ports listen.
    public var hostAddress: String?
    /// Its ports published on the host (the bridge topology's target probe).
    public var publishedPorts: [PublishedPort]

    public init(
        host: String, containerID: String, name: String, aliases: [String] = [], address: String?,
        isServiceTask: Bool = false, hostAddress: String? = nil, publishedPorts: [PublishedPort] = []
    ) {
        self.host = host
        self.containerID = containerID
        self.name = name
        self.aliases = aliases
        self.address = address
        self.isServiceTask = isServiceTask
        self.hostAddress = hostAddress
        self.publishedPorts = publishedPorts
    }

    /// The host port `containerPort`/`proto` is published on, if it is.
    public func hostPort(for containerPort: Int, _ proto: PublishedPort.TransportProtocol = .tcp) -> Int? {
        publishedPorts.first { $0.containerPort == containerPort && $0.protocol == proto }?.hostPort
    }
}

/// Ports the probe servers listen on inside their containers, and the host ports the bridge
/// topology publishes them on.
public enum ProbePorts {
    /// iperf3 server (TCP control and data, UDP data).
    public static let iperf3 = 45201
    /// sockperf server (TCP and UDP).
    public static let sockperf = 45202

    /// What the bridge topology's target probe (`b` on each host) publishes: the HTTP server on
    /// 48080, iperf3 on 46201 and sockperf on 46202 (TCP and UDP). The host ports differ from the
    /// container ports so they never collide with the same servers on the host network.
    public static let bridgePublished: [PublishedPort] = [
        PublishedPort(containerPort: ProbeCommand.httpPort, hostPort: 48080),
        PublishedPort(containerPort: iperf3, hostPort: 46201),
        PublishedPort(containerPort: iperf3, hostPort: 46201, protocol: .udp),
        PublishedPort(containerPort: sockperf, hostPort: 46202),
        PublishedPort(containerPort: sockperf, hostPort: 46202, protocol: .udp),
    ]
}

/// The probe command every probe container runs: an HTTP server on ``ProbeCommand/httpPort`` for
/// TCP checks, then sleep. Its page, `crossnet <hostname>`, says which container answered (the
/// container name on bridge-type networks, the host's name on the host network).
public enum ProbeCommand {
    /// TCP port of the HTTP server in each probe container (bridge-type networks).
    public static let httpPort = 8080
    /// TCP port used on the host network, away from common services.
    public static let hostNetworkHTTPPort = 47080

    /// `sh -c` script: write an index page naming the container, start busybox httpd on `port`,
    /// sleep forever.
    public static func serve(port: Int) -> [String] {
        ["sh", "-c", "echo crossnet $(hostname) > /tmp/index.html && httpd -p \(port) -h /tmp && exec sleep infinity"]
    }

    /// The page a probe whose hostname is `name` serves.
    public static func page(of name: String) -> String { "crossnet \(name)" }
}
