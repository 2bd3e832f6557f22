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
        /// The socket the inventory and sshd's `DOCKER_HOST` name: the engine gate's with
        /// `--engine docker29`, `nil` when it is ``dockerSocket`` itself.
        var gateSocket: String?
        /// The engine gate's pid (`--engine docker29`).
        var gatePid: Int32?

        /// The socket Crossnet reaches this host's Engine through.
        var engineSocket: String { gateSocket ?? dockerSocket }
        /// The engine gate as started (`--engine docker29`).
        var gate: ProcessIdentity?
        /// The recorded engine gate still runs.
        var gateRunning: Bool { gate?.isRunning ?? false }

        /// sshd as started: executable and start time, so a reused pid is never taken for it.
        var sshd: ProcessIdentity?
        /// dockerd as started.
        var dockerd: ProcessIdentity?

        /// The recorded sshd still runs (the same process, not a later one with its pid).
        var sshdRunning: Bool { Self.running(sshd, pid: sshdPid, programNamed: "sshd") }
        /// The recorded dockerd still runs.
        var dockerdRunning: Bool { Self.running(dockerd, pid: dockerdPid, programNamed: "dockerd") }

        /// By identity; a state file written before identities were recorded falls back to the
        /// pid's executable name.
        static func running(_ identity: ProcessIdentity?, pid: Int32?, programNamed name: String) -> Bool {
            if let identity { return identity.isRunning }
            guard let pid else { return false }
            return LabProcesses.runs(pid, programNamed: name)
        }
    }

    /// One iptables rule: table, chain and the rule specification (as given to `-A`/`-D`).
    struct Rule: Codable, Sendable, Equatable {
        var table: String
        var chain: String
        var spec: [String]
        /// `true` for an ip6tables rule; absent (IPv4) in state files written before IPv6 rules.
        var ipv6: Bool? = nil

        /// `iptables` or `ip6tables`.
        var program: String { ipv6 == true ? "ip6tables" : "iptables" }
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
    /// What the hosts' Engines look like (``LabEngine``), `nil` for labs written before it existed.
    var engine: LabEngine?

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
