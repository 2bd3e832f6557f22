import Foundation

/// `GET /version`.
public struct DockerVersion: Codable, Sendable, Equatable {
    public var version: String
    public var apiVersion: String
    public var kernelVersion: String?
    public var os: String?
    public var arch: String?

    enum CodingKeys: String, CodingKey {
        case version = "Version", apiVersion = "ApiVersion", kernelVersion = "KernelVersion", os = "Os", arch = "Arch"
    }
}

/// The parts of `GET /info` Crossnet uses.
public struct DockerInfo: Codable, Sendable, Equatable {
    public var name: String
    public var cpuCount: Int
    public var kernelVersion: String
    public var serverVersion: String
    /// The host's CPU architecture as `uname -m` says it (`x86_64`, `aarch64`).
    public var architecture: String?
    public var swarm: SwarmInfo

    enum CodingKeys: String, CodingKey {
        case name = "Name", cpuCount = "NCPU", kernelVersion = "KernelVersion", serverVersion = "ServerVersion", swarm = "Swarm"
        case architecture = "Architecture"
    }
}

/// A node's view of its swarm (`Swarm` in `GET /info`).
public struct SwarmInfo: Codable, Sendable, Equatable {
    public var nodeID: String
    public var nodeAddr: String
    /// `inactive`, `pending`, `active`, `error`, `locked`.
    public var localNodeState: String
    public var controlAvailable: Bool
    public var remoteManagers: [RemoteManager]?
    public var cluster: Cluster?

    public struct RemoteManager: Codable, Sendable, Equatable {
        public var nodeID: String
        public var addr: String
        enum CodingKeys: String, CodingKey { case nodeID = "NodeID", addr = "Addr" }
    }

    public struct Cluster: Codable, Sendable, Equatable {
        public var id: String
        enum CodingKeys: String, CodingKey { case id = "ID" }
    }

    enum CodingKeys: String, CodingKey {
        case nodeID = "NodeID", nodeAddr = "NodeAddr", localNodeState = "LocalNodeState"
        case controlAvailable = "ControlAvailable", remoteManagers = "RemoteManagers", cluster = "Cluster"
    }
}

/// `GET /swarm` (managers only): the join tokens.
public struct SwarmSpecInfo: Codable, Sendable {
    public var id: String
    public var joinTokens: JoinTokens
    public var spec: Spec?
    public struct Spec: Codable, Sendable {
        public var labels: [String: String]?
        enum CodingKeys: String, CodingKey { case labels = "Labels" }
    }
    public struct JoinTokens: Codable, Sendable {
        public var worker: String
        public var manager: String
        enum CodingKeys: String, CodingKey { case worker = "Worker", manager = "Manager" }
    }
    enum CodingKeys: String, CodingKey { case id = "ID", joinTokens = "JoinTokens", spec = "Spec" }
}

/// An entry of `GET /containers/json`.
public struct ContainerSummary: Codable, Sendable, Equatable {
    public var id: String
    public var names: [String]
    public var labels: [String: String]?
    public var state: String?
    enum CodingKeys: String, CodingKey { case id = "Id", names = "Names", labels = "Labels", state = "State" }
}

/// The parts of `GET /containers/{id}/json` Crossnet uses.
public struct ContainerDetails: Codable, Sendable {
    public var id: String
    public var name: String
    public var state: State
    public var networkSettings: NetworkSettingsInfo

    public struct State: Codable, Sendable {
        public var status: String
        public var running: Bool
        enum CodingKeys: String, CodingKey { case status = "Status", running = "Running" }
    }

    public struct NetworkSettingsInfo: Codable, Sendable {
        public var networks: [String: Endpoint]?
        enum CodingKeys: String, CodingKey { case networks = "Networks" }
    }

    public struct Endpoint: Codable, Sendable {
        public var ipAddress: String?
        public var aliases: [String]?
        public var networkID: String?
        enum CodingKeys: String, CodingKey { case ipAddress = "IPAddress", aliases = "Aliases", networkID = "NetworkID" }
    }

    enum CodingKeys: String, CodingKey { case id = "Id", name = "Name", state = "State", networkSettings = "NetworkSettings" }
}

/// An entry of `GET /networks`.
public struct NetworkSummary: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    public var driver: String
    public var scope: String?
    public var labels: [String: String]?
    enum CodingKeys: String, CodingKey { case id = "Id", name = "Name", driver = "Driver", scope = "Scope", labels = "Labels" }
}

/// An entry of `GET /volumes`.
public struct VolumeSummary: Codable, Sendable, Equatable {
    public var name: String
    public var labels: [String: String]?
    enum CodingKeys: String, CodingKey { case name = "Name", labels = "Labels" }
}

/// An entry of `GET /services`.
public struct ServiceSummary: Codable, Sendable, Equatable {
    public var id: String
    public var spec: Spec
    public struct Spec: Codable, Sendable, Equatable {
        public var name: String
        public var labels: [String: String]?
        enum CodingKeys: String, CodingKey { case name = "Name", labels = "Labels" }
    }
    enum CodingKeys: String, CodingKey { case id = "ID", spec = "Spec" }
}

/// An entry of `GET /tasks`.
public struct TaskSummary: Codable, Sendable {
    public var id: String
    public var nodeID: String?
    public var status: Status
    public var desiredState: String?

    public struct Status: Codable, Sendable {
        public var state: String
        public var err: String?
        public var containerStatus: ContainerStatus?
        enum CodingKeys: String, CodingKey { case state = "State", err = "Err", containerStatus = "ContainerStatus" }
    }

    public struct ContainerStatus: Codable, Sendable {
        public var containerID: String?
        enum CodingKeys: String, CodingKey { case containerID = "ContainerID" }
    }

    enum CodingKeys: String, CodingKey { case id = "ID", nodeID = "NodeID", status = "Status", desiredState = "DesiredState" }
}

/// The parts of `GET /images/{name}/json` Crossnet uses.
public struct ImageDetails: Codable, Sendable {
    public var id: String
    public var repoTags: [String]?
    enum CodingKeys: String, CodingKey { case id = "Id", repoTags = "RepoTags" }
}

/// What a command run in a container printed and how it ended.
public typealias ExecOutput = CommandOutput
