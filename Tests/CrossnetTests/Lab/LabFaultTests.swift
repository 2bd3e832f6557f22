import Foundation
import Logging
import Testing
@testable import Crossnet

/// A virtual lab (3 hosts, 198.18.150.0/24, folder `.lab-faults`) brought up once for the fault
/// tests and taken down after them; a lab already up there is reused and left up.
struct FaultLab: Sendable {
    @TaskLocal static var current: FaultLab?

    static let directory = ".lab-faults"
    static let subnet = "198.18.150.0/24"

    let lab: VirtualLab
    let inventory: Inventory
    let faults: LabFaults

    static let logger: Logger = {
        var logger = Logger(label: "fault-test")
        logger.logLevel = .info
        return logger
    }()
}

struct FaultLabScope: SuiteTrait, TestScoping {
    func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        let lab = VirtualLab(directory: FaultLab.directory)
        var weBroughtItUp = false
        do {
            _ = try await lab.up(hostCount: 3, subnet: FaultLab.subnet, logger: FaultLab.logger)
            weBroughtItUp = true
        } catch is LabAlreadyUp {
            // Reuse it as it is.
        }
        do {
            let inventory = try InventoryLoader.load(path: lab.directory + "/inventory.yaml")
            let faults = try LabFaults(lab: lab, logger: FaultLab.logger)
            let context = FaultLab(lab: lab, inventory: inventory, faults: faults)
            try await FaultLab.$current.withValue(context) { try await function() }
        } catch {
            if weBroughtItUp { try? await lab.down(logger: FaultLab.logger) }
            throw error
        }
        if weBroughtItUp { try await lab.down(logger: FaultLab.logger) }
    }
}

extension Trait where Self == FaultLabScope {
    static var faultLab: Self { .init() }
}

/// Seconds since `start`, for messages.
private func since(_ start: ContinuousClock.Instant) -> Double { (ContinuousClock.now - start).seconds }

/// Runs `body`, returning its error (or failing the test when it succeeds) and how long it took.
private func failure<T>(_ body: () async throws -> T) async -> (error: (any Error)?, seconds: Double) {
    let start = ContinuousClock.now
    do {
        _ = try await body()
        Issue.record("expected a failure, got success after \(since(start)) s")
        return (nil, since(start))
    } catch {
        return (error, since(start))
    }
}

