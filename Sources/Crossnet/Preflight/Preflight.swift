import Foundation
import Logging

/// `crossnet check`: connects to every host in parallel and checks what each driver needs.
public struct Preflight: Sendable {
    public var inventory: Inventory
    public var options: SSHOptions
    /// The probe image tag hosts should have, if known.
    public var probeImageTag: String?
    public var logger: Logger

    public init(inventory: Inventory, options: SSHOptions, probeImageTag: String?, logger: Logger) {
        self.inventory = inventory
        self.options = options
        self.probeImageTag = probeImageTag
        self.logger = logger
    }

    /// Kernel features each driver needs, and the module that provides them.
    static let kernelFeatures = ["vxlan": "overlay", "macvlan": "macvlan", "bridge": "bridge"]

    /// Runs every check; never throws for a host's failure (that is a `fail` cell).
    public func run() async -> PreflightReport {
        // One pool: hosts behind the same bastion share one session to it.
        let pool = SSHConnectionPool(hosts: inventory.hosts, options: options, logger: logger)
        let sessions = await withTaskGroup(of: (String, Result<SSHSession, any Error>).self) { group in
            for host in inventory.hosts {
                group.addTask {
                    do {
                        return (host.name, .success(try await pool.session(for: host.name)))
                    } catch {
                        return (host.name, .failure(error))
                    }
                }
            }
            var sessions: [String: Result<SSHSession, any Error>] = [:]
            for await (name, result) in group { sessions[name] = result }
            return sessions
        }
        var results: [CheckResult] = []
        let connected = inventory.hosts.filter { if case .success = sessions[$0.name] { true } else { false } }
        for host in inventory.hosts {
            switch sessions[host.name] {
            case .success:
                results.append(CheckResult(host: host.name, check: "ssh", status: .pass, detail: "\(host.user)@\(host.address):\(host.port)"
                    + (host.proxyJump.isEmpty ? "" : " via " + host.proxyJump.map(\.name).joined(separator: ", "))))
            case .failure(let error):
                results.append(CheckResult(
                    host: host.name, check: "ssh", status: .fail, detail: "\(error)",
                    hint: "check the address, the key and known_hosts; other checks were skipped for this host"))
            case nil:
                break
            }
        }
        let perHost = await withTaskGroup(of: [CheckResult].self) { group in
            for host in connected {
                guard case .success(let session) = sessions[host.name] else { continue }
                group.addTask { await checks(host: host, session: session, peers: connected) }
            }
            var all: [CheckResult] = []
            for await results in group { all += results }
            return all
        }
        results += perHost
        await pool.closeAll()
        return PreflightReport(hosts: inventory.hosts.map(\.name), results: results)
    }

    func checks(host: HostConfig, session: SSHSession, peers: [HostConfig]) async -> [CheckResult] {
        var results: [CheckResult] = []
        let dialer = EngineDialer(host: host.name, socket: host.dockerSocket, session: session, logger: logger)
        let engine = DockerEngine(host: host.name) { try await dialer.open(timeout: .seconds(15)) }
        var dockerUp = false
        do {
            let version = try await engine.version()
            dockerUp = true
            let negotiated = engine.negotiatedAPIVersion.map { "API \($0)" } ?? "API ?"
            let range = engine.api.engine.map { ", Engine speaks \($0)" } ?? ""
            let detail = "Docker \(version.version) (\(negotiated)\(range))"
            if let note = dialer.note {
                // Works, through the fallback: a warning so that check's output says so.
                results.append(CheckResult(
                    host: host.name, check: "docker", status: .warn, detail: "\(detail); \(note)",
                    hint: "nothing to do; to use stream-local forwarding instead, set AllowStreamLocalForwarding yes "
                        + "(and no DisableForwarding) in the host's sshd_config"))
            } else {
                results.append(CheckResult(host: host.name, check: "docker", status: .pass, detail: detail))
            }
        } catch let error as EngineAPIVersionMismatch {
            results.append(CheckResult(
                host: host.name, check: "docker", status: .fail, detail: "\(error)",
                hint: "Crossnet speaks Docker Engine API \(EngineAPIRange.crossnet) (Docker 20.10 to 29)"))
        } catch {
            results.append(CheckResult(
                host: host.name, check: "docker", status: .fail, detail: "\(error)",
                hint: Self.dockerHint(host: host)))
        }
        if dockerUp {
            let machine = try? await engine.info().architecture
            results.append(Self.architectureCheck(host: host.name, machine: machine))
        }
        results.append(Self.dataAddressCheck(host))
        results += await kernelChecks(host: host, session: session)
        results.append(await macvlanParentCheck(host: host, session: session))
        results.append(await swarmPortsCheck(host: host, session: session, peers: peers))
        results.append(await clockCheck(host: host, session: session))
        if dockerUp, let tag = probeImageTag {
            do {
                if try await engine.inspectImage(tag) != nil {
                    results.append(CheckResult(host: host.name, check: "probe-image", status: .pass, detail: tag))
                } else {
                    results.append(CheckResult(
                        host: host.name, check: "probe-image", status: .fail, detail: "\(tag) is not loaded",
                        hint: "run `crossnet image load --inventory \(inventory.sourcePath ?? "FILE")`"))
                }
            } catch {
                results.append(CheckResult(host: host.name, check: "probe-image", status: .fail, detail: "\(error)"))
            }
        }
        return results
    }

