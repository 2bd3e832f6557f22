import Foundation
import Logging

extension VirtualLab {
    /// `nsenter` prefix that enters a lab host's network and UTS namespaces (never `ip netns exec`:
    /// it remounts /sys, and dockerd then dies with "Devices cgroup isn't mounted").
    func nsenterPrefix(netns: String) -> [String] {
        ["nsenter", "--net=\(Self.netnsFolder)/\(netns)", "--uts=\(Self.utsFolder)/\(netns)"]
    }

    /// Keys, known_hosts, authorized_keys and one sshd per host.
    func buildSSH(plan: LabAddressPlan, state: inout LabState, shell: LabShell) async throws {
        let options = state.options ?? LabOptions()
        let clientKey = directory + "/id_ed25519"
        try? FileManager.default.removeItem(atPath: clientKey)
        try? FileManager.default.removeItem(atPath: clientKey + ".pub")
        try await shell.run(
            "create lab client key", ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", clientKey])
        let clientPublic = try readText(clientKey + ".pub")
        // authorized_keys lives in the root-owned run folder, so sshd's StrictModes (on, the
        // default) finds every folder above it owned by root and writable by no one else. sshd
        // reads it as the user logging in: for a non-root ``LabOptions/sshUser`` the file is 0644
        // and the run folder 0711 (see ``openFoldersToSSHUser(options:)``).
        let authorizedKeys = runRoot + "/authorized_keys"
        try write(clientPublic, to: authorizedKeys, mode: options.sshUser == nil ? 0o600 : 0o644)
        try makeFolder("/run/sshd")
        guard let sshd = LabPrerequisites.locate("sshd") else {
            throw LabError(step: "find sshd", reason: "not installed", hint: "apt-get install openssh-server")
        }
        var knownHosts = ""
        for (index, host) in plan.hosts.enumerated() {
            let folder = "\(directory)/\(host.name)"
            try makeFolder(folder)
            let hostKey = folder + "/ssh_host_ed25519_key"
            try? FileManager.default.removeItem(atPath: hostKey)
            try? FileManager.default.removeItem(atPath: hostKey + ".pub")
            try await shell.run(
                "create host key of \(host.name)",
                ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "\(host.name)@\(comment)", "-f", hostKey])
            let fields = try readText(hostKey + ".pub").split(separator: " ")
            let knownName = options.sshPort == 22 ? "\(host.address)" : "[\(host.address)]:\(options.sshPort)"
            knownHosts += "\(knownName) \(fields[0]) \(fields[1])\n"
            let config = """
                # sshd of lab host \(host.name) (crossnet lab \(id))
                ListenAddress \(host.address)
                Port \(options.sshPort)
                HostKey \(hostKey)
                PidFile \(folder)/sshd.pid
                AuthorizedKeysFile \(authorizedKeys)
                StrictModes yes
                PasswordAuthentication no
                KbdInteractiveAuthentication no
                UsePAM no
                PermitRootLogin prohibit-password
                \(Self.forwardingSettings(options: options, isBastion: index == 0))
                MaxSessions 100
                MaxStartups 100:30:200
                UseDNS no
                PrintMotd no
                SetEnv DOCKER_HOST=unix://\(state.hosts[index].engineSocket)
                Subsystem sftp /usr/lib/openssh/sftp-server

                """
            let configPath = folder + "/sshd_config"
            try write(config, to: configPath, mode: 0o600)
            try await shell.run("check sshd config of \(host.name)", [sshd, "-t", "-f", configPath])
            let daemon = try await startSSHD(hostName: host.name, netns: host.netns, sshd: sshd, shell: shell)
            state.hosts[index].sshdPid = daemon.pid
            state.hosts[index].sshd = daemon
            try state.save()
        }
        try write(knownHosts, to: directory + "/known_hosts", mode: 0o644)
    }

    /// sshd forwarding lines: everything allowed, or (``LabOptions/forbidStreamLocalForwarding``)
    /// only the TCP forwarding a bastion needs for jumps.
    static func forwardingSettings(options: LabOptions, isBastion: Bool) -> String {
        guard options.forbidStreamLocalForwarding else {
            return "AllowStreamLocalForwarding yes\nAllowTcpForwarding yes"
        }
        if options.bastion && isBastion { return "AllowStreamLocalForwarding no\nAllowTcpForwarding yes" }
        return "DisableForwarding yes"
    }

    /// Behind a bastion: every host but h1 accepts SSH only from h1's address (iptables in the
    /// host's own namespace, gone with it).
    func fenceBehindBastion(plan: LabAddressPlan, port: Int, shell: LabShell) async throws {
        guard let bastion = plan.hosts.first else { return }
        for host in plan.hosts.dropFirst() {
            try await shell.run(
                "let only \(bastion.name) reach sshd on \(host.name)",
                nsenterPrefix(netns: host.netns) + [
                    "iptables", "-w", "-A", "INPUT", "-p", "tcp", "--dport", "\(port)", "!", "-s", "\(bastion.address)",
                    "-m", "comment", "--comment", "\(comment)-bastion", "-j", "REJECT", "--reject-with", "tcp-reset",
                ],
                hint: "check iptables works here (`iptables -L`)")
        }
    }

