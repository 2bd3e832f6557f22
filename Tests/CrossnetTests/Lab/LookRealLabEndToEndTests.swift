import CLibSSH
import Foundation
import Logging
import Testing

@testable import Crossnet

/// A virtual lab that looks like a team's real lab (`lab up --look-real`): a non-root user in the
/// docker group, sshd on port 2222, interface `ens3`, h2 and h3 reachable only through the
/// bastion h1, hosts named by the aliases of the ssh_config written next to the inventory.
/// Needs root, dockerd and sshd. Subnet 198.18.121.0/24 only.
@Suite("Virtual lab that looks real, end to end", .serialized, .tags(.lab), .enabled(if: getuid() == 0, "needs root"))
struct LookRealLabEndToEndTests {
    static let subnet = "198.18.121.0/24"
    let logger: Logger = {
        var logger = Logger(label: "look-real-test")
        logger.logLevel = .info
        return logger
    }()

    /// Brings a lab up with `options`, runs `body`, and always brings it down again; afterwards
    /// nothing of it is left, the user it created included.
    private func withLab(
        _ options: LabOptions, _ body: (VirtualLab, LabDescription, Inventory) async throws -> Void
    ) async throws {
        let dir = "/tmp/cnlab-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { _ = try? LocalCommand.runBlocking(["rm", "-rf", dir]) }
        let userExisted = options.sshUser.map { getpwnam($0) != nil } ?? true
        let lab = VirtualLab(directory: dir)
        do {
            let description = try await lab.up(hostCount: 3, subnet: Self.subnet, options: options, logger: logger)
            let inventory = try InventoryLoader.load(
                path: description.inventoryPath, sshConfigPath: description.sshConfigPath)
            try await body(lab, description, inventory)
        } catch {
            try? await lab.down(logger: logger)
            throw error
        }
        try await lab.down(logger: logger)
        let netns = try await LocalCommand.run(["ip", "netns", "list"], timeout: .seconds(10)).stdoutText
        #expect(!netns.contains("cn\(lab.id)"), "namespaces left: \(netns)")
        if let user = options.sshUser, !userExisted {
            #expect(getpwnam(user) == nil, "lab down removes the user \(user) it created")
        }
    }

    @Test("check passes through two hops as a non-root user on port 2222 with ens3, no ssh client runs")
    func checkThroughBastion() async throws {
        try await withLab(.lookReal) { lab, description, inventory in
            // The inventory names hosts by alias; the ssh config gives everything else.
            #expect(inventory.hosts.map(\.sshAlias) == ["h1", "h2", "h3"])
            #expect(inventory.hosts.allSatisfy { $0.user == "crossnet" && $0.port == 2222 && $0.interface == "ens3" })
            #expect(inventory.hosts.map { $0.proxyJump.map(\.name) } == [[], ["h1"], ["h1"]])
            let h1Address = description.hosts[0].address

            let spy = try SSHClientSpy()
            defer { spy.remove() }
            let report = await Preflight(
                inventory: inventory, options: SSHOptions(), probeImageTag: nil, logger: logger
            ).run()
            #expect(report.passed, "\(report.table)")
            #expect(report.results.filter { $0.check == "ssh" }.map(\.detail) == [
                "crossnet@\(description.hosts[0].address):2222",
                "crossnet@\(description.hosts[1].address):2222 via h1",
                "crossnet@\(description.hosts[2].address):2222 via h1",
            ])
            #expect(report.results.filter { $0.check == "docker" }.allSatisfy { $0.status == .pass })
            #expect(report.results.filter { $0.check == "macvlan-parent" }.allSatisfy { $0.detail == "ens3 is up" })

            // Two hops: sshd on h3 sees the connection come from h1, as the user, not root.
            let session = try await SSHSession.connect(SSHEndpoint(host: inventory.hosts[2]), logger: logger)
            let output = try await session.exec("hostname; id -un; id -Gn; echo $SSH_CONNECTION", timeout: .seconds(10))
            await session.close()
            let lines = output.stdoutText.split(separator: "\n").map(String.init)
            #expect(lines.count == 4)
            #expect(lines.first == "h3")
            #expect(lines.dropFirst().first == "crossnet")
            #expect(lines.dropFirst(2).first?.split(separator: " ").contains("docker") == true)
            #expect(lines.last?.split(separator: " ").first.map(String.init) == h1Address)
            #expect(spy.invocations.isEmpty, "an ssh client ran: \(spy.invocations)")

