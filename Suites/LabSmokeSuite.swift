import Foundation
import Testing

import Crossnet

/// The control plane against every host of the inventory: the checks `crossnet` relies on before
/// any topology is built.
@Suite("lab smoke", .tags(.lab), .needsInventory, .serialized)
struct LabSmokeSuite {
    @Test("every host answers `uname -r` and `docker version` over its SSH session", arguments: SuiteInventory.hostNames)
    func kernelAndDocker(host: String) async throws {
        let fleet = try await SuiteEnvironment.shared.get().fleet
        let uname = try await fleet.exec(host, "uname -r")
        #expect(uname.exitStatus == 0)
        #expect(uname.trimmedStdout.range(of: #"^\d+\.\d+"#, options: .regularExpression) != nil, "kernel: \(uname.stdoutText)")
        let cli = try await fleet.exec(host, "docker version --format '{{.Server.Version}} {{.Server.APIVersion}}'")
        #expect(cli.exitStatus == 0, "docker CLI on \(host): \(cli.stderrText)")
        let api = try await fleet.engine(host).version()
        #expect(cli.trimmedStdout == "\(api.version) \(api.apiVersion)")
        #expect(api.kernelVersion == uname.trimmedStdout)
    }

    @Test("exit codes come back as data, with stdout and stderr kept apart", arguments: [0, 1, 3, 42])
    func exitCodes(code: Int32) async throws {
        let fleet = try await SuiteEnvironment.shared.get().fleet
        let host = try #require(SuiteInventory.hostNames.first)
        let output = try await fleet.session(host).exec("echo out; echo err >&2; exit \(code)", timeout: .seconds(10))
        #expect(output.exitStatus == code)
        #expect(output.stdoutText == "out\n")
        #expect(output.stderrText == "err\n")
    }

    /// A self-test of Crossnet's transport (it holds 10 MB in memory): virtual lab only.
    @Test("10 MB of output arrives intact", .needsCrossnetLab)
    func largeOutput() async throws {
        let fleet = try await SuiteEnvironment.shared.get().fleet
        let host = try #require(SuiteInventory.hostNames.last)
        let session = fleet.session(host)
        let size = 10_000_000
        // A file of this test's own (lab hosts share the machine's /tmp; other runs may be at work).
        let file = "/tmp/crossnet-10mb-\(UUID().uuidString)"
        let output = try await session.exec("head -c \(size) /dev/urandom | tee \(file) | wc -c >/dev/null; cat \(file)", timeout: .seconds(60))
        let remoteSum = try await session.exec("sha256sum \(file) | cut -d' ' -f1; rm -f \(file)", timeout: .seconds(30))
        #expect(output.stdout.count == size)
        #expect(try await localSHA256(output.stdout) == remoteSum.trimmedStdout)
    }

    /// A self-test of Crossnet's transport (it holds 50 MB in memory): virtual lab only.
    @Test("a 50 MB upload on stdin arrives intact", .needsCrossnetLab)
    func largeUpload() async throws {
        let fleet = try await SuiteEnvironment.shared.get().fleet
        let host = try #require(SuiteInventory.hostNames.first)
        var generator = SystemRandomNumberGenerator()
        var data = Data(count: 50_000_000)
        data.withUnsafeMutableBytes { raw in
            let words = raw.bindMemory(to: UInt64.self)
            for index in words.indices { words[index] = generator.next() }
        }
        let output = try await fleet.session(host).exec("sha256sum | cut -d' ' -f1", stdin: .data(data), timeout: .seconds(120))
        #expect(output.exitStatus == 0)
        #expect(output.trimmedStdout == (try await localSHA256(data)))
    }

