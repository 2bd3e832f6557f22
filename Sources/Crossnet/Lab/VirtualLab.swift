import Foundation
import Logging

/// A lab of N Docker hosts on this machine, each a network + UTS namespace with its own sshd and
/// dockerd, joined by a bridge in the root namespace (where Crossnet runs).
///
/// Layout of lab directory `D` (lab id `<id>` = 5 hex digits hashed from `D`'s absolute path):
/// - `D/state.json` what was built (read by ``down(logger:)``), `D/inventory.yaml` the inventory;
/// - `D/id_ed25519` the lab-only client key, `D/known_hosts`;
/// - `D/hN/` per host: `sshd_config`, `ssh_host_ed25519_key`, `sshd.pid`, `sshd.log`,
///   `docker/` (data root), `docker.sock`, `dockerd.pid`, `dockerd.log`;
/// - `/run/crossnet/<id>/` (root, 0700): `authorized_keys` (sshd runs with `StrictModes yes`) and
///   `hN/`, dockerd's exec root (kept short for unix socket paths).
///
/// `D` must belong to the user running the lab and be writable by no group or other user; `up`
/// creates it 0700. Lab daemons are recorded by executable and start time (``ProcessIdentity``).
/// Lab hosts have IPv6 disabled, and ip6tables rules tagged like the IPv4 ones drop what the
/// bridge would route.
///
/// Kernel objects: bridge `cn<id>br` with the subnet's first address; namespaces `cn<id>-hN`
/// (`/var/run/netns/…`, `/var/run/uts/…`); veths `cn<id>hN` whose namespace side is `eth0` (or
/// ``LabOptions/interfaceName``);
/// root-namespace iptables rules commented `crossnet-lab-<id>`. Hosts have no default route.
/// Inside each host dockerd takes container networks from 198.19.0.0/17 (/24 each) and gives
/// containers the bridge address as DNS server, so nothing tries to reach outside the lab.
public struct VirtualLab: Sendable {
    /// The lab directory the CLI uses when none is given.
    public static let defaultDirectory = ".lab"
    /// Container address pool of every lab host's dockerd.
    public static let dockerAddressPool = "base=198.19.0.0/17,size=24"
    /// How long `up` waits for each dockerd to answer.
    public static let dockerdDeadline: Duration = .seconds(60)

    /// The lab directory (absolute, standardized).
    public let directory: String
    /// The lab id, prefix of every kernel object name (`cn<id>…`).
    public let id: String

    /// A lab kept in `directory`; a relative path is resolved against the current directory.
    public init(directory: String) {
        let absolute =
            directory.hasPrefix("/")
            ? directory : FileManager.default.currentDirectoryPath + "/" + directory
        var path = URL(fileURLWithPath: absolute).standardizedFileURL.path
        while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
        self.directory = path
        self.id = LabAddressPlan.labID(forDirectory: path)
    }

    static let netnsFolder = "/var/run/netns"
    static let utsFolder = "/var/run/uts"
    var runRoot: String { "/run/crossnet/\(id)" }
    var comment: String { "crossnet-lab-\(id)" }
    var inventoryPath: String { directory + "/inventory.yaml" }

    // MARK: up