    /// Starts the sshd of one lab host from its `sshd_config` and returns its pid once it runs.
    func startSSHD(hostName: String, netns: String, sshd: String, shell: LabShell) async throws -> ProcessIdentity {
        let folder = "\(directory)/\(hostName)"
        let configPath = folder + "/sshd_config"
        try? FileManager.default.removeItem(atPath: folder + "/sshd.pid")
        try await shell.run(
            "start sshd on \(hostName)",
            nsenterPrefix(netns: netns) + [sshd, "-f", configPath, "-E", folder + "/sshd.log"],
            hint: "see \(folder)/sshd.log")
        guard let daemon = await waitForPidFile(folder + "/sshd.pid", executable: sshd, deadline: .seconds(10)) else {
            throw LabError(
                step: "start sshd on \(hostName)", reason: "no live sshd after 10 s: \(tail(folder + "/sshd.log"))",
                hint: "run `\(sshd) -d -f \(configPath)` inside the namespace to see why")
        }
        return daemon
    }

    /// Starts every host's dockerd in parallel and waits until each answers.
    func startDockerDaemons(plan: LabAddressPlan, state: inout LabState, shell: LabShell) async throws {
        guard let dockerd = LabPrerequisites.locate("dockerd"), let docker = LabPrerequisites.locate("docker")
        else {
            throw LabError(step: "find dockerd", reason: "not installed", hint: "apt-get install docker.io")
        }
        let gateway = plan.gateway.description
        let pids = try await withThrowingTaskGroup(of: (Int, ProcessIdentity).self) { group in
            for (index, host) in plan.hosts.enumerated() {
                let entry = state.hosts[index]
                group.addTask {
                    let pid = try await startDockerd(
                        host: entry, dockerd: dockerd, docker: docker, gateway: gateway, shell: shell)
                    return (index, pid)
                }
                _ = host
            }
            var result: [Int: ProcessIdentity] = [:]
            for try await (index, pid) in group { result[index] = pid }
            return result
        }
        for (index, daemon) in pids {
            state.hosts[index].dockerdPid = daemon.pid
            state.hosts[index].dockerd = daemon
        }
        try state.save()
    }

    func startDockerd(
        host: LabState.Host, dockerd: String, docker: String, gateway: String, shell: LabShell
    ) async throws -> ProcessIdentity {
        let folder = "\(directory)/\(host.name)"
        let step = "start dockerd on \(host.name)"
        let log = folder + "/dockerd.log"
        let pidFile = folder + "/dockerd.pid"
        try? FileManager.default.removeItem(atPath: pidFile)
        try? FileManager.default.removeItem(atPath: host.dockerSocket)
        try makeFolder(host.dataRoot)
        let arguments =
            nsenterPrefix(netns: host.netns) + [
                dockerd, "--data-root", host.dataRoot, "--exec-root", host.execRoot, "--pidfile", pidFile,
                "--host", "unix://\(host.dockerSocket)", "--default-address-pool", Self.dockerAddressPool,
                "--dns", gateway, "--log-level", "warn",
            ] + (getgrnam(LabOptions.dockerGroup) != nil ? ["--group", LabOptions.dockerGroup] : [])
        try await startDetached(step: step, arguments: arguments, log: log, shell: shell)
        let started = ContinuousClock.now
        var daemon: ProcessIdentity?
        while ContinuousClock.now - started < Self.dockerdDeadline {
            if daemon == nil, let candidate = LabProcesses.readPidFile(pidFile) {
                daemon = ProcessIdentity.current(of: candidate, runs: dockerd)
            }
            if let daemon {
                let answer = try? await LocalCommand.run(
                    [docker, "-H", "unix://\(host.dockerSocket)", "version", "--format", "{{.Server.Version}}"],
                    timeout: .seconds(10))
                if answer?.succeeded == true { return daemon }
                if !daemon.isRunning { break }
            } else if ContinuousClock.now - started > .seconds(15) {
                break
            }
            try await Task.sleep(for: .milliseconds(300))
        }
        throw LabError(
            step: step,
            reason: "dockerd did not answer on \(host.dockerSocket) within \(Self.dockerdDeadline); "
                + "last lines of \(log):\n\(tail(log, lines: 15))",
            hint: "fix the cause shown in the log, then `crossnet lab down` and `lab up` again")
    }

