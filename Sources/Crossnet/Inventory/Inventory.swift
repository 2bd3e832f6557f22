/// The hosts Crossnet tests and how to reach them, read from an inventory YAML file.
///
/// See `docs/inventory.md` for the file format. Values here are validated and resolved: paths are
/// absolute, `~/.ssh/config` aliases are expanded, defaults are applied.
public struct Inventory: Sendable, Equatable {
    /// The file this inventory was read from (absolute path), if any.
    public var sourcePath: String?
    /// Hosts in file order; the first one is the swarm manager when Crossnet creates a swarm.
    public var hosts: [HostConfig]
    /// Settings for the macvlan and overlay drivers.
    public var network: NetworkSettings
    /// How measurements run.
    public var measurement: MeasurementSettings
    /// Limits used to flag results.
    public var thresholds: Thresholds
    /// The lab id when `crossnet lab up` wrote this inventory (`virtual_lab:`). Self-tests (tc
    /// accuracy, unplugging a host, simulated user swarms) run only when this names a lab whose
    /// state file sits next to the inventory (see `VirtualLabOwnership`).
    public var virtualLab: String?

    public init(
        sourcePath: String? = nil, hosts: [HostConfig], network: NetworkSettings = .init(),
        measurement: MeasurementSettings = .init(), thresholds: Thresholds = .init()
    ) {
        self.sourcePath = sourcePath
        self.hosts = hosts
        self.network = network
        self.measurement = measurement
        self.thresholds = thresholds
    }

    /// The host with this inventory name, if any.
    public func host(named name: String) -> HostConfig? { hosts.first { $0.name == name } }
}

/// One Docker host reached over SSH.
public struct HostConfig: Sendable, Equatable, Hashable {
    /// The inventory name (unique), used in reports and test names.
    public var name: String
    /// Address or DNS name SSH connects to (after `~/.ssh/config` resolution).
    public var address: String
    /// The IP other hosts and containers use to reach this one (swarm advertise address, claims,
    /// measurements): `data_address`, or the SSH address; a DNS name resolved once at load time.
    public var dataAddress: String
    /// The DNS name ``dataAddress`` was resolved from, `nil` when it was given as an IP.
    public var dataAddressName: String?
    /// The `~/.ssh/config` alias this host was given as, if any.
    public var sshAlias: String?
    /// SSH port.
    public var port: Int
    /// SSH user.
    public var user: String
    /// Private key files to try after ssh-agent, absolute paths.
    public var identityFiles: [String]
    /// known_hosts file used to verify the host key (absolute path).
    public var knownHostsFile: String
    /// Physical interface used as the macvlan parent, if the host has one for Crossnet.
    public var interface: String?
    /// Path of the Docker Engine socket on the host.
    public var dockerSocket: String
    /// Jump hosts SSH passes through (`ProxyJump` in the ssh config), first hop first; empty for
    /// a direct connection.
    public var proxyJump: [SSHHop]
    /// The ssh config file the host was resolved with, if one exists; the connection applies it
    /// again (libssh's parser) for its `IdentityFile` list and algorithm settings.
    public var sshConfigFile: String?

    public init(
        name: String, address: String, dataAddress: String? = nil, dataAddressName: String? = nil,
        sshAlias: String? = nil, port: Int = 22, user: String = "root",
        identityFiles: [String] = [], knownHostsFile: String, interface: String? = nil,
        dockerSocket: String = "/var/run/docker.sock", proxyJump: [SSHHop] = [], sshConfigFile: String? = nil
    ) {
        self.name = name
        self.address = address
        self.dataAddress = dataAddress ?? address
        self.dataAddressName = dataAddressName
        self.sshAlias = sshAlias
        self.port = port
        self.user = user
        self.identityFiles = identityFiles
        self.knownHostsFile = knownHostsFile
        self.interface = interface
        self.dockerSocket = dockerSocket
        self.proxyJump = proxyJump
        self.sshConfigFile = sshConfigFile
    }
}

/// One jump host on the way to an inventory host, resolved through the ssh config.
public struct SSHHop: Sendable, Equatable, Hashable {
    /// The name as written in `ProxyJump` (an ssh config alias or an address).
    public var name: String
    /// Address or DNS name to connect to.
    public var address: String
    /// SSH port.
    public var port: Int
    /// SSH user.
    public var user: String
    /// Private key files to try after ssh-agent (absolute); empty means libssh's list from the
    /// ssh config (`IdentityFile`, then `~/.ssh/id_ed25519`, `id_ecdsa`, `id_rsa`).
    public var identityFiles: [String]
    /// known_hosts file the jump host's key is verified against.
    public var knownHostsFile: String

