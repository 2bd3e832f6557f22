import Foundation
import Testing

@testable import Crossnet

extension Tag {
    /// Topology layer: deployment naming, placement, the run lock.
    @Tag static var topology: Self
}

@Suite("run lock: one run per host, stale holders detected", .tags(.topology))
struct RunLockTests {
    let here = ControllerIdentity.current()

    /// The captured `POST /volumes/create` body with its labels replaced by `labels`.
    func volumeResponse(labels: [String: String]) throws -> Data {
        var object = try #require(
            try JSONSerialization.jsonObject(with: EngineFixtures.data("volume-create-lock.json")) as? [String: Any])
        object["Labels"] = labels
        return EngineFixtures.response(status: 201, reason: "Created", body: try JSONSerialization.data(withJSONObject: object))
    }

    func engine(_ responses: [Data]) -> (DockerEngine, FixtureConnector) {
        let connector = FixtureConnector(responses)
        return (DockerEngine(host: "h1", transcript: Transcript()) { try connector.next() }, connector)
    }

    /// A process that has exited: its pid names no process (or, if reused, another start time).
    func deadPid() throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/true")
        try process.run()
        process.waitUntilExit()
        return process.processIdentifier
    }

    @Test("the start time is field 22 of /proc/PID/stat, even when the command name holds spaces and parentheses")
    func startTimeParsing() throws {
        let url = try #require(Bundle.module.url(forResource: "stat-name-with-parens.txt", withExtension: nil, subdirectory: "Fixtures/proc"))
        let line = try String(contentsOf: url, encoding: .utf8)
        #expect(line.hasPrefix("8445 (cn (probe) x) S"))
        #expect(ControllerIdentity.startTime(statLine: line) == "124307")
        #expect(ControllerIdentity.startTime(statLine: "garbage") == nil)
        #expect(ControllerIdentity.processStart(of: getpid()) == here.processStart)
    }

    @Test("a holder's labels read back as the same holder, and name run, controller, pid and start")
    func labelsRoundTrip() throws {
        let holder = RunLockHolder(runID: "20261126T150000-a1b2", controller: here, startedAt: "2026-11-26T15:00:00Z")
        #expect(RunLockHolder(labels: holder.labels) == holder)
        #expect(holder.labels["crossnet.run"] == "20261126T150000-a1b2")
        #expect(holder.summary == "run 20261126T150000-a1b2 (controller \(here.hostname), pid \(here.pid), started 2026-11-26T15:00:00Z)")
        #expect(RunLockHolder(labels: ["crossnet.run": "x"]) == nil)
    }

    @Test("liveness: this process is alive; an exited pid, a reused pid or a reboot make the lock stale; another machine cannot be checked")
    func liveness() throws {
        let alive = RunLockHolder(runID: "a", controller: here, startedAt: "t")
        #expect(alive.liveness(from: here) == .alive)

        var exited = here
        exited.pid = try deadPid()
        #expect(RunLockHolder(runID: "b", controller: exited, startedAt: "t").liveness(from: here).isDead)

        var reused = here
        reused.processStart = "1"
        #expect(RunLockHolder(runID: "c", controller: reused, startedAt: "t").liveness(from: here) == .dead("pid \(here.pid) is now another process"))

        var rebooted = here
        rebooted.bootID = "00000000-0000-0000-0000-000000000000"
        #expect(RunLockHolder(runID: "d", controller: rebooted, startedAt: "t").liveness(from: here).isDead)

        var elsewhere = here
        elsewhere.machineID = "5f1c0f3b2a8e4c7d9e6b1a2c3d4e5f60"
        guard case .unknown = RunLockHolder(runID: "e", controller: elsewhere, startedAt: "t").liveness(from: here) else {
            Issue.record("another machine's holder must count as unknown (alive)")
            return
        }
    }

    @Test("the run whose labels the Engine returns holds the lock")
    func acquired() async throws {
        let mine = RunLockHolder(runID: "20261126T151500-beef", controller: here, startedAt: "t")
        let (engine, connector) = engine([try volumeResponse(labels: mine.labels)])
        #expect(try await RunLock.take(host: "h1", holder: mine, engine: engine) == nil)
        #expect(connector.streams.first?.requestHead.hasPrefix("POST /v1.41/volumes/create") == true)
    }

    @Test("a lock held from another controller refuses the run at once, naming the holder")
    func refusedNamingHolder() async throws {
        let mine = RunLockHolder(runID: "20261126T150100-c3d4", controller: here, startedAt: "t")
        // The Engine's real answer to a second create: the first run's volume, unchanged.
        let (engine, _) = engine([
            EngineFixtures.response(status: 201, reason: "Created", body: try EngineFixtures.data("volume-create-existing.json"))
        ])
        let error = await #expect(throws: RunLockRefused.self) { try await RunLock.take(host: "h1", holder: mine, engine: engine) }
        let text = error.map(String.init(describing:)) ?? ""
        #expect(text.contains("h1 is in use by run 20261126T150000-a1b2 (controller ci-runner-7, pid 4242, started 2026-11-26T15:00:00Z)"), "\(text)")
        #expect(text.contains("crossnet clean --run 20261126T150000-a1b2"), "\(text)")
    }

    @Test("a live holder on this machine refuses the run")
    func refusedLiveHolder() async throws {
        var other = here
        other.pid = getppid()
        other.processStart = ControllerIdentity.processStart(of: other.pid) ?? "?"
        let holder = RunLockHolder(runID: "20261126T140000-0001", controller: other, startedAt: "2026-11-26T14:00:00Z")
        let mine = RunLockHolder(runID: "20261126T150000-0002", controller: here, startedAt: "t")
        let (engine, _) = engine([try volumeResponse(labels: holder.labels)])
        let error = await #expect(throws: RunLockRefused.self) { try await RunLock.take(host: "h2", holder: mine, engine: engine) }
        #expect(error?.holder == holder)
        #expect(error?.liveness == .alive)
    }

    @Test("a dead holder's lock is taken over: takeover volume, remove, create, and a note saying so")
    func staleTakenOver() async throws {
        var dead = here
        dead.pid = try deadPid()
        let stale = RunLockHolder(runID: "20261126T130000-dead", controller: dead, startedAt: "2026-11-26T13:00:00Z")
        let mine = RunLockHolder(runID: "20261126T150000-0003", controller: here, startedAt: "t")
        let (engine, connector) = engine([
            try volumeResponse(labels: stale.labels), try volumeResponse(labels: mine.labels),
            EngineFixtures.response(status: 204, reason: "No Content", body: Data()), try volumeResponse(labels: mine.labels),
        ])
        let note = try await RunLock.take(host: "h3", holder: mine, engine: engine)
        #expect(note?.contains("took over the stale lock of run 20261126T130000-dead") == true, "\(note ?? "")")
        let requests = connector.streams.map { $0.requestHead.split(separator: "\r\n").first.map(String.init) ?? "" }
        #expect(requests == [
            "POST /v1.41/volumes/create HTTP/1.1", "POST /v1.41/volumes/create HTTP/1.1",
            "DELETE /v1.41/volumes/crossnet-lock HTTP/1.1", "POST /v1.41/volumes/create HTTP/1.1",
        ])
        #expect(String(decoding: connector.streams[1].written, as: UTF8.self).contains(#""Name":"crossnet-lock-takeover-20261126T130000-dead""#))
    }

    @Test("a takeover volume left by a run that died during its own takeover does not block the next run")
    func deadTakeover() async throws {
        var dead = here
        dead.pid = try deadPid()
        let stale = RunLockHolder(runID: "20261126T130000-dead", controller: dead, startedAt: "t0")
        let crashed = RunLockHolder(runID: "20261126T140000-gone", controller: dead, startedAt: "t1")
        let mine = RunLockHolder(runID: "20261126T150000-0004", controller: here, startedAt: "t2")
        let (engine, connector) = engine([
            try volumeResponse(labels: stale.labels), try volumeResponse(labels: crashed.labels),
            EngineFixtures.response(status: 204, reason: "No Content", body: Data()), try volumeResponse(labels: mine.labels),
            EngineFixtures.response(status: 204, reason: "No Content", body: Data()), try volumeResponse(labels: mine.labels),
        ])
        let note = try await RunLock.take(host: "h1", holder: mine, engine: engine)
        #expect(note?.contains("took over the stale lock of run 20261126T130000-dead") == true)
        let requests = connector.streams.map { $0.requestHead.split(separator: "\r\n").first.map(String.init) ?? "" }
        #expect(requests[2] == "DELETE /v1.41/volumes/crossnet-lock-takeover-20261126T130000-dead HTTP/1.1")
        #expect(requests.count == 6)
    }

    @Test("two runs racing for the same stale lock: the one that loses the takeover is refused, naming the winner")
    func takeoverRace() async throws {
        var dead = here
        dead.pid = try deadPid()
        let stale = RunLockHolder(runID: "20261126T130000-dead", controller: dead, startedAt: "t0")
        var winnerProcess = here
        winnerProcess.pid = getppid()
        winnerProcess.processStart = ControllerIdentity.processStart(of: winnerProcess.pid) ?? "?"
        let winner = RunLockHolder(runID: "20261126T150000-win0", controller: winnerProcess, startedAt: "t1")
        let mine = RunLockHolder(runID: "20261126T150000-lose", controller: here, startedAt: "t2")
        let (engine, connector) = engine([try volumeResponse(labels: stale.labels), try volumeResponse(labels: winner.labels)])
        let error = await #expect(throws: RunLockRefused.self) { try await RunLock.take(host: "h1", holder: mine, engine: engine) }
        #expect(error?.holder.runID == "20261126T150000-win0")
        #expect(connector.streams.count == 2, "the loser must not remove the lock")
    }
}
