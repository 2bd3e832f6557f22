import Foundation
import Logging
import Testing
@testable import Crossnet

/// Brings real labs up on this machine (needs root, dockerd, sshd). Subnets 198.18.5-9.x only.
@Suite("Virtual lab end to end", .serialized, .tags(.lab), .enabled(if: getuid() == 0, "needs root"))
struct VirtualLabEndToEndTests {
    let logger: Logger = {
        var logger = Logger(label: "lab-test")
        logger.logLevel = .info
        return logger
    }()

    private func sh(_ arguments: [String], timeout: Duration = .seconds(30)) async throws -> CommandOutput {
        try await LocalCommand.run(arguments, timeout: timeout)
    }

    private func makeDirectory() throws -> String {
        let path = "/tmp/cnlab-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Nothing of lab `id` / directory `dir` is left on the machine.
    private func expectNothingLeft(id: String, dir: String) async throws {
        let netns = try await sh(["ip", "netns", "list"]).stdoutText
        #expect(!netns.contains("cn\(id)"), "namespaces left: \(netns)")
        let links = try await sh(["ip", "-o", "link"]).stdoutText
        #expect(!links.contains("cn\(id)"), "links left")
        let rules = try await sh(["iptables-save"]).stdoutText
        #expect(!rules.contains("crossnet-lab-\(id)"), "iptables rules left")
        let rules6 = try await sh(["ip6tables-save"]).stdoutText
        #expect(!rules6.contains("crossnet-lab-\(id)"), "ip6tables rules left")
        let mounts = try #require(LabProcesses.readWhole("/proc/mounts"))
        #expect(!mounts.contains(dir), "mounts left under \(dir)")
        #expect(!mounts.contains("/run/crossnet/\(id)"), "mounts left under /run/crossnet/\(id)")
        #expect(!mounts.contains("uts/cn\(id)"), "uts mounts left")
        let processes = LabProcesses.all().compactMap(LabProcesses.commandLine)
            .filter { $0.contains(dir + "/") || $0.contains("/run/crossnet/\(id)") }
        #expect(processes.isEmpty, "processes left: \(processes)")
        #expect(!FileManager.default.fileExists(atPath: "/run/crossnet/\(id)"))
        #expect(!FileManager.default.fileExists(atPath: "/var/run/uts/cn\(id)-h1"))
    }

    @Test func upCheckDown() async throws {
        let dir = try makeDirectory()
        let lab = VirtualLab(directory: dir)
        defer { _ = try? LocalCommand.runBlocking(["rm", "-rf", dir]) }
        var lab2Down = false
        do {
            let clock = ContinuousClock()
            var description: LabDescription!
            let upTime = try await clock.measure {
                description = try await lab.up(hostCount: 2, subnet: "198.18.5.0/24", logger: logger)
            }
            print("lab up took \(upTime)")
            #expect(description.hosts.map(\.address) == ["198.18.5.11", "198.18.5.12"])
            #expect(description.gateway == "198.18.5.1")
            #expect(FileManager.default.fileExists(atPath: description.inventoryPath))

            // sshd on port 22 of each host, checked against known_hosts.
            for host in description.hosts {
                let output = try await sh([
                    "ssh", "-i", "\(dir)/id_ed25519", "-o", "UserKnownHostsFile=\(dir)/known_hosts",
                    "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes",
                    "-F", "/dev/null", "root@\(host.address)", "hostname; echo $DOCKER_HOST",
                ])
                #expect(output.succeeded, "\(output.stderrText)")
                #expect(output.stdoutText == "\(host.name)\nunix://\(host.dockerSocket)\n")
            }

            // docker in each host via exec, ping between hosts, no default route.
            for host in description.hosts {
                let docker = try await sh(
                    try lab.execArguments(host: host.name, command: ["docker", "version", "--format", "{{.Server.Version}}"]))
                #expect(docker.succeeded && !docker.trimmedStdout.isEmpty, "\(docker.stderrText)")
                let routes = try await sh(try lab.execArguments(host: host.name, command: ["ip", "-4", "route"]))
                #expect(!routes.stdoutText.contains("default"))
                #expect(routes.stdoutText.contains("198.18.5.0/24 dev eth0 proto kernel scope link src \(host.address)"))
                // Only the lab subnet (eth0) and the host's own container bridges.
                for line in routes.stdoutText.split(separator: "\n") {
                    #expect(line.hasPrefix("198.18.5.0/24 dev eth0") || line.hasPrefix("198.19."), "\(line)")
                }
            }
            let ping = try await sh(
                try lab.execArguments(host: "h1", command: ["busybox", "ping", "-c", "2", "-W", "2", "198.18.5.12"]))
            #expect(ping.succeeded, "\(ping.stdoutText)")
            #expect(try await lab.exec(host: "h2", command: ["true"]) == 0)
            #expect(try await lab.exec(host: "h2", command: ["sh", "-c", "exit 3"]) == 3)
            #expect(throws: InputError.self) { try lab.execArguments(host: "h9", command: ["true"]) }

            let status = try await lab.status()
            #expect(status.overall == .up, "\(status)")
            print(status)

            // Second up: already up.
            await #expect(throws: LabAlreadyUp.self) {
                _ = try await lab.up(hostCount: 2, subnet: "198.18.5.0/24", logger: logger)
            }
            // Another lab with an overlapping subnet is refused before anything is built.
            let other = VirtualLab(directory: dir + "-other")
            await #expect(throws: InputError.self) {
                _ = try await other.up(hostCount: 1, subnet: "198.18.5.0/25", logger: logger)
            }
            lab2Down = true

            let downTime = try await clock.measure { try await lab.down(logger: logger) }
            print("lab down took \(downTime)")
            #expect(try await lab.status().overall == .down)
            try await expectNothingLeft(id: lab.id, dir: dir)
            // Down again: nothing to do, no error.
            try await lab.down(logger: logger)
        } catch {
            try? await lab.down(logger: logger)
            _ = lab2Down
            throw error
        }
    }

    @Test func downCleansAStaleLab() async throws {
        let dir = try makeDirectory()
        let lab = VirtualLab(directory: dir)
        defer { _ = try? LocalCommand.runBlocking(["rm", "-rf", dir]) }
        do {
            _ = try await lab.up(hostCount: 2, subnet: "198.18.6.0/24", logger: logger)
            // A background process in h1, like a leftover iperf3 server, and a running container
            // (its shim and overlay mount outlive a killed dockerd).
            let detach = #"for fd in /proc/$$/fd/*; do fd=${fd##*/}; [ "$fd" -gt 2 ] && eval "exec $fd>&-"; done 2>/dev/null; "#
            _ = try await sh(
                try lab.execArguments(host: "h1", command: ["bash", "-c", detach + "setsid -f sleep 300 </dev/null >/dev/null 2>&1"]))
            let image = #"""
                set -e; r=$(mktemp -d); mkdir $r/bin; cp /bin/busybox $r/bin/; ln -s busybox $r/bin/sh
                tar -C $r -c . | docker import - cnlab-busybox >/dev/null; rm -rf $r
                docker run -d --name sleeper --network none cnlab-busybox /bin/busybox sleep 300
                """#
            let container = try await sh(
                try lab.execArguments(host: "h1", command: ["bash", "-c", detach + image]), timeout: .seconds(60))
            #expect(container.succeeded, "\(container.stdoutText) \(container.stderrText)")
            let state = try #require(LabState.load(directory: dir))
            for host in state.hosts {
                for pid in [host.sshdPid, host.dockerdPid].compactMap({ $0 }) { kill(pid, SIGKILL) }
            }
            try await Task.sleep(for: .milliseconds(500))
            #expect(try await lab.status().overall == .degraded)

            // up on a stale lab cleans it and builds it again.
            _ = try await lab.up(hostCount: 2, subnet: "198.18.6.0/24", logger: logger)
            #expect(try await lab.status().overall == .up)
            let again = try #require(LabState.load(directory: dir))
            for host in again.hosts {
                for pid in [host.sshdPid, host.dockerdPid].compactMap({ $0 }) { kill(pid, SIGKILL) }
            }
            try await Task.sleep(for: .milliseconds(500))
            try await lab.down(logger: logger)
            try await expectNothingLeft(id: lab.id, dir: dir)
        } catch {
            try? await lab.down(logger: logger)
            throw error
        }
    }
}