    /// Builds the lab and starts its daemons; returns how to reach it.
    ///
    /// A lab left behind by a previous run (state present but its processes dead, or kernel
    /// objects with this lab's id) is cleaned first. Missing programs are installed with apt-get.
    /// On any failure everything built so far is undone and the error rethrown.
    ///
    /// With `engine` ``LabEngine/docker29`` each host also runs an ``EngineGate`` (a test double
    /// that answers like Docker 29) on `D/hN/docker29.sock` in front of its dockerd, and the
    /// inventory and sshd's `DOCKER_HOST` name the gate's socket.
    /// - Parameter gateExecutable: the `crossnet` binary that runs `lab engine-gate`; by default
    ///   this process's executable when it is `crossnet`, else a `crossnet` beside it (tests).
    /// - Throws: ``InputError`` for a bad host count or subnet, or one overlapping a network
    ///   already on this machine; ``LabAlreadyUp`` when this directory's lab runs; ``LabError``
    ///   naming the failed step otherwise.
    public func up(
        hostCount: Int = 3, subnet: String = "198.18.0.0/24", options: LabOptions = LabOptions(),
        engine: LabEngine = .dockerd, gateExecutable: String? = nil, logger: Logger
    ) async throws -> LabDescription {
        let plan = try LabAddressPlan.make(labID: id, hostCount: hostCount, subnet: subnet)
        try options.validate(hostCount: hostCount)
        try validateDirectory(hostCount: hostCount)
        var gate: String?
        if engine == .docker29 {
            guard let executable = gateExecutable ?? Self.defaultGateExecutable() else {
                throw LabError(
                    step: "find the crossnet binary for the engine gate", reason: "this process is not crossnet and none is beside it",
                    hint: "run `swift build` first, or pass the path of crossnet")
            }
            gate = executable
        }
        // Before reading anything from the folder (state.json): it must be this user's alone.
        try LabDirectorySafety.check(directory, mustExist: false)
        let shell = LabShell(logger: logger)
        if let state = LabState.load(directory: directory) {
            if Self.isAnyDaemonAlive(state) {
                throw LabAlreadyUp(directory: directory, hostCount: state.hosts.count, subnet: state.subnet)
            }
            logger.notice("lab: \(directory) holds a stale lab \(state.id) (its processes are gone): cleaning it")
        }
        try await teardown(shell: shell)
        try await LabPrerequisites.ensureInstalled(shell: shell)
        try await checkNoOverlap(plan: plan, shell: shell)

        let started = ContinuousClock.now
        var state = LabState(
            id: id, directory: directory, subnet: plan.subnet.description, gateway: plan.gateway.description,
            bridge: plan.bridge, phase: "building", createdAt: Date(),
            hosts: plan.hosts.map { host in
                LabState.Host(
                    name: host.name, address: host.address.description, netns: host.netns, veth: host.veth,
                    macvlanRange: host.macvlanRange.description,
                    dockerSocket: "\(directory)/\(host.name)/docker.sock",
                    execRoot: "\(runRoot)/\(host.name)", dataRoot: "\(directory)/\(host.name)/docker",
                    gateSocket: engine == .docker29 ? "\(directory)/\(host.name)/\(engine.socketName)" : nil)
            })
        state.options = options
        state.engine = engine
        do {
            try makeFolder(directory, mode: 0o700)
            try LabDirectorySafety.check(directory, mustExist: true)
            try state.save()
            try await build(plan: plan, state: &state, gateExecutable: gate, shell: shell)
        } catch {
            logger.error("lab: up failed, undoing: \(error)")
            do { try await teardown(shell: shell) } catch { logger.error("lab: undo failed too: \(error)") }
            throw error
        }
        logger.info("lab: \(id) up with \(hostCount) hosts in \(ContinuousClock.now - started)")
        return description(plan: plan, options: options, engine: engine)
    }

    func description(plan: LabAddressPlan, options: LabOptions = LabOptions(), engine: LabEngine = .dockerd) -> LabDescription {
        LabDescription(
            id: id, directory: directory, subnet: plan.subnet.description, gateway: plan.gateway.description,
            hosts: plan.hosts.map {
                .init(
                    name: $0.name, address: $0.address.description, netns: $0.netns,
                    dockerSocket: "\(directory)/\($0.name)/\(engine.socketName)",
                    daemonSocket: "\(directory)/\($0.name)/docker.sock")
            }, inventoryPath: inventoryPath, sshConfigPath: sshConfigPath, options: options, engine: engine)
    }

    /// With a non-root ``LabOptions/sshUser``, the lab folder and the run folder become 0711
    /// (owned by root, writable by no one else, not listable): that user's sshd reads
    /// `authorized_keys` in the run folder and its docker CLI reaches `D/hN/docker.sock`.
    func openFoldersToSSHUser(options: LabOptions) throws {
        guard options.sshUser != nil else { return }
        for folder in [directory, runRoot] {
            guard chmod(folder, 0o711) == 0 else {
                throw LabError(
                    step: "let \(options.sshUser ?? "the lab user") through \(folder)",
                    reason: "chmod 0711 failed: \(String(cString: strerror(errno)))", hint: "run as root")
            }
        }
    }

    /// `D/ssh_config`: every host by alias (`h1`…), with `ProxyJump h1` behind a bastion.
    var sshConfigPath: String { directory + "/ssh_config" }

