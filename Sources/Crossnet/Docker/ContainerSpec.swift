/// What Crossnet asks the Engine for when it creates a container.
public struct ContainerSpec: Sendable, Equatable {
    public var name: String
    public var image: String
    public var command: [String]
    public var labels: [String: String]
    /// `bridge`, `host`, `none`, or a network name.
    public var networkMode: String
    /// Network aliases on `networkMode` (user-defined networks only), e.g. a Compose service name.
    public var aliases: [String]
    /// A fixed IPv4 address on `networkMode`, if any.
    public var ipv4Address: String?
    public var hostname: String?
    /// Capabilities added (probes need `NET_RAW` for ping, `NET_ADMIN` to read routes).
    public var capAdd: [String]
    /// Container ports published on the host's addresses (`-p HOSTPORT:PORT/PROTO`).
    public var publishedPorts: [PublishedPort]

    public init(
        name: String, image: String, command: [String], labels: [String: String], networkMode: String,
        aliases: [String] = [], ipv4Address: String? = nil, hostname: String? = nil,
        capAdd: [String] = ["NET_ADMIN", "NET_RAW"], publishedPorts: [PublishedPort] = []
    ) {
        self.name = name
        self.image = image
        self.command = command
        self.labels = labels
        self.networkMode = networkMode
        self.aliases = aliases
        self.ipv4Address = ipv4Address
        self.hostname = hostname
        self.capAdd = capAdd
        self.publishedPorts = publishedPorts
    }

    /// The equivalent `docker run` line for the transcript.
    public var cliLine: String {
        var parts = ["docker run -d --name \(name) --network \(networkMode)"]
        for alias in aliases { parts.append("--network-alias \(alias)") }
        if let ipv4Address { parts.append("--ip \(ipv4Address)") }
        if let hostname { parts.append("--hostname \(hostname)") }
        for cap in capAdd { parts.append("--cap-add \(cap)") }
        for port in publishedPorts { parts.append("-p \(port)") }
        for (key, value) in labels.sorted(by: { $0.key < $1.key }) { parts.append("--label \(key)=\(value)") }
        parts.append(image)
        parts.append(contentsOf: command)
        return parts.joined(separator: " ")
    }

    /// The `POST /containers/create` body.
    var createBody: CreateBody {
        let userNetwork = !["bridge", "host", "none", "default"].contains(networkMode)
        var endpoints: [String: CreateBody.EndpointSettings] = [:]
        if userNetwork {
            endpoints[networkMode] = CreateBody.EndpointSettings(
                aliases: aliases.isEmpty ? nil : aliases,
                ipamConfig: ipv4Address.map { CreateBody.IPAM(ipv4Address: $0) })
        }
        var bindings: [String: [CreateBody.PortBinding]] = [:]
        for port in publishedPorts {
            bindings[port.containerKey, default: []].append(CreateBody.PortBinding(hostPort: String(port.hostPort)))
        }
        return CreateBody(
            image: image, cmd: command, labels: labels, hostname: hostname,
            exposedPorts: bindings.isEmpty ? nil : bindings.mapValues { _ in CreateBody.Empty() },
            hostConfig: .init(
                networkMode: networkMode, capAdd: capAdd, init: true, portBindings: bindings.isEmpty ? nil : bindings),
            networkingConfig: .init(endpointsConfig: endpoints))
    }

    struct CreateBody: Encodable {
        var image: String
        var cmd: [String]
        var labels: [String: String]
        var hostname: String?
        var exposedPorts: [String: Empty]?
        var hostConfig: HostConfigBody
        var networkingConfig: NetworkingConfig

        struct Empty: Encodable {}
        struct PortBinding: Encodable {
            var hostPort: String
            enum CodingKeys: String, CodingKey { case hostPort = "HostPort" }
        }
        struct HostConfigBody: Encodable {
            var networkMode: String
            var capAdd: [String]
            var `init`: Bool
            var portBindings: [String: [PortBinding]]?
            enum CodingKeys: String, CodingKey {
                case networkMode = "NetworkMode", capAdd = "CapAdd", `init` = "Init", portBindings = "PortBindings"
            }
        }
        struct NetworkingConfig: Encodable {
            var endpointsConfig: [String: EndpointSettings]
            enum CodingKeys: String, CodingKey { case endpointsConfig = "EndpointsConfig" }
        }
        struct EndpointSettings: Encodable {
            var aliases: [String]?
            var ipamConfig: IPAM?
            enum CodingKeys: String, CodingKey { case aliases = "Aliases", ipamConfig = "IPAMConfig" }
        }
        struct IPAM: Encodable {
            var ipv4Address: String
            enum CodingKeys: String, CodingKey { case ipv4Address = "IPv4Address" }
        }
        enum CodingKeys: String, CodingKey {
            case image = "Image", cmd = "Cmd", labels = "Labels", hostname = "Hostname", exposedPorts = "ExposedPorts"
            case hostConfig = "HostConfig", networkingConfig = "NetworkingConfig"
        }
    }
}

