import Foundation
import Logging
import Testing

@testable import Crossnet

/// Engine API negotiation on a real lab host, against its real dockerd (20.10) and through the
/// Docker 29 test double (`lab up --engine docker29`), everything over SSH as in a run. Brings up
/// its own one-host lab (needs root, dockerd, sshd, and the crossnet binary built beside the
/// tests); subnet `CROSSNET_TEST_GATE_SUBNET`, default 198.18.9.0/24.
@Suite(
    "Engine API negotiation on a virtual lab host behind the Docker 29 test double", .serialized, .tags(.lab, .docker),
    .enabled(if: getuid() == 0, "needs root"),
    .enabled(if: VirtualLab.defaultGateExecutable() != nil, "needs the crossnet binary (swift build)"),
    GateLabScope())
struct EngineGateLabTests {
    private var lab: GateLab {
        get throws { try #require(GateLab.current, "the lab did not come up") }
    }

    @Test("through the gate Crossnet negotiates 1.52 and every call works; the real 20.10 socket gives 1.41")
    func negotiates() async throws {
        let lab = try lab
        let gate = lab.fleet.engine("h1")
        #expect(lab.fleet.apiVersion("h1") == nil)
        #expect(try await gate.apiVersion() == EngineAPIVersion(1, 52))
        #expect(gate.api.engine == EngineAPIRange(EngineAPIVersion(1, 44), EngineAPIVersion(1, 52)))
        #expect(lab.fleet.apiVersion("h1") == EngineAPIVersion(1, 52))
        let version = try await gate.version()
        #expect(version.apiVersion == "1.52")
        #expect(version.version.hasPrefix("20.10"), "the rest of /version comes from the real daemon")
        #expect(try await gate.info().name == "h1")

        // Containers, exec (a hijacked stream), networks and removal through the gate at 1.52.
        let image = try #require(try await lab.importBusybox(on: gate))
        let network = try await gate.createNetwork(NetworkSpec(name: "cn-gate-test", driver: "bridge", labels: ["crossnet.test": "gate"]))
        let id = try await gate.runContainer(
            ContainerSpec(
                name: "cn-gate-test", image: image, command: ["/bin/busybox", "sleep", "60"], labels: ["crossnet.test": "gate"],
                networkMode: "cn-gate-test", aliases: ["web"], capAdd: []))
        let output = try await gate.exec(id, ["/bin/busybox", "sh", "-c", "echo out; echo err >&2; exit 4"])
        #expect(output.stdoutText == "out\n")
        #expect(output.stderrText == "err\n")
        #expect(output.exitStatus == 4)
        #expect(try await gate.containers(label: "crossnet.test=gate").count == 1)
        try await gate.removeContainer(id)
        try await gate.removeNetwork(network)
        #expect(try await gate.networks(label: "crossnet.test=gate").isEmpty)

        // `docker load` through the gate: saved by the host's CLI on dockerd's socket, removed and
        // loaded back through the gate.
        let archive = lab.directory + "/busybox.tar"
        let saved = try await LocalCommand.run(
            try VirtualLab(directory: lab.directory).execArguments(host: "h1", command: ["docker", "save", "-o", archive, image]),
            timeout: .seconds(60))
        #expect(saved.succeeded, "\(saved.stderrText)")
        try await gate.removeImage(image)
        #expect(try await gate.inspectImage(image) == nil)
        try await gate.loadImage(archive: URL(fileURLWithPath: archive), timeout: .seconds(60))
        #expect(try await gate.inspectImage(image) != nil)

        // The same host's real dockerd, over the same SSH session.
        let real = DockerEngine(host: "h1") { [session = lab.fleet.session("h1"), socket = lab.daemonSocket] in
            try await session.openUnixSocketChannel(path: socket, timeout: .seconds(10))
        }
        #expect(try await real.apiVersion() == EngineAPIVersion(1, 41))
        #expect(real.api.engine?.highest == EngineAPIVersion(1, 41))
        #expect(try await real.info().name == "h1")
    }

    @Test("a client forced to 1.41 through the gate gets Docker 29's exact 400")
    func forcedOldClientRefused() async throws {
        let lab = try lab
        let session = lab.fleet.session("h1")
        let socket = lab.fleet.config("h1").dockerSocket
        let forced = DockerEngine(host: "h1", api: EngineAPISelection(pinned: EngineAPIVersion(1, 41))) {
            try await session.openUnixSocketChannel(path: socket, timeout: .seconds(10))
        }
        do {
            _ = try await forced.info()
            Issue.record("expected a 400")
        } catch let error as DockerAPIError {
            #expect(error.status == 400)
            #expect(
                error.message
                    == "client version 1.41 is too old. Minimum supported API version is 1.44, please upgrade your client to a newer version")
        }
        // The bytes on the wire, exactly.
        let channel = try await session.openUnixSocketChannel(path: socket, timeout: .seconds(10))
        let response = try await HTTPClient(host: "h1").send(HTTPRequest(method: "GET", path: "/v1.41/info"), on: channel, timeout: .seconds(10))
        await channel.close()
        #expect(response.status == 400)
        #expect(response.headers["api-version"] == "1.52")
        #expect(response.headers["content-type"] == "application/json")
        #expect(
            String(decoding: response.body, as: UTF8.self)
                == #"{"message":"client version 1.41 is too old. Minimum supported API version is 1.44, please upgrade your client to a newer version"}"#
                + "\n")
        // Unversioned /_ping always works and names Docker 29's version.
        let ping = try await session.openUnixSocketChannel(path: socket, timeout: .seconds(10))
        let pong = try await HTTPClient(host: "h1").send(HTTPRequest(method: "GET", path: "/_ping"), on: ping, timeout: .seconds(10))
        await ping.close()
        #expect(pong.status == 200)
        #expect(pong.headers["api-version"] == "1.52")
        #expect(String(decoding: pong.body, as: UTF8.self) == "OK")
    }

    @Test(
        "an Engine whose range does not meet Crossnet's fails with a clear error naming the host and both ranges",
        arguments: [("1.53", "1.60"), ("1.12", "1.40")])
    func noCommonVersion(low: String, high: String) async throws {
        let lab = try lab
        // Another gate on the same host, claiming a range outside Crossnet's.
        let socket = lab.directory + "/h1/gate-\(low)-\(high).sock"
        let executable = try #require(VirtualLab.defaultGateExecutable())
        var arguments = try VirtualLab(directory: lab.directory).execArguments(
            host: "h1",
            command: [
                executable, "lab", "engine-gate", "--listen", socket, "--upstream", lab.daemonSocket, "--api-version", high,
                "--min-api-version", low,
            ])
        arguments[0] = try #require(LabPrerequisites.locate(arguments[0]))
        let pid = try TestSSHServer.spawn(arguments)
        defer { TestSSHServer.terminate(pid) }
        for _ in 0..<100 where !FileManager.default.fileExists(atPath: socket) { try await Task.sleep(for: .milliseconds(50)) }
        let session = lab.fleet.session("h1")
        let engine = DockerEngine(host: "h1") { try await session.openUnixSocketChannel(path: socket, timeout: .seconds(10)) }
        do {
            _ = try await engine.info()
            Issue.record("expected EngineAPIVersionMismatch")
        } catch let error as EngineAPIVersionMismatch {
            #expect(error.host == "h1")
            #expect(error.engine.description == "\(low)–\(high)")
            #expect(error.crossnet == .crossnet)
            #expect(error.description.contains("h1: the Docker Engine speaks API \(low)–\(high) and Crossnet speaks API 1.41–1.52"))
        }
        #expect(engine.negotiatedAPIVersion == nil)
    }
}