    /// Starts `arguments` detached (own session, no pipes held) so it outlives this process, its
    /// output appended to `log`. Every inherited descriptor above 2 is closed first: Foundation's
    /// Process learns that a child exited from a descriptor the child inherits, and a daemon would
    /// otherwise keep it open forever.
    func startDetached(step: String, arguments: [String], log: String, shell: LabShell) async throws {
        let script = """
            for fd in /proc/$$/fd/*; do fd=${fd##*/}; [ "$fd" -gt 2 ] && eval "exec $fd>&-"; done 2>/dev/null
            exec setsid -f "$@" >>"$CROSSNET_LAB_LOG" 2>&1 </dev/null
            """
        try await shell.run(
            step, ["bash", "-c", script, "bash"] + arguments, environment: ["CROSSNET_LAB_LOG": log])
    }

    /// Starts one ``EngineGate`` per host (`crossnet lab engine-gate`, inside the host's
    /// namespaces) in front of its dockerd, and waits until each answers `/_ping` as Docker 29.
    func startEngineGates(state: inout LabState, executable: String, shell: LabShell) async throws {
        for (index, host) in state.hosts.enumerated() {
            guard let socket = host.gateSocket else { continue }
            let folder = "\(directory)/\(host.name)"
            let step = "start the engine gate (Docker 29 test double) on \(host.name)"
            let pidFile = folder + "/engine-gate.pid"
            let log = folder + "/engine-gate.log"
            try? FileManager.default.removeItem(atPath: pidFile)
            try await startDetached(
                step: step,
                arguments: nsenterPrefix(netns: host.netns) + [
                    executable, "lab", "engine-gate", "--listen", socket, "--upstream", host.dockerSocket,
                    "--pid-file", pidFile,
                ], log: log, shell: shell)
            guard let gate = await waitForPidFile(pidFile, executable: executable, deadline: .seconds(10)) else {
                throw LabError(step: step, reason: "no live engine gate after 10 s: \(tail(log))", hint: "see \(log)")
            }
            state.hosts[index].gatePid = gate.pid
            state.hosts[index].gate = gate
            try state.save()
            let started = ContinuousClock.now
            var answer: String?
            while answer == nil && ContinuousClock.now - started < .seconds(10) {
                answer = await Self.pingOnThread(socket)
                if answer == nil { try await Task.sleep(for: .milliseconds(100)) }
            }
            guard answer == EngineGate.Configuration(listen: socket, upstream: host.dockerSocket).apiVersion.description
            else {
                throw LabError(
                    step: step, reason: "the gate on \(socket) answered /_ping with Api-Version \(answer ?? "nothing"): \(tail(log))",
                    hint: "see \(log)")
            }
            // Like dockerd's `--group docker`: a non-root SSH user in the docker group reaches it.
            if state.options?.sshUser != nil {
                do {
                    try FileManager.default.setAttributes(
                        [.groupOwnerAccountName: "docker", .posixPermissions: 0o660], ofItemAtPath: socket)
                } catch {
                    throw LabError(step: step, reason: "cannot give the docker group the gate's socket \(socket): \(error)", hint: "is there a docker group?")
                }
            }
        }
    }

    /// ``EngineGate/pingAPIVersion(socket:)`` on a thread of its own.
    static func pingOnThread(_ socket: String) async -> String? {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: EngineGate.pingAPIVersion(socket: socket)) }.start()
        }
    }

    /// The `crossnet` binary that runs `lab engine-gate`: this process when it is `crossnet`,
    /// otherwise a `crossnet` in the same folder (as for the test bundle in `.build/debug`).
    static func defaultGateExecutable() -> String? {
        guard let own = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else { return nil }
        if own.hasSuffix("/crossnet") { return own }
        let sibling = URL(fileURLWithPath: own).deletingLastPathComponent().appendingPathComponent("crossnet").path
        return FileManager.default.isExecutableFile(atPath: sibling) ? sibling : nil
    }

    /// Waits for a pid file naming a live process running `executable`; returns its identity.
    func waitForPidFile(_ path: String, executable: String, deadline: Duration) async -> ProcessIdentity? {
        let started = ContinuousClock.now
        while ContinuousClock.now - started < deadline {
            if let pid = LabProcesses.readPidFile(path), let daemon = ProcessIdentity.current(of: pid, runs: executable) {
                return daemon
            }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return nil
    }

    func readText(_ path: String) throws -> String {
        do { return try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw LabError(step: "read \(path)", reason: "\(error)")
        }
    }

    func write(_ text: String, to path: String, mode: Int) throws {
        do {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
        } catch {
            throw LabError(step: "write \(path)", reason: "\(error)", hint: "check the lab directory is writable")
        }
    }

    /// The last `lines` lines of a log file (empty when missing).
    func tail(_ path: String, lines: Int = 5) -> String {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return "(no log)" }
        return text.split(separator: "\n").suffix(lines).joined(separator: "\n")
    }
}