/// Faults injected into a real virtual lab: every call returns by its deadline with an error
/// naming the host, and a host that comes back is reconnected. "By its deadline" allows 1 s of
/// scheduling slack: the machine's two cores are shared with builds.
@Suite("Faults on a virtual lab", .serialized, .tags(.lab), .enabled(if: getuid() == 0, "needs root"), .faultLab)
struct LabFaultTests {
    var lab: FaultLab { get throws { try #require(FaultLab.current) } }

    /// Runs `body` with a fleet connected to the lab and closes it afterwards (awaited: session
    /// threads still running when the test process exits race libssh's own teardown).
    private func withFleet<T>(
        _ lab: FaultLab, tolerateDown: Bool = false, _ body: (HostFleet) async throws -> T
    ) async throws -> T {
        let fleet = try await HostFleet.connect(
            lab.inventory, options: SSHOptions(connectTimeout: .seconds(4), passphrase: nil), logger: FaultLab.logger,
            tolerateDown: tolerateDown)
        do {
            let result = try await body(fleet)
            await fleet.close()
            return result
        } catch {
            await fleet.close()
            throw error
        }
    }

    /// Injects a fault, runs `body`, and undoes the fault whatever happens (awaited).
    private func withFault<T>(
        _ inject: () async throws -> Void, undo: () async throws -> Void, _ body: () async throws -> T
    ) async throws -> T {
        try await inject()
        do {
            let result = try await body()
            try await undo()
            return result
        } catch {
            try? await undo()
            throw error
        }
    }

    /// The Engine on `host` with short deadlines (channel open and call).
    private func engine(_ fleet: HostFleet, _ host: String, timeout: Duration) -> DockerEngine {
        let session = fleet.session(host)
        let socket = fleet.config(host).dockerSocket
        return DockerEngine(host: host, defaultTimeout: timeout) {
            try await session.openUnixSocketChannel(path: socket, timeout: timeout)
        }
    }

    @Test("a frozen dockerd: an Engine API call and a docker exec return by their deadline naming the host; the session stays usable")
    func frozenDockerd() async throws {
        let lab = try lab
        try await withFleet(lab) { fleet in
            let frozen = try lab.faults.freezeDockerd(host: "h2")
            defer { try? lab.faults.thawDockerd(host: "h2") }
            print("froze dockerd of h2 (pid \(frozen))")

            let api = await failure { try await engine(fleet, "h2", timeout: .seconds(3)).version() }
            print("Engine API call on frozen h2: returned after \(String(format: "%.2f", api.seconds)) s (deadline 3 s): \(api.error.map { "\($0)" } ?? "-")")
            let deadline = try #require(api.error as? DeadlineExceeded, "\(String(describing: api.error))")
            // The first Engine call negotiates the API version: `docker version  # negotiate …`.
            #expect(deadline.host == "h2" && deadline.operation.hasPrefix("docker version"), "\(deadline.operation)")
            #expect(api.seconds >= 2.9 && api.seconds < 4)

            let exec = await failure { try await fleet.session("h2").exec("docker version", timeout: .seconds(3)) }
            print("exec `docker version` on frozen h2: returned after \(String(format: "%.2f", exec.seconds)) s (deadline 3 s): \(exec.error.map { "\($0)" } ?? "-")")
            let timeout = try #require(exec.error as? SSHError)
            #expect(timeout.host == "h2")
            if case .timeout(let operation, _) = timeout.kind { #expect(operation.contains("docker version")) } else { Issue.record("\(timeout)") }
            #expect(exec.seconds >= 2.9 && exec.seconds < 4)

            // sshd still answers: the liveness check passes and the same connection serves the next call.
            try await Task.sleep(for: .milliseconds(500))
            let echo = try await fleet.session("h2").exec("echo alive", timeout: .seconds(5))
            #expect(echo.stdoutText == "alive\n")
            #expect(fleet.session("h2").reconnects == 0)
            // The other hosts are not affected.
            #expect(try await engine(fleet, "h1", timeout: .seconds(5)).version().apiVersion == "1.41")
        }
    }

    @Test("a blackholed link: exec, a large channel write and connect return by their deadline; after the link returns the next call reconnects")
    func blackholedLink() async throws {
        let lab = try lab
        try await withFleet(lab) { fleet in
            let session = fleet.session("h3")
            let channel = try await session.openUnixSocketChannel(path: fleet.config("h3").dockerSocket, timeout: .seconds(5))
            try await withFault({ try await lab.faults.cutLink(host: "h3") }, undo: { try await lab.faults.restoreLink(host: "h3") }) {
            async let exec = failure { try await session.exec("true", timeout: .seconds(3)) }
            async let write = failure { try await channel.write(Data(count: 32 << 20), timeout: .seconds(3)) }
            async let connect = failure {
                try await SSHSession.connect(
                    SSHEndpoint(host: fleet.config("h3")), options: SSHOptions(connectTimeout: .seconds(3), passphrase: nil),
                    logger: FaultLab.logger)
            }
            let (execResult, writeResult, connectResult) = await (exec, write, connect)
            for (what, result) in [("exec `true`", execResult), ("32 MiB channel write", writeResult), ("connect", connectResult)] {
                print("\(what) over a blackholed link: returned after \(String(format: "%.2f", result.seconds)) s (deadline 3 s): \(result.error.map { "\($0)" } ?? "-")")
                let error = try #require(result.error as? SSHError, "\(what): \(String(describing: result.error))")
                #expect(error.host == "h3", "\(what)")
                if case .timeout = error.kind {} else { Issue.record("\(what): expected a timeout, got \(error)") }
                #expect(result.seconds >= 2.9 && result.seconds < 4, "\(what)")
            }

            // No answer to the liveness check: the session is marked broken within 5 s more.
            let start = ContinuousClock.now
            while session.core.isUsable, since(start) < 8 { try await Task.sleep(for: .milliseconds(100)) }
            print("session to h3 marked broken \(String(format: "%.2f", since(start))) s after the timeouts")
            #expect(!session.core.isUsable)
            }
            let reconnectStart = ContinuousClock.now
            let echo = try await session.exec("echo back", timeout: .seconds(5))
            print("first call after the link returned: reconnected and ran in \(String(format: "%.2f", since(reconnectStart))) s")
            #expect(echo.stdoutText == "back\n")
            #expect(session.reconnects == 1)
        }
    }

    @Test("sshd stopped: fast typed failures naming the host; restarted: the next call reconnects")
    func stoppedSSHD() async throws {
        let lab = try lab
        try await withFleet(lab) { fleet in
            let session = fleet.session("h1")
            #expect(try await session.exec("true", timeout: .seconds(5)).exitStatus == 0)
            try await withFault({ try await lab.faults.stopSSHD(host: "h1") }, undo: { try await lab.faults.startSSHD(host: "h1") }) {

            // The dropped connection is noticed; the reconnect is refused at once.
            var errors: [(SSHError, Double)] = []
            for _ in 0..<20 {
                let result = await failure { try await session.exec("true", timeout: .seconds(5)) }
                errors.append((try #require(result.error as? SSHError, "\(String(describing: result.error))"), result.seconds))
            }
            let total = errors.map(\.1).reduce(0, +)
            print("20 calls to h1 with sshd stopped took \(String(format: "%.3f", total)) s in all; first: \(errors[0].0); last: \(errors[19].0)")
            #expect(errors.allSatisfy { $0.0.host == "h1" })
            #expect(total < 2)
            if case .hostUnreachable = errors[19].0.kind {} else { Issue.record("expected .hostUnreachable, got \(errors[19].0)") }
            }
            // Wait out the backoff (at most 2 s after two failed attempts), then the call reconnects.
            let start = ContinuousClock.now
            var output: CommandOutput?
            while output == nil, since(start) < 10 {
                output = try? await session.exec("echo again", timeout: .seconds(5))
                if output == nil { try await Task.sleep(for: .milliseconds(250)) }
            }
            print("reconnected to h1 \(String(format: "%.2f", since(start))) s after sshd restarted")
            #expect(output?.stdoutText == "again\n")
            #expect(session.reconnects == 1)
        }
    }

    @Test("cancelling the task of a blocked call (exec, Engine API call, connect) returns at once")
    func cancellation() async throws {
        let lab = try lab
        let before = SSHSession.liveSessionThreads
        try await withFleet(lab) { fleet in
            try lab.faults.freezeDockerd(host: "h1")
            defer { try? lab.faults.thawDockerd(host: "h1") }
            try await withFault({ try await lab.faults.cutLink(host: "h2") }, undo: { try await lab.faults.restoreLink(host: "h2") }) {
            let session = fleet.session("h1")
            let h1Engine = engine(fleet, "h1", timeout: .seconds(60))
            let h2Endpoint = SSHEndpoint(host: fleet.config("h2"))
            let blocked: [(String, Task<Void, any Error>)] = [
                ("exec `docker ps` (60 s deadline)", Task { _ = try await session.exec("docker ps", timeout: .seconds(60)) }),
                ("Engine API call (60 s deadline)", Task { _ = try await h1Engine.version() }),
                ("connect over a blackholed link (8 s deadline)", Task {
                    _ = try await SSHSession.connect(
                        h2Endpoint, options: SSHOptions(connectTimeout: .seconds(8), passphrase: nil), logger: FaultLab.logger)
                }),
            ]
            try await Task.sleep(for: .seconds(1))
            for (what, task) in blocked {
                let start = ContinuousClock.now
                task.cancel()
                let result = await task.result
                let seconds = since(start)
                print("\(what): returned \(String(format: "%.3f", seconds)) s after cancel: \(result)")
                #expect(seconds < 0.5, "\(what)")
                if case .failure(let error) = result {
                    #expect(error is CancellationError, "\(what): \(error)")
                } else {
                    Issue.record("\(what) succeeded")
                }
            }
            }
            // The cancelled exec was aborted on the session thread; the session still works.
            let echo = try await fleet.session("h1").exec("echo ok", timeout: .seconds(5))
            #expect(echo.stdoutText == "ok\n")
        }
        // The abandoned connect's thread ends within its libssh timeout (8 s), the fleet's at once.
        let start = ContinuousClock.now
        while SSHSession.liveSessionThreads > before, since(start) < 10 { try await Task.sleep(for: .milliseconds(100)) }
        print("session threads back to \(SSHSession.liveSessionThreads) after \(String(format: "%.2f", since(start))) s")
        #expect(SSHSession.liveSessionThreads <= before)
    }

    @Test("a host down at the start is named and the fleet goes on; teardown and clean report what they could not reach")
    func downHostAndBestEffortCleanup() async throws {
        let lab = try lab
        try await lab.faults.stopSSHD(host: "h3")
        let context: RunContext
        do {
            let start = ContinuousClock.now
            context = try await withFleet(lab, tolerateDown: true) { fleet in
                print("fleet connected in \(String(format: "%.2f", since(start))) s; down: \(fleet.downHosts)")
                #expect(fleet.hostNames == ["h1", "h2"])
                #expect(fleet.downHosts.map(\.host) == ["h3"])
                #expect(fleet.downHosts.first?.operation == "connect")

                // A run's networks on h1 and h2; then h2's sshd goes too (with its connections).
                let context = RunContext(runID: RunContext.newRunID(), fleet: fleet, probeImage: "none")
                for host in ["h1", "h2"] {
                    let id = try await fleet.engine(host).createNetwork(
                        NetworkSpec(name: context.name("fault-\(host)"), driver: "bridge", labels: context.labels()))
                    context.ledger.record(CreatedResource(host: host, kind: .network, id: id))
                }
                try await withFault({ try await lab.faults.stopSSHD(host: "h2") }, undo: { try await lab.faults.startSSHD(host: "h2") }) {
                    let teardownStart = ContinuousClock.now
                    let report = await Teardown.report(context)
                    print("teardown took \(String(format: "%.2f", since(teardownStart))) s: \(report.lines)")
                    #expect(report.unreachableHosts == ["h2"])
                    #expect(report.problems.isEmpty)
                    let left = try await fleet.engine("h1").networks(label: context.labelFilter)
                    #expect(left.isEmpty)

                    // clean: h3 (down at the start) and h2 are reported, nothing stops early.
                    let cleanStart = ContinuousClock.now
                    let outcome = await Cleaner(fleet: fleet, runID: context.runID).clean()
                    print("clean took \(String(format: "%.2f", since(cleanStart))) s: removed \(outcome.removed); left \(outcome.left.lines)")
                    #expect(Set(outcome.left.unreachableHosts) == ["h2", "h3"])
                }
                return context
            }
        } catch {
            try? await lab.faults.startSSHD(host: "h3")
            throw error
        }
        try await lab.faults.startSSHD(host: "h3")
        // Every host back: the next clean removes h2's network, and finds nothing else.
        let removed = try await withFleet(lab) { fleet in try await Cleaner(fleet: fleet, runID: context.runID).run() }
        print("clean after the hosts returned: \(removed)")
        #expect(removed.count == 1 && removed.first?.hasPrefix("h2: network") == true, "\(removed)")
    }

    @Test("swarm teardown does not stop at an unreachable worker: the others and the manager leave, the worker is named")
    func swarmTeardownWithAWorkerDown() async throws {
        let lab = try lab
        try await withFleet(lab) { fleet in
            let context = RunContext(runID: RunContext.newRunID(), fleet: fleet, probeImage: "none")
            let swarm = try await context.swarm.ensure(context)
            #expect(swarm.createdByCrossnet && swarm.managerHost == "h1")
            try await withFault({ try await lab.faults.stopSSHD(host: "h2") }, undo: { try await lab.faults.startSSHD(host: "h2") }) {
                let start = ContinuousClock.now
                let report = await Teardown.report(context)
                print("swarm teardown with worker h2 down took \(String(format: "%.2f", since(start))) s: \(report.lines)")
                #expect(report.unreachableHosts == ["h2"])
                #expect(report.unreachable.first?.operation == "leave the swarm")
                for host in ["h1", "h3"] {
                    let state = try await fleet.engine(host).info().swarm.localNodeState
                    #expect(state == "inactive", "\(host) is still \(state)")
                }
            }
            // h2 answers again: it still believes in the swarm; leaving it is the clean-up.
            try await Task.sleep(for: .seconds(1.5))
            try await fleet.engine("h2").swarmLeave()
            let state = try await fleet.engine("h2").info().swarm.localNodeState
            #expect(state == "inactive")
        }
    }

    @Test("dockerd stopped: Engine calls fail at once naming the host; restarted: the same session reaches it again")
    func stoppedDockerd() async throws {
        let lab = try lab
        try await withFleet(lab) { fleet in
            try await withFault({ try await lab.faults.stopDockerd(host: "h3") }, undo: { try await lab.faults.startDockerd(host: "h3") }) {
                let result = await failure { try await fleet.engine("h3").version() }
                print("Engine call with dockerd of h3 stopped: failed after \(String(format: "%.3f", result.seconds)) s: \(result.error.map { "\($0)" } ?? "-")")
                let error = try #require(result.error as? SSHError, "\(String(describing: result.error))")
                #expect(error.host == "h3")
                #expect(error.message.contains("docker.sock"))
                #expect(result.seconds < 1)
            }
            let version = try await fleet.engine("h3").version()
            #expect(version.apiVersion == "1.41")
            #expect(fleet.session("h3").reconnects == 0)
        }
    }

    /// Shell lines that import a one-binary busybox image `cnfault-busybox` unless the host has it.
    static let busyboxImage = #"""
        set -e; if ! docker image inspect cnfault-busybox >/dev/null 2>&1; then
          r=$(mktemp -d); mkdir $r/bin; cp /bin/busybox $r/bin/; ln -s busybox $r/bin/sh
          tar -C $r -c . | docker import - cnfault-busybox >/dev/null; rm -rf $r; fi

        """#

    @Test("a killed probe container is seen as exited by its host's Engine")
    func killedContainer() async throws {
        let lab = try lab
        let name = "cn-fault-\(UUID().uuidString.prefix(6).lowercased())"
        let run = try await LocalCommand.run(try lab.lab.execArguments(host: "h2", command: [
            "sh", "-c", Self.busyboxImage + "docker run -d --name \(name) --network none cnfault-busybox /bin/busybox sleep 300",
        ]))
        #expect(run.succeeded, "\(run.stderrText)")
        do {
            try await lab.faults.killContainer(host: "h2", name: name)
            let state = try await LocalCommand.run(try lab.lab.execArguments(host: "h2", command: [
                "docker", "inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", name,
            ]))
            #expect(state.trimmedStdout == "exited 137")
        } catch {
            _ = try? await LocalCommand.run(try lab.lab.execArguments(host: "h2", command: ["docker", "rm", "-f", name]))
            throw error
        }
        _ = try await LocalCommand.run(try lab.lab.execArguments(host: "h2", command: ["docker", "rm", "-f", name]))
    }
}