/// A one-host lab with `--engine docker29`, connected over SSH, for the suite's duration.
final class GateLab: Sendable {
    @TaskLocal static var current: GateLab?

    let directory: String
    let fleet: HostFleet
    let daemonSocket: String

    init(directory: String, fleet: HostFleet, daemonSocket: String) {
        self.directory = directory
        self.fleet = fleet
        self.daemonSocket = daemonSocket
    }

    /// A one-binary busybox image made on the host (`docker import` over the Engine API is not
    /// one of Crossnet's calls, so the lab's own docker CLI on dockerd's socket makes it).
    func importBusybox(on engine: DockerEngine) async throws -> String? {
        let script = #"""
            set -e; r=$(mktemp -d); mkdir $r/bin; cp /bin/busybox $r/bin/
            tar -C $r -c . | docker import - cn-gate-busybox:1 >/dev/null; rm -rf $r
            """#
        let lab = VirtualLab(directory: directory)
        let output = try await LocalCommand.run(
            try lab.execArguments(host: "h1", command: ["bash", "-c", script]), timeout: .seconds(60))
        guard output.succeeded else {
            Issue.record("docker import failed: \(output.stderrText)")
            return nil
        }
        return try await engine.inspectImage("cn-gate-busybox:1") != nil ? "cn-gate-busybox:1" : nil
    }
}

struct GateLabScope: SuiteTrait, TestScoping {
    func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        var logger = Logger(label: "gate-lab-test")
        logger.logLevel = .notice
        let directory = "/tmp/cngate-\(UUID().uuidString.prefix(8))"
        let subnet = ProcessInfo.processInfo.environment["CROSSNET_TEST_GATE_SUBNET"] ?? "198.18.9.0/24"
        let lab = VirtualLab(directory: directory)
        defer { _ = try? LocalCommand.runBlocking(["rm", "-rf", directory]) }
        do {
            let description = try await lab.up(hostCount: 1, subnet: subnet, engine: .docker29, logger: logger)
            let inventory = try InventoryLoader.load(path: description.inventoryPath)
            #expect(inventory.hosts[0].dockerSocket == description.hosts[0].dockerSocket)
            #expect(description.hosts[0].dockerSocket.hasSuffix("/h1/docker29.sock"))
            let fleet = try await HostFleet.connect(inventory, options: SSHOptions(passphrase: nil), logger: logger)
            let state = GateLab(directory: directory, fleet: fleet, daemonSocket: description.hosts[0].daemonSocket)
            do {
                try await GateLab.$current.withValue(state) { try await function() }
            } catch {
                await fleet.close()
                throw error
            }
            await fleet.close()
        } catch {
            try? await lab.down(logger: logger)
            throw error
        }
        try await lab.down(logger: logger)
    }
}