    /// What to do when the Engine does not answer: start it, check the socket, the docker group
    /// (a non-root SSH user needs it) and the sshd forwarding settings.
    static func dockerHint(host: HostConfig) -> String {
        "start dockerd on the host and check `docker_socket` (\(host.dockerSocket)) in the inventory; "
            + (host.user == "root" ? "" : "add \(host.user) to the docker group (`usermod -aG docker \(host.user)`, then log in again); ")
            + "Crossnet reaches the socket by stream-local forwarding (sshd: AllowStreamLocalForwarding yes, "
            + "no DisableForwarding) or, where that is forbidden, by `docker system dial-stdio` (needs the docker CLI on the host)"
    }

    /// Kernel features from /sys, /proc and /lib/modules only: no tool from /usr/sbin (`modinfo`,
    /// `ip`), so a non-root SSH user whose PATH lacks it gets the same answer as root.
    static let kernelScript = """
        r=$(uname -r)
        for m in vxlan macvlan bridge ip_vs; do
          c=CONFIG_$(echo $m | tr a-z A-Z)
          if [ -d /sys/module/$m ]; then echo "$m=loaded"
          elif grep -qs "/$m.ko" /lib/modules/$r/modules.builtin; then echo "$m=built-in"
          elif [ -r /proc/config.gz ] && zcat /proc/config.gz 2>/dev/null | grep -q "^$c=y"; then echo "$m=built-in"
          elif [ -r /boot/config-$r ] && grep -q "^$c=y" /boot/config-$r; then echo "$m=built-in"
          elif grep -qs "/$m.ko" /lib/modules/$r/modules.dep; then echo "$m=module"
          else echo "$m=missing"; fi
        done
        """

