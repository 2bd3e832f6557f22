import Foundation
import Logging

/// Injects faults into a virtual lab Crossnet made, for the fault suite and its tests: freeze,
/// thaw, stop or start a host's dockerd, cut or restore a host's link, stop or start its sshd,
/// kill a container.
///
/// Refuses anything but a running lab built by `crossnet lab up` (its `state.json`), and acts
/// only on that lab's own processes (by pid, after checking the pid's command line names the lab
/// directory) and inside its host namespaces. Every fault has its undo; callers undo in a
/// `defer` so a failing test leaves the lab whole.
public struct LabFaults: Sendable {
    /// The lab faults are injected into.
    public let lab: VirtualLab
    private let shell: LabShell

    /// Comment on the iptables rules ``cutLink(host:)`` adds (inside the host's namespace).
    public static let ruleComment = "crossnet-fault-blackhole"

    /// Faults for the lab in `lab.directory`.
    /// - Throws: ``InputError`` when that directory holds no running Crossnet lab.
    public init(lab: VirtualLab, logger: Logger) throws {
        guard let state = LabState.load(directory: lab.directory), state.phase == "up" else {
            throw InputError("no running virtual lab in \(lab.directory): faults are injected only into a lab `crossnet lab up` made")
        }
        _ = state
        self.lab = lab
        self.shell = LabShell(logger: logger)
    }

    // MARK: dockerd

    /// Freezes `host`'s dockerd with SIGSTOP: its socket still accepts connections, nothing answers.
    /// Undo with ``thawDockerd(host:)`` (the same recorded pid).
    /// - Returns: the pid frozen.
    @discardableResult
    public func freezeDockerd(host: String) throws -> Int32 {
        let pid = try daemonPid(host: host, program: "dockerd", \.dockerdPid)
        try signal(pid, SIGSTOP, what: "freeze dockerd of \(host)")
        return pid
    }

    /// Resumes `host`'s dockerd (SIGCONT). Harmless when it was not frozen.
    public func thawDockerd(host: String) throws {
        let pid = try daemonPid(host: host, program: "dockerd", \.dockerdPid)
        try signal(pid, SIGCONT, what: "thaw dockerd of \(host)")
    }