    private func validateDirectory(hostCount: Int) throws {
        guard !directory.contains(where: { $0.isWhitespace || $0 == "\"" || $0 == "'" }) else {
            throw InputError("lab directory '\(directory)' contains spaces or quotes: use a plain path")
        }
        let socket = "\(directory)/h\(hostCount)/\(LabEngine.docker29.socketName)"
        guard socket.utf8.count < 100 else {
            throw InputError(
                "lab directory '\(directory)' is too long: \(socket) exceeds the unix socket path limit; "
                    + "use a shorter path")
        }
    }

    func makeFolder(_ path: String, mode: Int? = nil) throws {
        do {
            try FileManager.default.createDirectory(
                atPath: path, withIntermediateDirectories: true,
                attributes: mode.map { [.posixPermissions: $0] })
        } catch {
            throw LabError(step: "create folder \(path)", reason: "\(error)", hint: "check permissions (run as root)")
        }
    }

    /// Refuses a subnet that overlaps any route already in the root namespace (another lab's bridge,
    /// a VPN, the machine's own network).
    private func checkNoOverlap(plan: LabAddressPlan, shell: LabShell) async throws {
        let output = try await shell.run("list routes", ["ip", "-j", "-4", "route", "show", "table", "main"])
        guard let routes = try? JSONSerialization.jsonObject(with: output.stdout) as? [[String: Any]] else { return }
        for route in routes {
            guard let dst = route["dst"] as? String, dst != "default" else { continue }
            let cidr = dst.contains("/") ? dst : dst + "/32"
            guard let other = LabSubnet(cidr: cidr), other.overlaps(plan.subnet) else { continue }
            let device = route["dev"] as? String ?? "?"
            let owner =
                device.hasPrefix("cn") && device.hasSuffix("br") ? " (lab \(device.dropFirst(2).dropLast(2)))" : ""
            throw InputError(
                "lab subnet \(plan.subnet) overlaps \(cidr) on \(device)\(owner), already on this machine: "
                    + "choose another subnet inside 198.18.0.0/16, e.g. 198.18.\(Int.random(in: 10...250)).0/24")
        }
    }

    static func isAnyDaemonAlive(_ state: LabState) -> Bool {
        state.hosts.contains {
            $0.sshdRunning || $0.dockerdRunning || $0.gateRunning
        }
    }

    // MARK: building

    private func build(plan: LabAddressPlan, state: inout LabState, gateExecutable: String?, shell: LabShell) async throws {
        let options = state.options ?? LabOptions()
        try makeFolder(runRoot, mode: 0o700)
        try Data("\(directory)\n".utf8).write(to: URL(fileURLWithPath: runRoot + "/directory"))
        if let user = options.sshUser {
            try openFoldersToSSHUser(options: options)
            try await prepareUser(user, state: &state, shell: shell)
        }
        try await buildNetwork(plan: plan, state: &state, shell: shell)
        try await buildSSH(plan: plan, state: &state, shell: shell)
        if options.bastion { try await fenceBehindBastion(plan: plan, port: options.sshPort, shell: shell) }
        try await startDockerDaemons(plan: plan, state: &state, shell: shell)
        if let gateExecutable { try await startEngineGates(state: &state, executable: gateExecutable, shell: shell) }
        do {
            try LabInventoryWriter.sshConfig(plan: plan, directory: directory, options: options)
                .write(toFile: sshConfigPath, atomically: true, encoding: .utf8)
            try LabInventoryWriter.yaml(plan: plan, directory: directory, options: options, engine: state.engine ?? .dockerd)
                .write(toFile: inventoryPath, atomically: true, encoding: .utf8)
        } catch {
            throw LabError(step: "write \(inventoryPath)", reason: "\(error)")
        }
        state.phase = "up"
        try state.save()
    }

