import Foundation

/// What a lab built, written to `D/state.json` before each step so `down` can undo any part of it.
struct LabState: Codable, Sendable, Equatable {
    struct Host: Codable, Sendable, Equatable {
        var name: String
        var address: String
        var netns: String
        var veth: String
        var macvlanRange: String
        var dockerSocket: String
        var execRoot: String
        var dataRoot: String
        var sshdPid: Int32?
        var dockerdPid: Int32?
    }

    /// One iptables rule: table, chain and the rule specification (as given to `-A`/`-D`).
    struct Rule: Codable, Sendable, Equatable {
        var table: String
        var chain: String
        var spec: [String]
    }

    var version = 1
    var id: String
    var directory: String
    var subnet: String
    var gateway: String
    var bridge: String
    /// `building`, `up`.
    var phase: String
    var createdAt: Date
    var hosts: [Host]
    var iptablesRules: [Rule] = []
    /// Bind mounts the lab made itself (UTS namespace files).
    var mounts: [String] = []
    /// The look of the lab (`nil` in state files written before the options existed: defaults).
    var options: LabOptions?
    /// The SSH user this lab created (`useradd`), removed by `down`.
    var createdUser: String?
    /// The group this lab created (`groupadd docker`), removed by `down`.
    var createdGroup: String?
    /// An existing user this lab added to the docker group, taken out again by `down`.
    var addedToGroup: String?

    static func path(in directory: String) -> String { directory + "/state.json" }

    static func load(directory: String) -> LabState? {
        guard let data = FileManager.default.contents(atPath: path(in: directory)) else { return nil }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try? decoder.decode(LabState.self, from: data)
    }

    func save() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        do {
            let data = try encoder.encode(self)
            try data.write(to: URL(fileURLWithPath: LabState.path(in: directory)), options: .atomic)
        } catch {
            throw LabError(
                step: "write \(LabState.path(in: directory))", reason: "\(error)",
                hint: "check the lab directory is writable")
        }
    }
}