    public init(
        name: String, address: String, port: Int = 22, user: String, identityFiles: [String] = [],
        knownHostsFile: String
    ) {
        self.name = name
        self.address = address
        self.port = port
        self.user = user
        self.identityFiles = identityFiles
        self.knownHostsFile = knownHostsFile
    }
}

/// Network settings the macvlan and overlay topologies need.
public struct NetworkSettings: Sendable, Equatable {
    /// macvlan settings; `nil` when the inventory has none (macvlan suites are skipped).
    public var macvlan: MacvlanSettings?
    /// Subnet for Crossnet's overlay network, `nil` to let Docker choose.
    public var overlaySubnet: String?
    /// Address pool for a swarm Crossnet creates (`swarm init --default-addr-pool`), `nil` for Docker's.
    public var swarmAddressPool: String?

    public init(macvlan: MacvlanSettings? = nil, overlaySubnet: String? = nil, swarmAddressPool: String? = nil) {
        self.macvlan = macvlan
        self.overlaySubnet = overlaySubnet
        self.swarmAddressPool = swarmAddressPool
    }
}

/// The physical subnet macvlan containers join, and each host's share of it.
public struct MacvlanSettings: Sendable, Equatable {
    /// The physical subnet, CIDR (e.g. `198.18.0.0/24`).
    public var subnet: String
    /// The subnet's gateway address.
    public var gateway: String
    /// Per-host IP range (CIDR inside `subnet`) keyed by host name; ranges must not overlap.
    public var ranges: [String: String]

    public init(subnet: String, gateway: String, ranges: [String: String]) {
        self.subnet = subnet
        self.gateway = gateway
        self.ranges = ranges
    }
}

/// How host pairs are chosen for measurements.
public enum PairMode: String, Sendable, Equatable, CaseIterable {
    /// Every ordered pair of distinct hosts.
    case mesh
    /// The first host with every other host, both directions.
    case star
}

/// Whether a measurement round's pairs run at the same time.
public enum MeasurementConcurrency: String, Sendable, Equatable, CaseIterable {
    /// The pairs of a round run at once (no host is in two pairs of a round): real labs, where
    /// every host has its own CPUs and NIC. A full mesh of N hosts takes N−1 rounds (N odd: N).
    case rounds
    /// One pair after another: hosts that share cores (the virtual lab).
    case serial
}

/// Measurement settings; the command line may override them.
public struct MeasurementSettings: Sendable, Equatable {
    /// Seconds per throughput measurement (iperf3 `-t`), excluding the omitted first second.
    public var durationSeconds: Int
    /// Repeats per figure.
    public var repeats: Int
    /// Host pairs to measure.
    public var pairs: PairMode
    /// Parallel TCP streams for the multi-stream throughput test (iperf3 `-P`).
    public var parallelStreams: Int
    /// Target rate for UDP throughput, bits per second.
    public var udpRateBitsPerSecond: Double
    /// Latency samples per repeat.
    public var latencySamples: Int
    /// Whether a round's pairs run at once (`rounds`, the default) or one after another (`serial`).
    public var concurrency: MeasurementConcurrency

    public init(
        durationSeconds: Int = 10, repeats: Int = 3, pairs: PairMode = .mesh, parallelStreams: Int = 4,
        udpRateBitsPerSecond: Double = 1e9, latencySamples: Int = 200, concurrency: MeasurementConcurrency = .rounds
    ) {
        self.concurrency = concurrency
        self.durationSeconds = durationSeconds
        self.repeats = repeats
        self.pairs = pairs
        self.parallelStreams = parallelStreams
        self.udpRateBitsPerSecond = udpRateBitsPerSecond
        self.latencySamples = latencySamples
    }
}

/// Limits used to flag results and gate regressions.
public struct Thresholds: Sendable, Equatable {
    /// A change worse than this percentage (and with non-overlapping CIs) is a regression.
    public var regressionTolerancePercent: Double
    /// A figure whose coefficient of variation exceeds this percentage is flagged `noisy`.
    public var noisyCoefficientOfVariationPercent: Double
    /// Sender or receiver CPU above this percentage flags a throughput figure `cpu-bound`.
    public var cpuBoundPercent: Double

    public init(
        regressionTolerancePercent: Double = 10, noisyCoefficientOfVariationPercent: Double = 10,
        cpuBoundPercent: Double = 90
    ) {
        self.regressionTolerancePercent = regressionTolerancePercent
        self.noisyCoefficientOfVariationPercent = noisyCoefficientOfVariationPercent
        self.cpuBoundPercent = cpuBoundPercent
    }
}
