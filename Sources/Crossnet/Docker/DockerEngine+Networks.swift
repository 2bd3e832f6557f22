import Foundation

extension DockerEngine {
    /// `docker network create …`; returns the network ID.
    public func createNetwork(_ spec: NetworkSpec) async throws -> String {
        struct Created: Decodable {
            var id: String
            enum CodingKeys: String, CodingKey { case id = "Id" }
        }
        let cli = spec.cliLine
        let body = spec.createBody(for: try await apiVersion())
        let response = try await call("POST", "/networks/create", body: try Self.json(body), cli: cli)
        return try decode(Created.self, from: response, cli: cli).id
    }

    /// `docker network ls --filter label=…`.
    public func networks(label: String) async throws -> [NetworkSummary] {
        let cli = "docker network ls --filter label=\(label)"
        return try decode(
            [NetworkSummary].self, from: try await call("GET", "/networks", query: [Self.labelFilter(label)], cli: cli),
            cli: cli)
    }

    /// `docker network ls`.
    public func allNetworks() async throws -> [NetworkSummary] {
        let cli = "docker network ls"
        return try decode([NetworkSummary].self, from: try await call("GET", "/networks", cli: cli), cli: cli)
    }

    /// `docker network rm ID` (already gone is fine).
    public func removeNetwork(_ id: String) async throws {
        try await call("DELETE", "/networks/\(percentEncode(id))", cli: "docker network rm \(id.prefix(12))", expect: [404])
    }
}

extension DockerEngine {
    /// `docker swarm init --advertise-addr ADDR`; returns the node ID.
    public func swarmInit(advertiseAddress: String, defaultAddressPool: String?, labels: [String: String]) async throws -> String {
        struct Body: Encodable {
            var listenAddr = "0.0.0.0:2377"
            var advertiseAddr: String
            var defaultAddrPool: [String]?
            /// Size of the subnets carved from the pool; the Engine leaves it 0 (and the swarm
            /// allocator then fails every network) unless it is given with the pool.
            var subnetSize: Int?
            var spec: Spec
            struct Spec: Encodable {
                var labels: [String: String]
                enum CodingKeys: String, CodingKey { case labels = "Labels" }
            }
            enum CodingKeys: String, CodingKey {
                case listenAddr = "ListenAddr", advertiseAddr = "AdvertiseAddr", defaultAddrPool = "DefaultAddrPool"
                case subnetSize = "SubnetSize", spec = "Spec"
            }
        }
        var cli = "docker swarm init --advertise-addr \(advertiseAddress)"
        if let defaultAddressPool { cli += " --default-addr-pool \(defaultAddressPool) --default-addr-pool-mask-length 24" }
        let body = Body(
            advertiseAddr: advertiseAddress, defaultAddrPool: defaultAddressPool.map { [$0] },
            subnetSize: defaultAddressPool == nil ? nil : 24, spec: .init(labels: labels))
        let response = try await call("POST", "/swarm/init", body: try Self.json(body), cli: cli)
        return String(decoding: response.body, as: UTF8.self).trimmingCharacters(in: CharacterSet(charactersIn: "\"\n "))
    }

    /// `docker swarm join --token … MANAGER:2377`.
    public func swarmJoin(advertiseAddress: String, managerAddress: String, token: String) async throws {
        struct Body: Encodable {
            var listenAddr = "0.0.0.0:2377"
            var advertiseAddr: String
            var remoteAddrs: [String]
            var joinToken: String
            enum CodingKeys: String, CodingKey {
                case listenAddr = "ListenAddr", advertiseAddr = "AdvertiseAddr", remoteAddrs = "RemoteAddrs", joinToken = "JoinToken"
            }
        }
        // The token is a secret: it never reaches the transcript.
        let cli = "docker swarm join --advertise-addr \(advertiseAddress) --token <redacted> \(managerAddress):2377"
        let body = Body(advertiseAddr: advertiseAddress, remoteAddrs: ["\(managerAddress):2377"], joinToken: token)
        try await call("POST", "/swarm/join", body: try Self.json(body), cli: cli, timeout: .seconds(90))
    }

    /// `docker swarm inspect` (managers only): the swarm ID and join tokens.
    public func swarmInspect() async throws -> SwarmSpecInfo {
        let cli = "docker swarm inspect"
        return try decode(SwarmSpecInfo.self, from: try await call("GET", "/swarm", cli: cli), cli: cli)
    }

    /// `docker swarm leave --force`.
    public func swarmLeave() async throws {
        try await call("POST", "/swarm/leave", query: [("force", "1")], cli: "docker swarm leave --force", expect: [503])
    }

    /// `docker node ls`: node IDs with their hostnames and availability.
    public func nodes() async throws -> [SwarmNode] {
        let cli = "docker node ls"
        return try decode([SwarmNode].self, from: try await call("GET", "/nodes", cli: cli), cli: cli)
    }
}

/// An entry of `GET /nodes`.
public struct SwarmNode: Codable, Sendable {
    public var id: String
    public var description: Description
    public var status: Status
    public struct Description: Codable, Sendable {
        public var hostname: String
        enum CodingKeys: String, CodingKey { case hostname = "Hostname" }
    }
    public struct Status: Codable, Sendable {
        public var state: String
        public var addr: String?
        enum CodingKeys: String, CodingKey { case state = "State", addr = "Addr" }
    }
    enum CodingKeys: String, CodingKey { case id = "ID", description = "Description", status = "Status" }
}