    @Test("a command past its deadline is stopped and the session stays usable")
    func timeoutKeepsSession() async throws {
        let fleet = try await SuiteEnvironment.shared.get().fleet
        let host = try #require(SuiteInventory.hostNames.first)
        let session = fleet.session(host)
        let clock = ContinuousClock.now
        await #expect(throws: (any Error).self) {
            _ = try await session.exec("sleep 30", timeout: .seconds(1))
        }
        #expect(ContinuousClock.now - clock < .seconds(10))
        let after = try await session.exec("echo ok", timeout: .seconds(10))
        #expect(after.trimmedStdout == "ok")
    }

    @Test("commands run in parallel on every host")
    func parallelExec() async throws {
        let fleet = try await SuiteEnvironment.shared.get().fleet
        let clock = ContinuousClock.now
        let names = try await withThrowingTaskGroup(of: (String, String).self) { group in
            for host in SuiteInventory.hostNames {
                for _ in 0..<3 {
                    group.addTask {
                        (host, try await fleet.session(host).exec("date +%s.%N; sleep 2; hostname; date +%s.%N", timeout: .seconds(20)).trimmedStdout)
                    }
                }
            }
            var names: [(String, String)] = []
            for try await pair in group { names.append(pair) }
            return names
        }
        _ = clock
        #expect(names.count == SuiteInventory.hostNames.count * 3)
        // Run at once, not one after another: every command started before any other ended (the
        // two-second commands overlap), whatever the machine's load.
        let spans = names.compactMap { _, text -> (Double, Double)? in
            let lines = text.split(separator: "\n")
            guard lines.count == 3, let start = Double(lines[0]), let end = Double(lines[2]) else { return nil }
            return (start, end)
        }
        #expect(spans.count == names.count, "each command reports its start and end: \(names)")
        if let latestStart = spans.map(\.0).max(), let earliestEnd = spans.map(\.1).min() {
            #expect(latestStart < earliestEnd, "the commands did not overlap: the last started at \(latestStart), the first ended at \(earliestEnd)")
        }
        if SuiteInventory.path?.contains("lab") == true {
            for (host, text) in names {
                let name = text.split(separator: "\n").dropFirst().first.map(String.init) ?? text
                #expect(name == host, "lab host \(host) reports hostname \(name)")
            }
        }
    }

    @Test("a changed host key is refused, naming the host and both fingerprints")
    func hostKeyMismatch() async throws {
        let inventory = try #require(SuiteInventory.inventory)
        let host = try #require(inventory.hosts.first)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("crossnet-kh-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let key = folder.appendingPathComponent("other").path
        _ = try await LocalCommand.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key])
        let otherPublic = try String(contentsOfFile: key + ".pub", encoding: .utf8).split(separator: " ")
        let tampered = folder.appendingPathComponent("known_hosts").path
        let name = host.port == 22 ? host.address : "[\(host.address)]:\(host.port)"
        try "\(name) \(otherPublic[0]) \(otherPublic[1])\n".write(toFile: tampered, atomically: true, encoding: .utf8)
        var endpoint = SSHEndpoint(host: host)
        endpoint.knownHostsFile = tampered
        do {
            _ = try await SSHSession.connect(endpoint, options: SSHOptions(), logger: .init(label: "test"))
            Issue.record("connected despite a changed host key")
        } catch {
            let text = "\(error)"
            #expect(text.contains(host.name))
            #expect(text.components(separatedBy: "SHA256:").count >= 3, "both fingerprints expected: \(text)")
        }
    }

    @Test("a key the host does not accept is refused")
    func wrongKeyRefused() async throws {
        let inventory = try #require(SuiteInventory.inventory)
        let host = try #require(inventory.hosts.first)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("crossnet-key-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let key = folder.appendingPathComponent("stranger").path
        _ = try await LocalCommand.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key])
        var endpoint = SSHEndpoint(host: host)
        endpoint.identityFiles = [key]
        var options = SSHOptions()
        options.passphrase = nil
        await #expect(throws: (any Error).self) {
            _ = try await withEnvironment(unset: "SSH_AUTH_SOCK") {
                try await SSHSession.connect(endpoint, options: options, logger: .init(label: "test"))
            }
        }
    }

    @Test("exactly one SSH session per host carries a whole run", arguments: SuiteInventory.hostNames)
    func oneSessionPerHost(host: String) async throws {
        let environment = try await SuiteEnvironment.shared.get()
        // Many operations on this host, over exec and Engine API channels...
        for _ in 0..<5 { _ = try await environment.fleet.engine(host).version() }
        _ = try await environment.fleet.exec(host, "true")
        // ...and the host's sshd sees one TCP connection from this process: the session's own.
        let port = environment.fleet.config(host).port
        let output = try await environment.fleet.exec(host, "ss -Htn state established '( sport = :\(port) )' | awk '{print $4}'")
        let peers = output.stdoutText.split(separator: "\n").filter { !$0.isEmpty }
        #expect(peers.count == 1, "SSH connections into \(host): \(peers)")
    }
}

extension LabSmokeSuite {
    @Test(
        "a connection whose host drops off the network fails the next call quickly, naming the host",
        .enabled(if: SuiteInventory.labDirectory != nil, "needs the virtual lab to unplug a host"))
    func deadConnectionDetected() async throws {
        let inventory = try #require(SuiteInventory.inventory)
        let host = try #require(inventory.hosts.last)
        let lab = VirtualLab(directory: try #require(SuiteInventory.labDirectory))
        let fleet = try await SuiteEnvironment.shared.get().fleet
        let interface = fleet.config(host.name).interface ?? "eth0"
        var options = SSHOptions()
        options.keepaliveInterval = .seconds(2)
        let session = try await SSHSession.connect(SSHEndpoint(host: host), options: options, logger: .init(label: "test"))
        #expect(try await session.exec("true", timeout: .seconds(10)).exitStatus == 0)
        // Unplug the host: its lab-side interface goes down (not over SSH: that is what breaks).
        #expect(try await lab.exec(host: host.name, command: ["ip", "link", "set", interface, "down"]) == 0)
        let clock = ContinuousClock.now
        do {
            _ = try await session.exec("true", timeout: .seconds(60))
            Issue.record("the call succeeded on an unplugged host")
        } catch {
            #expect("\(error)".contains(host.name), "\(error)")
        }
        let elapsed = ContinuousClock.now - clock
        _ = try await lab.exec(host: host.name, command: ["ip", "link", "set", interface, "up"])
        await session.close()
        #expect(elapsed < .seconds(30), "took \(elapsed) to notice")
        // The host is back for everyone else.
        #expect(try await fleet.exec(host.name, "true", timeout: .seconds(30)).exitStatus == 0)
    }
}

/// SHA-256 of `data`, hex, computed by this machine's sha256sum.
func localSHA256(_ data: Data) async throws -> String {
    let output = try await LocalCommand.run(["sha256sum"], stdin: data, timeout: .seconds(60))
    return String(output.stdoutText.prefix(64))
}

/// Runs `body` with an environment variable removed (restored afterwards).
func withEnvironment<T>(unset name: String, _ body: () async throws -> T) async rethrows -> T {
    let saved = ProcessInfo.processInfo.environment[name]
    unsetenv(name)
    defer { if let saved { setenv(name, saved, 1) } }
    return try await body()
}