    private func buildNetwork(plan: LabAddressPlan, state: inout LabState, shell: LabShell) async throws {
        let bridge = plan.bridge
        let interface = state.options?.interfaceName ?? "eth0"
        let prefix = plan.subnet.prefixLength
        try await shell.run("create bridge \(bridge)", ["ip", "link", "add", bridge, "type", "bridge"])
        try await shell.run(
            "address bridge \(bridge)", ["ip", "addr", "add", "\(plan.gateway)/\(prefix)", "dev", bridge])
        await shell.attempt(["sysctl", "-qw", "net.ipv6.conf.\(bridge).disable_ipv6=1"])
        try await shell.run("bring up bridge \(bridge)", ["ip", "link", "set", bridge, "up"])

        // Root-namespace firewall. br_netfilter is built in and bridge-nf-call-iptables is on, so
        // frames bridged between lab hosts traverse FORWARD (-i br -o br): accept those even under a
        // DROP policy, and drop anything routed between the lab bridge and any other interface.
        // Lab hosts may only answer the root namespace, never open connections to it.
        let tag = ["-m", "comment", "--comment", comment]
        let rules: [LabState.Rule] = [
            .init(table: "filter", chain: "FORWARD", spec: ["-i", bridge, "-o", bridge] + tag + ["-j", "ACCEPT"]),
            .init(table: "filter", chain: "FORWARD", spec: ["-i", bridge] + tag + ["-j", "DROP"]),
            .init(table: "filter", chain: "FORWARD", spec: ["-o", bridge] + tag + ["-j", "DROP"]),
            .init(
                table: "filter", chain: "INPUT",
                spec: ["-i", bridge, "-m", "conntrack", "--ctstate", "ESTABLISHED,RELATED"] + tag + ["-j", "ACCEPT"]),
            .init(table: "filter", chain: "INPUT", spec: ["-i", bridge, "-p", "icmp"] + tag + ["-j", "ACCEPT"]),
            .init(table: "filter", chain: "INPUT", spec: ["-i", bridge] + tag + ["-j", "REJECT"]),
        ]
        // The same over IPv6 (the bridge has IPv6 disabled; these hold even if it is enabled),
        // except that nothing is accepted from the lab at all.
        let rules6: [LabState.Rule] = [
            .init(table: "filter", chain: "FORWARD", spec: ["-i", bridge, "-o", bridge] + tag + ["-j", "ACCEPT"], ipv6: true),
            .init(table: "filter", chain: "FORWARD", spec: ["-i", bridge] + tag + ["-j", "DROP"], ipv6: true),
            .init(table: "filter", chain: "FORWARD", spec: ["-o", bridge] + tag + ["-j", "DROP"], ipv6: true),
            .init(table: "filter", chain: "INPUT", spec: ["-i", bridge] + tag + ["-j", "DROP"], ipv6: true),
        ]
        for group in [rules, rules6] {
            for (position, rule) in group.enumerated() {
                state.iptablesRules.append(rule)
                try state.save()
                let index = group[..<position].filter { $0.chain == rule.chain }.count + 1
                try await shell.run(
                    "add \(rule.program) rule \(rule.chain) \(rule.spec.joined(separator: " "))",
                    [rule.program, "-w", "-t", rule.table, "-I", rule.chain, "\(index)"] + rule.spec,
                    hint: "check \(rule.program) works here (`\(rule.program) -L`)")
            }
        }

        for host in plan.hosts {
            let ns = host.netns
            let uts = "\(Self.utsFolder)/\(ns)"
            try await shell.run("create namespace \(ns)", ["ip", "netns", "add", ns])
            try makeFolder(Self.utsFolder)
            state.mounts.append(uts)
            try state.save()
            FileManager.default.createFile(atPath: uts, contents: nil)
            try await shell.run(
                "set hostname of \(host.name)", ["unshare", "--uts=\(uts)", "hostname", host.name])
            try await shell.run(
                "create veth \(host.veth)",
                ["ip", "link", "add", host.veth, "type", "veth", "peer", "name", interface, "netns", ns])
            try await shell.run(
                "attach \(host.veth) to \(bridge)", ["ip", "link", "set", host.veth, "master", bridge, "up"])
            // No IPv6 inside the lab host: it has no IPv6 address to leave the lab with.
            for key in ["all", "default"] {
                try await shell.run(
                    "disable IPv6 in \(ns)",
                    nsenterPrefix(netns: ns) + ["sysctl", "-qw", "net.ipv6.conf.\(key).disable_ipv6=1"])
            }
            try await shell.run("bring up lo in \(ns)", ["ip", "-n", ns, "link", "set", "lo", "up"])
            try await shell.run(
                "address \(interface) of \(host.name)",
                ["ip", "-n", ns, "addr", "add", "\(host.address)/\(prefix)", "dev", interface])
            try await shell.run(
                "bring up \(interface) of \(host.name)", ["ip", "-n", ns, "link", "set", interface, "up"])
        }
    }
}