    /// Stops `host`'s dockerd (SIGTERM, then SIGKILL after 20 s) and waits until it is gone; its
    /// socket disappears with it.
    public func stopDockerd(host: String) async throws {
        let pid = try daemonPid(host: host, program: "dockerd", \.dockerdPid)
        try signal(pid, SIGTERM, what: "stop dockerd of \(host)")
        let started = ContinuousClock.now
        while LabProcesses.isAlive(pid, program: "dockerd") {
            if ContinuousClock.now - started > .seconds(20) { kill(pid, SIGKILL) }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// Starts `host`'s dockerd again (as `lab up` does), waits until it answers and records its
    /// new pid in the lab state.
    public func startDockerd(host: String) async throws {
        guard var state = LabState.load(directory: lab.directory),
            let index = state.hosts.firstIndex(where: { $0.name == host })
        else { throw InputError("lab in \(lab.directory) has no host '\(host)'") }
        if LabProcesses.isAlive(state.hosts[index].dockerdPid, program: "dockerd") { return }
        guard let dockerd = LabPrerequisites.locate("dockerd"), let docker = LabPrerequisites.locate("docker") else {
            throw LabError(step: "find dockerd", reason: "not installed", hint: "apt-get install docker.io")
        }
        let daemon = try await lab.startDockerd(
            host: state.hosts[index], dockerd: dockerd, docker: docker, gateway: state.gateway, shell: shell)
        state.hosts[index].dockerdPid = daemon.pid
        state.hosts[index].dockerd = daemon
        try state.save()
    }

    // MARK: link

    /// Blackholes `host`'s link: iptables DROP rules for everything in and out of its lab
    /// interface (`eth0`, or ``LabOptions/interfaceName``),
    /// inside the host's namespace. Packets vanish without an answer (no RST, no ICMP), like a
    /// cable pulled somewhere on the path.
    public func cutLink(host: String) async throws {
        for rule in blackholeRules {
            try await shell.run(
                "cut the link of \(host)", try lab.execArguments(host: host, command: ["iptables", "-I"] + rule))
        }
    }

    /// Removes the rules ``cutLink(host:)`` added (each as often as it is present).
    public func restoreLink(host: String) async throws {
        for rule in blackholeRules {
            var removed = 0
            while removed < 16 {
                let output = try await shell.run(
                    "restore the link of \(host)", try lab.execArguments(host: host, command: ["iptables", "-D"] + rule),
                    check: false)
                if !output.succeeded { break }
                removed += 1
            }
        }
    }

    private var blackholeRules: [[String]] {
        let interface = (LabState.load(directory: lab.directory)?.options ?? LabOptions()).interfaceName
        return [
            ["INPUT", "-i", interface, "-m", "comment", "--comment", Self.ruleComment, "-j", "DROP"],
            ["OUTPUT", "-o", interface, "-m", "comment", "--comment", Self.ruleComment, "-j", "DROP"],
        ]
    }

    // MARK: sshd

    /// Stops `host`'s sshd (SIGTERM to the listener) and, with `dropConnections`, the per-connection
    /// sshd processes it forked, so open sessions end too (as when a host reboots).
    public func stopSSHD(host: String, dropConnections: Bool = true) async throws {
        let pid = try daemonPid(host: host, program: "sshd", \.sshdPid)
        let children = LabProcesses.all().filter { LabProcesses.parent($0) == pid }
        try signal(pid, SIGTERM, what: "stop sshd of \(host)")
        if dropConnections {
            for child in children where LabProcesses.isAlive(child, program: "sshd") { kill(child, SIGTERM) }
        }
        let started = ContinuousClock.now
        while LabProcesses.isAlive(pid, program: "sshd"), ContinuousClock.now - started < .seconds(5) {
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Starts `host`'s sshd again from its config and records its new pid in the lab state.
    public func startSSHD(host: String) async throws {
        guard var state = LabState.load(directory: lab.directory),
            let index = state.hosts.firstIndex(where: { $0.name == host })
        else { throw InputError("lab in \(lab.directory) has no host '\(host)'") }
        if LabProcesses.isAlive(state.hosts[index].sshdPid, program: "sshd") { return }
        guard let sshd = LabPrerequisites.locate("sshd") else {
            throw LabError(step: "find sshd", reason: "not installed", hint: "apt-get install openssh-server")
        }
        let daemon = try await lab.startSSHD(hostName: host, netns: state.hosts[index].netns, sshd: sshd, shell: shell)
        state.hosts[index].sshdPid = daemon.pid
        state.hosts[index].sshd = daemon
        try state.save()
    }

    // MARK: containers

    /// Kills a container on `host` (`docker kill`, run inside the host's namespace).
    public func killContainer(host: String, name: String) async throws {
        try await shell.run(
            "kill container \(name) on \(host)", try lab.execArguments(host: host, command: ["docker", "kill", name]))
    }

    // MARK: helpers

    /// The recorded pid of `host`'s `program`, checked to be that lab's live daemon.
    private func daemonPid(host: String, program: String, _ field: KeyPath<LabState.Host, Int32?>) throws -> Int32 {
        guard let state = LabState.load(directory: lab.directory),
            let entry = state.hosts.first(where: { $0.name == host })
        else { throw InputError("lab in \(lab.directory) has no host '\(host)'") }
        guard let pid = entry[keyPath: field], LabProcesses.isAlive(pid, program: program),
            let line = LabProcesses.commandLine(pid), line.contains(lab.directory + "/")
        else {
            throw LabError(
                step: "find the \(program) of \(host)", reason: "no live \(program) of this lab is recorded",
                hint: "`crossnet lab status --dir \(lab.directory)`; `lab up` again if it is degraded")
        }
        return pid
    }

    private func signal(_ pid: Int32, _ signal: Int32, what: String) throws {
        if kill(pid, signal) != 0 {
            throw LabError(step: what, reason: "kill(\(pid)) failed: \(String(cString: strerror(errno)))", hint: "run as root")
        }
    }
}