/// A container port published on every address of its host (`docker run -p HOSTPORT:PORT/PROTO`):
/// traffic to `<host address>:hostPort` is DNATed to the container's `containerPort`.
public struct PublishedPort: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// `tcp` or `udp`.
    public enum TransportProtocol: String, Sendable, Hashable { case tcp, udp }

    public var containerPort: Int
    public var hostPort: Int
    public var `protocol`: TransportProtocol

    public init(containerPort: Int, hostPort: Int, protocol: TransportProtocol = .tcp) {
        self.containerPort = containerPort
        self.hostPort = hostPort
        self.protocol = `protocol`
    }

    /// `HOSTPORT:PORT/PROTO`, as `docker run -p` takes it.
    public var description: String { "\(hostPort):\(containerPort)/\(`protocol`.rawValue)" }

    /// `PORT/PROTO`, the Engine API's key in `ExposedPorts` and `PortBindings`.
    var containerKey: String { "\(containerPort)/\(`protocol`.rawValue)" }
}

/// What Crossnet asks for when it creates a network.
public struct NetworkSpec: Sendable, Equatable {
    public var name: String
    /// `bridge`, `overlay`, `macvlan`.
    public var driver: String
    public var labels: [String: String]
    public var attachable: Bool
    public var subnet: String?
    public var gateway: String?
    public var ipRange: String?
    /// Driver options, e.g. `parent` for macvlan.
    public var options: [String: String]

    public init(
        name: String, driver: String, labels: [String: String], attachable: Bool = false, subnet: String? = nil,
        gateway: String? = nil, ipRange: String? = nil, options: [String: String] = [:]
    ) {
        self.name = name
        self.driver = driver
        self.labels = labels
        self.attachable = attachable
        self.subnet = subnet
        self.gateway = gateway
        self.ipRange = ipRange
        self.options = options
    }

    /// The equivalent `docker network create` line.
    public var cliLine: String {
        var parts = ["docker network create -d \(driver)"]
        if attachable { parts.append("--attachable") }
        if let subnet { parts.append("--subnet \(subnet)") }
        if let gateway { parts.append("--gateway \(gateway)") }
        if let ipRange { parts.append("--ip-range \(ipRange)") }
        for (key, value) in options.sorted(by: { $0.key < $1.key }) { parts.append("-o \(key)=\(value)") }
        for (key, value) in labels.sorted(by: { $0.key < $1.key }) { parts.append("--label \(key)=\(value)") }
        parts.append(name)
        return parts.joined(separator: " ")
    }

    /// The `POST /networks/create` body for API `version`: `CheckDuplicate` only below 1.44,
    /// where it is deprecated (daemons that speak 1.44 always refuse a duplicate name).
    func createBody(for version: EngineAPIVersion) -> CreateBody {
        let ipam: CreateBody.IPAM? = subnet.map {
            CreateBody.IPAM(config: [.init(subnet: $0, gateway: gateway, ipRange: ipRange)])
        }
        return CreateBody(
            name: name, driver: driver, labels: labels, attachable: attachable,
            checkDuplicate: version < EngineAPIVersion(1, 44) ? true : nil, ipam: ipam, options: options)
    }

    struct CreateBody: Encodable {
        var name: String
        var driver: String
        var labels: [String: String]
        var attachable: Bool
        var checkDuplicate: Bool?
        var ipam: IPAM?
        var options: [String: String]
        struct IPAM: Encodable {
            var config: [Pool]
            enum CodingKeys: String, CodingKey { case config = "Config" }
        }
        struct Pool: Encodable {
            var subnet: String
            var gateway: String?
            var ipRange: String?
            enum CodingKeys: String, CodingKey { case subnet = "Subnet", gateway = "Gateway", ipRange = "IPRange" }
        }
        enum CodingKeys: String, CodingKey {
            case name = "Name", driver = "Driver", labels = "Labels", attachable = "Attachable"
            case checkDuplicate = "CheckDuplicate", ipam = "IPAM", options = "Options"
        }
    }
}
