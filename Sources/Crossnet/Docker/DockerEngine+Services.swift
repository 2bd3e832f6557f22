import Foundation

/// A swarm service Crossnet creates (`docker service create`).
public struct ServiceSpec: Sendable, Equatable {
    public var name: String
    public var image: String
    public var command: [String]
    public var labels: [String: String]
    public var network: String
    public var aliases: [String]
    /// `vip` or `dnsrr`.
    public var endpointMode: String
    /// `global` runs one task on every node; otherwise `replicas` tasks.
    public var global: Bool
    public var replicas: Int
    /// Placement constraints (`--constraint`), all of which a node must meet, e.g. `node.id!=ID`.
    public var constraints: [String]

    public init(
        name: String, image: String, command: [String], labels: [String: String], network: String,
        aliases: [String] = [], endpointMode: String = "vip", global: Bool = true, replicas: Int = 1,
        constraints: [String] = []
    ) {
        self.name = name
        self.image = image
        self.command = command
        self.labels = labels
        self.network = network
        self.aliases = aliases
        self.endpointMode = endpointMode
        self.global = global
        self.replicas = replicas
        self.constraints = constraints
    }

    /// The equivalent `docker service create` line.
    public var cliLine: String {
        let attachment = aliases.isEmpty ? network : (["name=\(network)"] + aliases.map { "alias=\($0)" }).joined(separator: ",")
        var parts = ["docker service create --name \(name) --network \(attachment)"]
        for constraint in constraints { parts.append("--constraint '\(constraint)'") }
        parts.append(global ? "--mode global" : "--replicas \(replicas)")
        parts.append("--endpoint-mode \(endpointMode) --cap-add NET_ADMIN --cap-add NET_RAW")
        for (key, value) in labels.sorted(by: { $0.key < $1.key }) { parts.append("--label \(key)=\(value) --container-label \(key)=\(value)") }
        parts.append(image)
        parts.append(contentsOf: command)
        return parts.joined(separator: " ")
    }

    struct Body: Encodable {
        var name: String
        var labels: [String: String]
        var taskTemplate: TaskTemplate
        var mode: Mode
        var endpointSpec: EndpointSpec
        struct TaskTemplate: Encodable {
            var containerSpec: Container
            var networks: [Attachment]
            var restartPolicy = Restart()
            var placement: Placement?
            enum CodingKeys: String, CodingKey {
                case containerSpec = "ContainerSpec", networks = "Networks", restartPolicy = "RestartPolicy", placement = "Placement"
            }
        }
        struct Placement: Encodable {
            var constraints: [String]
            enum CodingKeys: String, CodingKey { case constraints = "Constraints" }
        }
        struct Restart: Encodable {
            var condition = "none"
            enum CodingKeys: String, CodingKey { case condition = "Condition" }
        }
        struct Container: Encodable {
            var image: String
            var command: [String]
            var labels: [String: String]
            var capabilityAdd: [String]
            var `init`: Bool
            enum CodingKeys: String, CodingKey {
                case image = "Image", command = "Command", labels = "Labels", capabilityAdd = "CapabilityAdd", `init` = "Init"
            }
        }
        struct Attachment: Encodable {
            var target: String
            var aliases: [String]?
            enum CodingKeys: String, CodingKey { case target = "Target", aliases = "Aliases" }
        }
        struct Mode: Encodable {
            var global: Empty?
            var replicated: Replicated?
            enum CodingKeys: String, CodingKey { case global = "Global", replicated = "Replicated" }
        }
        struct Empty: Encodable {}
        struct Replicated: Encodable {
            var replicas: Int
            enum CodingKeys: String, CodingKey { case replicas = "Replicas" }
        }
        struct EndpointSpec: Encodable {
            var mode: String
            enum CodingKeys: String, CodingKey { case mode = "Mode" }
        }
        enum CodingKeys: String, CodingKey {
            case name = "Name", labels = "Labels", taskTemplate = "TaskTemplate", mode = "Mode", endpointSpec = "EndpointSpec"
        }
    }

    var body: Body {
        Body(
            name: name, labels: labels,
            taskTemplate: .init(
                containerSpec: .init(image: image, command: command, labels: labels, capabilityAdd: ["NET_ADMIN", "NET_RAW"], init: true),
                networks: [.init(target: network, aliases: aliases.isEmpty ? nil : aliases)],
                placement: constraints.isEmpty ? nil : .init(constraints: constraints)),
            mode: global ? .init(global: .init()) : .init(replicated: .init(replicas: replicas)),
            endpointSpec: .init(mode: endpointMode))
    }
}

extension DockerEngine {
    /// `docker service create …`; returns the service ID.
    public func createService(_ spec: ServiceSpec) async throws -> String {
        struct Created: Decodable {
            var id: String
            enum CodingKeys: String, CodingKey { case id = "ID" }
        }
        let cli = spec.cliLine
        let response = try await call("POST", "/services/create", body: try Self.json(spec.body), cli: cli)
        return try decode(Created.self, from: response, cli: cli).id
    }

    /// `docker service ls --filter label=…`.
    public func services(label: String) async throws -> [ServiceSummary] {
        let cli = "docker service ls --filter label=\(label)"
        return try decode(
            [ServiceSummary].self, from: try await call("GET", "/services", query: [Self.labelFilter(label)], cli: cli),
            cli: cli)
    }

    /// `docker service ls`.
    public func allServices() async throws -> [ServiceSummary] {
        let cli = "docker service ls"
        return try decode([ServiceSummary].self, from: try await call("GET", "/services", cli: cli), cli: cli)
    }

    /// `docker service rm ID` (already gone is fine).
    public func removeService(_ id: String) async throws {
        try await call("DELETE", "/services/\(id)", cli: "docker service rm \(id.prefix(12))", expect: [404])
    }

    /// `docker service ps ID`: the service's tasks.
    public func tasks(service: String) async throws -> [TaskSummary] {
        let cli = "docker service ps \(service.prefix(12))"
        let filter = String(decoding: try JSONEncoder().encode(["service": [service]]), as: UTF8.self)
        return try decode([TaskSummary].self, from: try await call("GET", "/tasks", query: [("filters", filter)], cli: cli), cli: cli)
    }
}