            // Behind the bastion: a direct connection to h2 is refused.
            var direct = SSHEndpoint(host: inventory.hosts[1])
            direct.proxyJump = []
            await #expect(throws: SSHError.self) {
                _ = try await SSHSession.connect(direct, options: SSHOptions(connectTimeout: .seconds(5)), logger: logger)
            }
            _ = lab
        }
    }

    @Test("libssh left to itself runs the ssh client for ProxyJump: the spy sees it (control for the test above)")
    func spyDetectsLibSSHProxyCommand() async throws {
        try await withLab(.lookReal) { _, description, _ in
            let spy = try SSHClientSpy()
            defer { spy.remove() }
            // A plain libssh session that reads the lab's ssh config and connects to h2.
            let session = try #require(ssh_new())
            defer { ssh_free(session) }
            #expect(ssh_options_set(session, SSH_OPTIONS_HOST, "h2") == SSH_OK)
            #expect(ssh_options_parse_config(session, description.sshConfigPath) == SSH_OK)
            var timeout = 5
            _ = ssh_options_set(session, SSH_OPTIONS_TIMEOUT, &timeout)
            _ = ssh_connect(session)  // fails: the fake ssh prints nothing
            ssh_disconnect(session)
            #expect(spy.invocations.contains { $0.contains("-W") && $0.contains("h1") }, "\(spy.invocations)")
        }
    }

    @Test("A wrong host key on the jump host or on the target is refused, naming the hop")
    func wrongHostKeys() async throws {
        try await withLab(.lookReal) { _, description, inventory in
            let wrong = description.directory + "/known_hosts.wrong"
            let key = description.directory + "/wrong_key"
            _ = try await LocalCommand.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key], timeout: .seconds(10))
            defer {
                try? FileManager.default.removeItem(atPath: key)
                try? FileManager.default.removeItem(atPath: key + ".pub")
            }
            let fields = try String(contentsOfFile: key + ".pub", encoding: .utf8).split(separator: " ")
            let right = try String(contentsOfFile: description.directory + "/known_hosts", encoding: .utf8)
            func knownHosts(wrongFor address: String) -> String {
                right.split(separator: "\n").map { line in
                    line.hasPrefix("[\(address)]:2222 ") ? "[\(address)]:2222 \(fields[0]) \(fields[1])" : String(line)
                }.joined(separator: "\n") + "\n"
            }
            let h2 = inventory.hosts[1]

            // The jump host h1 presents a key other than the recorded one.
            try knownHosts(wrongFor: description.hosts[0].address).write(toFile: wrong, atomically: true, encoding: .utf8)
            var viaWrongJump = h2
            viaWrongJump.proxyJump[0].knownHostsFile = wrong
            let jumpError = await #expect(throws: SSHError.self) {
                _ = try await SSHSession.connect(SSHEndpoint(host: viaWrongJump), logger: logger)
            }
            #expect(jumpError?.host == "h1 (jump host for h2)")
            guard case .hostKeyMismatch = jumpError?.kind else {
                Issue.record("expected a host key mismatch, got \(String(describing: jumpError))")
                return
            }

            // The target h2 presents a key other than the recorded one (the jump host is right).
            try knownHosts(wrongFor: description.hosts[1].address).write(toFile: wrong, atomically: true, encoding: .utf8)
            var wrongTarget = h2
            wrongTarget.knownHostsFile = wrong
            let targetError = await #expect(throws: SSHError.self) {
                _ = try await SSHSession.connect(SSHEndpoint(host: wrongTarget), logger: logger)
            }
            #expect(targetError?.host == "h2")
            guard case .hostKeyMismatch = targetError?.kind else {
                Issue.record("expected a host key mismatch, got \(String(describing: targetError))")
                return
            }
            // With the right keys the same hop works.
            let session = try await SSHSession.connect(SSHEndpoint(host: h2), logger: logger)
            #expect(try await session.exec("hostname", timeout: .seconds(10)).trimmedStdout == "h2")
            await session.close()
        }
    }

    @Test("Where sshd forbids stream-local forwarding the Engine is reached through docker system dial-stdio")
    func dialStdioFallback() async throws {
        var options = LabOptions.lookReal
        options.forbidStreamLocalForwarding = true
        try await withLab(options) { _, _, inventory in
            let report = await Preflight(
                inventory: inventory, options: SSHOptions(), probeImageTag: nil, logger: logger
            ).run()
            #expect(report.passed, "\(report.table)")
            let docker = report.results.filter { $0.check == "docker" }
            #expect(docker.count == 3)
            #expect(docker.allSatisfy { $0.status == .warn && $0.detail.contains("`docker system dial-stdio`") }, "\(docker)")

            let fleet = try await HostFleet.connect(inventory, logger: logger)
            for host in fleet.hostNames {
                let version = try await fleet.engine(host).version()
                #expect(version.apiVersion == "1.41")
                #expect(fleet.dialer(host).route == .dialStdio)
            }
            // Several Engine calls at once, each on its own exec channel.
            let counts = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<8 { group.addTask { try await fleet.engine("h3").allContainers().count } }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(counts.count == 8 && Set(counts).count == 1)
            // h2 and h3 go through the fleet's one session to h1: h1 has one SSH client, the gateway.
            let peers = try await fleet.exec("h1", "ss -Htn state established '( sport = :2222 )' | awk '{print $4}'")
            #expect(peers.stdoutText.split(separator: "\n").count == 1, "\(peers.stdoutText)")
            await fleet.close()
        }
    }

    @Test("A host behind the bastion reconnects through it: after its own connection drops, and after the bastion's")
    func reconnectThroughBastion() async throws {
        try await withLab(.lookReal) { lab, description, inventory in
            let faults = try LabFaults(lab: lab, logger: logger)
            let fleet = try await HostFleet.connect(inventory, logger: logger)
            let h3 = fleet.session("h3")
            let h1Address = description.hosts[0].address
            /// The first call that gets through within 15 s (the first ones may meet the backoff).
            func firstAnswer() async throws -> String? {
                let start = ContinuousClock.now
                while ContinuousClock.now - start < .seconds(15) {
                    if let output = try? await h3.exec("echo $SSH_CONNECTION", timeout: .seconds(5)) {
                        return output.stdoutText.split(separator: " ").first.map(String.init)
                    }
                    try await Task.sleep(for: .milliseconds(250))
                }
                return nil
            }
            #expect(try await firstAnswer() == h1Address)

            // h3's own connection drops (its sshd stops, dropping its connections, and comes back):
            // the next call reconnects, through h1 (h3 refuses anyone else).
            try await faults.stopSSHD(host: "h3")
            try await faults.startSSHD(host: "h3")
            #expect(try await firstAnswer() == h1Address)
            #expect(h3.reconnects == 1)

            // The bastion's connection drops, and with it the tunnel h3's session runs in: a call to
            // h3 reconnects h1 first, then h3 through it.
            try await faults.stopSSHD(host: "h1")
            try await faults.startSSHD(host: "h1")
            #expect(try await firstAnswer() == h1Address)
            #expect(h3.reconnects == 2)
            #expect(fleet.session("h1").reconnects == 1)
            await fleet.close()
        }
    }
}

/// A fake `ssh` first on PATH that records how it was called and fails: shows whether anything
/// in this process ran the OpenSSH client. Removed (and PATH restored) by ``remove()``.
final class SSHClientSpy: @unchecked Sendable {
    let folder: String
    let log: String
    private let oldPath: String

    init() throws {
        folder = NSTemporaryDirectory() + "crossnet-ssh-spy-\(UUID().uuidString.prefix(8))"
        log = folder + "/calls"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try "#!/bin/sh\necho \"ssh $*\" >> \(log)\nexit 255\n".write(toFile: folder + "/ssh", atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: folder + "/ssh")
        oldPath = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        setenv("PATH", folder + ":" + oldPath, 1)
    }

    /// Each call of the fake client, as `ssh <arguments>`.
    var invocations: [String] {
        ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    func remove() {
        setenv("PATH", oldPath, 1)
        try? FileManager.default.removeItem(atPath: folder)
    }
}
