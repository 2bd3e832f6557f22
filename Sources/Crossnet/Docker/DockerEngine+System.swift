import Foundation

extension DockerEngine {
    /// `docker version`.
    public func version() async throws -> DockerVersion {
        let cli = "docker version"
        return try decode(DockerVersion.self, from: try await call("GET", "/version", cli: cli), cli: cli)
    }

    /// `docker info`.
    public func info() async throws -> DockerInfo {
        let cli = "docker info"
        return try decode(DockerInfo.self, from: try await call("GET", "/info", cli: cli), cli: cli)
    }
}

extension DockerEngine {
    /// Label filter for list calls: `{"label": ["k=v"]}`.
    static func labelFilter(_ label: String) -> (String, String) {
        let filter = ["label": [label]]
        let data = (try? JSONEncoder().encode(filter)) ?? Data()
        return ("filters", String(decoding: data, as: UTF8.self))
    }
}

extension DockerEngine {
    /// `docker volume ls --filter label=…`.
    public func volumes(label: String) async throws -> [VolumeSummary] {
        let cli = "docker volume ls --filter label=\(label)"
        struct List: Decodable {
            var volumes: [VolumeSummary]?
            enum CodingKeys: String, CodingKey { case volumes = "Volumes" }
        }
        let response = try await call("GET", "/volumes", query: [Self.labelFilter(label)], cli: cli)
        return try decode(List.self, from: response, cli: cli).volumes ?? []
    }

    /// `docker volume rm NAME`.
    public func removeVolume(_ name: String) async throws {
        try await call("DELETE", "/volumes/\(percentEncode(name))", cli: "docker volume rm \(name)", expect: [404])
    }
}

extension DockerEngine {
    /// `docker volume create --label … NAME`. The Engine returns the existing volume, unchanged,
    /// when one has this name (one at a time per name): comparing the returned labels with the
    /// ones sent tells whether this call created it, which makes a named volume a lock.
    public func createVolume(_ name: String, labels: [String: String]) async throws -> VolumeSummary {
        struct Body: Encodable {
            var name: String
            var labels: [String: String]
            enum CodingKeys: String, CodingKey { case name = "Name", labels = "Labels" }
        }
        let cli = "docker volume create " + labels.sorted { $0.key < $1.key }.map { "--label \($0.key)=\($0.value) " }.joined() + name
        let response = try await call("POST", "/volumes/create", body: try Self.json(Body(name: name, labels: labels)), cli: cli)
        return try decode(VolumeSummary.self, from: response, cli: cli)
    }

    /// `docker volume inspect NAME`, `nil` when there is none.
    public func inspectVolume(_ name: String) async throws -> VolumeSummary? {
        let cli = "docker volume inspect \(name)"
        let response = try await call("GET", "/volumes/\(percentEncode(name))", cli: cli, expect: [404])
        if response.status == 404 { return nil }
        return try decode(VolumeSummary.self, from: response, cli: cli)
    }
}