    func kernelChecks(host: HostConfig, session: SSHSession) async -> [CheckResult] {
        let script = Self.kernelScript
        guard let output = try? await session.exec(script, timeout: .seconds(20)), output.succeeded else {
            return [CheckResult(host: host.name, check: "kernel", status: .fail, detail: "could not inspect the kernel's modules", hint: "the check needs a POSIX shell on the host")]
        }
        var found: [String: String] = [:]
        for line in output.stdoutText.split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { found[String(parts[0])] = String(parts[1]) }
        }
        let missing = Self.kernelFeatures.keys.sorted().filter { found[$0] == "missing" || found[$0] == nil }
        var results: [CheckResult] = []
        if missing.isEmpty {
            results.append(CheckResult(
                host: host.name, check: "kernel", status: .pass,
                detail: Self.kernelFeatures.keys.sorted().map { "\($0) \(found[$0] ?? "?")" }.joined(separator: ", ")))
        } else {
            results.append(CheckResult(
                host: host.name, check: "kernel", status: .fail,
                detail: "missing: " + missing.map { "\($0) (needed by \(Self.kernelFeatures[$0]!))" }.joined(separator: ", "),
                hint: "load the modules (`modprobe \(missing.joined(separator: " "))`) or use a kernel built with them"))
        }
        if found["ip_vs"] == "missing" || found["ip_vs"] == nil {
            results.append(CheckResult(
                host: host.name, check: "ip_vs", status: .warn, detail: "no IPVS: swarm service VIPs will not answer",
                hint: "Crossnet falls back to --endpoint-mode dnsrr; load ip_vs (`modprobe ip_vs`) to test VIPs"))
        } else {
            results.append(CheckResult(host: host.name, check: "ip_vs", status: .pass, detail: "ip_vs \(found["ip_vs"]!)"))
        }
        return results
    }

    func macvlanParentCheck(host: HostConfig, session: SSHSession) async -> CheckResult {
        guard let interface = host.interface else {
            return CheckResult(host: host.name, check: "macvlan-parent", status: .skip, detail: "no `interface` in the inventory: macvlan suites are skipped")
        }
        // `ip` is in /usr/sbin on some systems, off a non-root user's PATH: look there too. (Not
        // /sys/class/net: sysfs shows the namespace that mounted it, not the SSH session's.)
        let output = try? await session.exec(
            "PATH=\"$PATH:/usr/sbin:/sbin\" ip -o link show dev \(shellQuote(interface))", timeout: .seconds(10))
        guard let output, output.succeeded else {
            return CheckResult(
                host: host.name, check: "macvlan-parent", status: .fail, detail: "interface \(interface) not found",
                hint: "set `interface` for \(host.name) to the host's physical interface (see `ip link`)")
        }
        let up = output.stdoutText.contains("state UP") || output.stdoutText.contains(",UP")
        return CheckResult(
            host: host.name, check: "macvlan-parent", status: up ? .pass : .fail,
            detail: up ? "\(interface) is up" : "\(interface) is down", hint: up ? nil : "bring \(interface) up on \(host.name)")
    }

    func swarmPortsCheck(host: HostConfig, session: SSHSession, peers: [HostConfig]) async -> CheckResult {
        let others = peers.filter { $0.name != host.name }
        if others.isEmpty {
            return CheckResult(host: host.name, check: "swarm-ports", status: .skip, detail: "single host")
        }
        // A refused connection proves the port is reachable (nothing filters it); a timeout means
        // a firewall drops it.
        var blocked: [String] = []
        var checked: [String] = []
        for peer in others {
            for port in [2377, 7946] {
                let command = "timeout 3 bash -c 'exec 3<>/dev/tcp/\(peer.dataAddress)/\(port)' 2>&1; echo \"rc=$?\""
                guard let output = try? await session.exec(command, timeout: .seconds(10)) else {
                    blocked.append("\(peer.name):\(port)/tcp (check did not run)")
                    continue
                }
                let text = output.stdoutText
                if text.contains("rc=0") || text.contains("refused") {
                    checked.append("\(peer.name):\(port)")
                } else if text.contains("rc=127") {
                    return CheckResult(host: host.name, check: "swarm-ports", status: .skip, detail: "bash is not installed: TCP ports not checked")
                } else {
                    blocked.append("\(peer.name):\(port)/tcp")
                }
            }
        }
        if blocked.isEmpty {
            return CheckResult(
                host: host.name, check: "swarm-ports", status: .pass,
                detail: "2377/tcp and 7946/tcp reach \(others.map(\.name).joined(separator: ", ")); UDP 7946 and 4789 are proven by the overlay suite")
        }
        return CheckResult(
            host: host.name, check: "swarm-ports", status: .fail, detail: "no answer from " + blocked.joined(separator: ", "),
            hint: "open 2377/tcp, 7946/tcp+udp and 4789/udp between the hosts")
    }

    func clockCheck(host: HostConfig, session: SSHSession) async -> CheckResult {
        let before = Date()
        guard let output = try? await session.exec("date +%s.%N", timeout: .seconds(10)), output.succeeded,
              let remote = Double(output.trimmedStdout)
        else {
            return CheckResult(host: host.name, check: "clock", status: .fail, detail: "could not read the clock")
        }
        let after = Date()
        let local = (before.timeIntervalSince1970 + after.timeIntervalSince1970) / 2
        let skew = remote - local
        let ok = abs(skew) < 1.0
        return CheckResult(
            host: host.name, check: "clock", status: ok ? .pass : .fail,
            detail: String(format: "skew %+.3f s against this machine", skew),
            hint: ok ? nil : "synchronise the clock (chrony/systemd-timesyncd): swarm certificates and timings need it")
    }
}
