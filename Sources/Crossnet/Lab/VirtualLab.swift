import Foundation
import Logging

/// A lab of N Docker hosts on this machine, each a network + UTS namespace with its own sshd and
/// dockerd, joined by a bridge in the root namespace (where Crossnet runs).
///
/// Layout of lab directory `D` (lab id `<id>` = 5 hex digits hashed from `D`'s absolute path):
/// - `D/state.json` what was built (read by ``down(logger:)``), `D/inventory.yaml` the inventory;
/// - `D/id_ed25519` the lab-only client key, `D/authorized_keys`, `D/known_hosts`;
/// - `D/hN/` per host: `sshd_config`, `ssh_host_ed25519_key`, `sshd.pid`, `sshd.log`,
///   `docker/` (data root), `docker.sock`, `dockerd.pid`, `dockerd.log`;
/// - `/run/crossnet/<id>/hN` dockerd's exec root (kept short for unix socket paths).
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
    /// - Throws: ``InputError`` for a bad host count or subnet, or one overlapping a network
    ///   already on this machine; ``LabAlreadyUp`` when this directory's lab runs; ``LabError``
    ///   naming the failed step otherwise.
    public func up(
        hostCount: Int = 3, subnet: String = "198.18.0.0/24", options: LabOptions = LabOptions(), logger: Logger
    ) async throws -> LabDescription {
        let plan = try LabAddressPlan.make(labID: id, hostCount: hostCount, subnet: subnet)
        try options.validate(hostCount: hostCount)
        try validateDirectory(hostCount: hostCount)
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
                    execRoot: "\(runRoot)/\(host.name)", dataRoot: "\(directory)/\(host.name)/docker")
            })
        state.options = options
        do {
            try makeFolder(directory)
            try state.save()
            try await build(plan: plan, state: &state, shell: shell)
        } catch {
            logger.error("lab: up failed, undoing: \(error)")
            do { try await teardown(shell: shell) } catch { logger.error("lab: undo failed too: \(error)") }
            throw error
        }
        logger.info("lab: \(id) up with \(hostCount) hosts in \(ContinuousClock.now - started)")
        return description(plan: plan, options: options)
    }

    func description(plan: LabAddressPlan, options: LabOptions = LabOptions()) -> LabDescription {
        LabDescription(
            id: id, directory: directory, subnet: plan.subnet.description, gateway: plan.gateway.description,
            hosts: plan.hosts.map {
                .init(
                    name: $0.name, address: $0.address.description, netns: $0.netns,
                    dockerSocket: "\(directory)/\($0.name)/docker.sock")
            }, inventoryPath: inventoryPath, sshConfigPath: sshConfigPath, options: options)
    }

    /// `D/ssh_config`: every host by alias (`h1`…), with `ProxyJump h1` behind a bastion.
    var sshConfigPath: String { directory + "/ssh_config" }

    private func validateDirectory(hostCount: Int) throws {
        guard !directory.contains(where: { $0.isWhitespace || $0 == "\"" || $0 == "'" }) else {
            throw InputError("lab directory '\(directory)' contains spaces or quotes: use a plain path")
        }
        let socket = "\(directory)/h\(hostCount)/docker.sock"
        guard socket.utf8.count < 100 else {
            throw InputError(
                "lab directory '\(directory)' is too long: \(socket) exceeds the unix socket path limit; "
                    + "use a shorter path")
        }
    }

    func makeFolder(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
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
            LabProcesses.isAlive($0.sshdPid, program: "sshd")
                || LabProcesses.isAlive($0.dockerdPid, program: "dockerd")
        }
    }

    // MARK: building

    private func build(plan: LabAddressPlan, state: inout LabState, shell: LabShell) async throws {
        let options = state.options ?? LabOptions()
        try makeFolder(runRoot)
        try Data("\(directory)\n".utf8).write(to: URL(fileURLWithPath: runRoot + "/directory"))
        if let user = options.sshUser { try await prepareUser(user, state: &state, shell: shell) }
        try await buildNetwork(plan: plan, state: &state, shell: shell)
        try await buildSSH(plan: plan, state: &state, shell: shell)
        if options.bastion { try await fenceBehindBastion(plan: plan, port: options.sshPort, shell: shell) }
        try await startDockerDaemons(plan: plan, state: &state, shell: shell)
        do {
            try LabInventoryWriter.sshConfig(plan: plan, directory: directory, options: options)
                .write(toFile: sshConfigPath, atomically: true, encoding: .utf8)
            try LabInventoryWriter.yaml(plan: plan, directory: directory, options: options)
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
        for (position, rule) in rules.enumerated() {
            state.iptablesRules.append(rule)
            try state.save()
            let index = rules[..<position].filter { $0.chain == rule.chain }.count + 1
            try await shell.run(
                "add iptables rule \(rule.chain) \(rule.spec.joined(separator: " "))",
                ["iptables", "-w", "-t", rule.table, "-I", rule.chain, "\(index)"] + rule.spec,
                hint: "check iptables works here (`iptables -L`)")
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
            try await shell.run("bring up lo in \(ns)", ["ip", "-n", ns, "link", "set", "lo", "up"])
            try await shell.run(
                "address \(interface) of \(host.name)",
                ["ip", "-n", ns, "addr", "add", "\(host.address)/\(prefix)", "dev", interface])
            try await shell.run(
                "bring up \(interface) of \(host.name)", ["ip", "-n", ns, "link", "set", interface, "up"])
        }
    }
}
