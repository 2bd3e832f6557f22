/// A running lab: where it is and how to reach its hosts.
public struct LabDescription: Sendable, Equatable {
    /// One lab host.
    public struct Host: Sendable, Equatable {
        /// `h1`…
        public var name: String
        /// Address on the lab bridge; SSH listens there on ``LabOptions/sshPort`` (22 by default).
        public var address: String
        /// Network namespace name (`/var/run/netns/<netns>`; the UTS file is `/var/run/uts/<netns>`).
        public var netns: String
        /// Absolute path of the socket Crossnet reaches the host's Engine through (the inventory's
        /// `docker_socket`): dockerd's own, or the engine gate's with ``LabEngine/docker29``.
        public var dockerSocket: String
        /// Absolute path of the real dockerd's socket (the same as ``dockerSocket`` without a gate).
        public var daemonSocket: String
    }

    /// Lab id (5 hex digits), the prefix `cn<id>` of every kernel object the lab makes.
    public var id: String
    /// The lab directory (absolute).
    public var directory: String
    /// The lab subnet (CIDR).
    public var subnet: String
    /// The bridge address in the root namespace.
    public var gateway: String
    /// The hosts, `h1` first.
    public var hosts: [Host]
    /// The inventory file for every crossnet command (absolute).
    public var inventoryPath: String
    /// The ssh config written next to the inventory (`--ssh-config` for every command when the
    /// inventory names hosts by alias, as behind a bastion).
    public var sshConfigPath: String
    /// How the lab looks (user, port, interface, bastion).
    public var options: LabOptions

    /// What the hosts' Engines look like.
    public var engine: LabEngine = .dockerd
}

/// What a lab host's Docker Engine looks like to Crossnet.
public enum LabEngine: String, Sendable, Codable, CaseIterable {
    /// Debian's dockerd (20.10, API 1.41) on its own socket.
    case dockerd
    /// The same dockerd behind an ``EngineGate``: a test double that answers like Docker 29
    /// (API 1.52, refuses clients below 1.44).
    case docker29

    /// File name of the socket Crossnet uses in the host's folder.
    var socketName: String { self == .docker29 ? "docker29.sock" : "docker.sock" }
}
