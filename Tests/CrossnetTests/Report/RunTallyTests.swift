import Foundation
import Testing

@testable import Crossnet

@Suite("progress tally: counts and time left")
struct RunTallyTests {
    static let labSettings = RunTally.Settings(durationSeconds: 2, repeats: 3, latencySamples: 200, dnsLookups: 50, concurrentPairs: false)

    /// Replays a captured run's stream into a tally, calling `checkpoint` after every event with the
    /// event's time (seconds since the run started).
    static func replay(_ name: String, checkpoint: (RunTally, Double) -> Void = { _, _ in }) throws -> (RunTally, Double) {
        var tally = RunTally(settings: labSettings)
        var origin: Double?
        var last = 0.0
        let text = try String(contentsOfFile: ReportFixtures.eventStream(name), encoding: .utf8)
        for line in text.split(separator: "\n") {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let payload = try #require(object["payload"] as? [String: Any])
            if object["kind"] as? String == "test" {
                if payload["kind"] as? String == "function", let id = payload["id"] as? String {
                    let cases = (payload["_testCases"] as? [[String: Any]] ?? []).compactMap { $0["displayName"] as? String }
                    tally.plan(testID: id, caseNames: cases)
                }
                continue
            }
            guard let absolute = (payload["instant"] as? [String: Any])?["absolute"] as? Double else { continue }
            origin = origin ?? absolute
            let now = absolute - origin!
            last = now
            let testID = payload["testID"] as? String ?? ""
            let caseName = (payload["_testCase"] as? [String: Any])?["displayName"] as? String
            switch payload["kind"] as? String {
            case "testCaseStarted": tally.started(testID: testID, caseName: caseName, at: now)
            case "testCaseEnded": tally.ended(testID: testID, caseName: caseName, at: now)
            case "testStarted": tally.started(testID: testID, caseName: nil, at: now)
            case "testEnded": tally.ended(testID: testID, caseName: nil, at: now)
            case "testSkipped": tally.skipped(testID: testID, at: now)
            default: break
            }
            checkpoint(tally, now)
        }
        return (tally, last)
    }

    @Test("a captured 3-host run: every planned case is counted and ends done")
    func counts() throws {
        // 64 cases of parameterized tests (claims, measurement rounds) and 5 plain tests.
        let (tally, end) = try Self.replay("run-measured-3hosts.jsonl")
        #expect(tally.total == 69)
        #expect(tally.done == 69)
        #expect(tally.summary(now: end, withEstimate: true) == "69/69")
    }

    @Test("the time left, estimated halfway through the captured run, is within a factor 2 of what it really took")
    func estimate() throws {
        var halfway: (left: Double, at: Double)?
        let (_, end) = try Self.replay("run-measured-3hosts.jsonl") { tally, now in
            if halfway == nil, tally.done * 2 >= tally.total, let left = tally.remainingSeconds(now: now) {
                halfway = (left, now)
            }
        }
        let estimate = try #require(halfway)
        let real = end - estimate.at
        #expect(real > 60, "the fixture's second half is measurements, minutes long")
        #expect(estimate.left > real / 2 && estimate.left < real * 2, "estimated \(estimate.left) s, took \(real) s")
    }

    @Test("priors follow the settings and the round's pairs; skipped tests take no time")
    func priors() {
        var tally = RunTally(settings: Self.labSettings)
        let tcp = "CrossnetSuites.OverlaySuite/Measurements/tcpThroughput(round:)/OverlayMeasurementSuite.swift:20:6"
        tally.plan(testID: tcp, caseNames: ["round 1: h1→h2, h2→h1", "round 2: h1→h3, h3→h1"])
        tally.plan(testID: "CrossnetSuites.OverlaySuite/Measurements/pathMTU()/OverlayMeasurementSuite.swift:29:6", caseNames: [])
        #expect(tally.total == 3 && tally.done == 0)
        #expect(tally.prior(testID: tcp, caseName: "round 1: h1→h2, h2→h1") == 2 * 2 * 3 * 4)
        #expect(tally.remainingSeconds(now: 0) == nil)
        tally.started(testID: tcp, caseName: "round 1: h1→h2, h2→h1", at: 0)
        tally.ended(testID: tcp, caseName: "round 1: h1→h2, h2→h1", at: 96)  // twice the prior of 48 s
        // The other round (48 s) and the plain test (3 s) at twice their priors.
        #expect(tally.remainingSeconds(now: 96) == 102)
        tally.skipped(testID: tcp, at: 96)
        #expect(tally.done == 2 && tally.remainingSeconds(now: 96) == 6)
        #expect(tally.summary(now: 96, withEstimate: true) == "2/3 · ≈ 10 s left")
        #expect(RunTally.duration(600) == "10 min")
    }
}
