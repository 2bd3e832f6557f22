import Foundation
import Testing

@testable import Crossnet

@Suite("Report: event stream reader")
struct ReportEventStreamTests {
    @Test("a captured stream gives one entry per test case, with status, driver, messages and attachments")
    func capturedClaims() throws {
        let result = try EventStreamReader(attachmentsDirectory: ReportFixtures.attachments)
            .read(path: ReportFixtures.eventStream("claims.jsonl"))
        #expect(result.unreadableLines.isEmpty)
        let names = result.tests.map(\.displayName)
        #expect(names.count == 6, "\(names)")
        let h1 = try #require(result.tests.first { $0.name == "a passing claim with an attachment" && $0.argument == "h1" })
        #expect(h1.status == .passed)
        #expect(h1.suite == "throwaway capture")
        #expect(h1.driver == "bridge")
        #expect(h1.transcript == "line one on h1\nline two")
        #expect(h1.id.hasSuffix("[h1]"))
        let failing = try #require(result.tests.first { $0.name == "a failing claim" })
        #expect(failing.status == .failed)
        #expect(failing.message?.contains("arithmetic is broken") == true)
        #expect(failing.message?.contains("ZZThrowaway.swift:17") == true)
        #expect(failing.transcript == "transcript of failure")
        let skipped = try #require(result.tests.first { $0.name == "a skipped claim" })
        #expect(skipped.status == .skipped)
        #expect(skipped.message == "no macvlan parent interface")
        let pairs = result.tests.filter { $0.name == "a parameterized pair" }
        #expect(pairs.map(\.argument) == ["1", "2"])
        #expect(pairs.map(\.status) == [.passed, .failed])
        #expect(pairs.allSatisfy { $0.driver == "overlay" })
        #expect(result.measurements.count == 2)
        #expect(result.measurements.first?.metric == "throughput")
        #expect(result.startedAt != nil && result.finishedAt != nil)
        #expect(result.tests.allSatisfy { $0.durationSeconds >= 0 && $0.durationSeconds < 1 })
    }

    @Test("inline (base64) attachments read the same as files")
    func inlineAttachments() throws {
        let result = try EventStreamReader().read(path: ReportFixtures.eventStream("claims-inline.jsonl"))
        #expect(result.measurements.count == 2)
        #expect(result.tests.first { $0.name == "a failing claim" }?.transcript == "transcript of failure")
    }

    @Test("a skipped suite marks its tests skipped with the reason")
    func skippedSuite() throws {
        let result = try EventStreamReader().read(path: ReportFixtures.eventStream("skipped-suite.jsonl"))
        #expect(result.tests.count == 2)
        #expect(result.tests.allSatisfy { $0.status == .skipped && $0.driver == "bridge" && $0.suite == "default bridge" })
        #expect(result.tests.first?.message?.contains("no inventory") == true)
    }

    @Test("real unit tests: all passed, parameterized cases split out")
    func realUnitTests() throws {
        let result = try EventStreamReader().read(path: ReportFixtures.eventStream("crossnettests.jsonl"))
        #expect(!result.tests.isEmpty)
        #expect(result.tests.allSatisfy { $0.status == .passed && $0.suite == "Lab address plan" })
        #expect(result.tests.contains { $0.argument != nil })
        #expect(Set(result.tests.map(\.id)).count == result.tests.count, "ids are unique")
    }

    @Test("driver from tags, else from the suite name", arguments: [
        ([".userBridge"], "x", "user-bridge"), ([".lab", ".hostNetwork"], "x", "host"), ([".noneNetwork"], "x", "none"),
        ([".lab"], "user-defined bridge", "user-bridge"), ([], "compose", "compose"), ([], "lab smoke", nil),
    ] as [([String], String, String?)])
    func driverMapping(tags: [String], suite: String, expected: String?) {
        #expect(EventStreamReader.driver(tags: tags, suite: suite) == expected)
    }

    @Test("garbage lines are reported, not fatal")
    func garbage() {
        let result = EventStreamReader().read(Data("not json\n{\"kind\":\"event\"}\n".utf8))
        #expect(result.unreadableLines == [1, 2])
        #expect(result.tests.isEmpty)
    }
}

@Suite("Report: measured event stream")
struct ReportMeasuredStreamTests {
    @Test("a real measurement suite's measurements.json attachments become records, and the run validates")
    func measured() async throws {
        let directory = ReportFixtures.eventStreamDirectory + "/measured-attachments"
        let stream = try EventStreamReader(attachmentsDirectory: directory).read(path: ReportFixtures.eventStream("measured-host.jsonl"))
        #expect(!stream.tests.isEmpty)
        #expect(stream.tests.allSatisfy { $0.status == .passed && $0.driver == "host" })
        #expect(Set(stream.measurements.map(\.metric)).isSuperset(of: ["throughput", "rtt"]))
        #expect(stream.measurements.allSatisfy { record in stream.tests.contains { $0.id == record.test } })
        let document = ReportBundle.document(
            stream: stream, runID: "measured", startedAt: Date(), finishedAt: Date(), gitCommit: nil, inventoryHash: nil, hosts: [])
        let folder = try ReportFixtures.temporaryFolder("measured")
        try ReportBundle(document: document).write(to: folder)
        let output = try await validateJSON(folder + "/results.json")
        #expect(output.exitStatus == 0, "\(output.stdoutText)")
        let xml = try await LocalCommand.run(["xmllint", "--noout", "--schema", ReportFixtures.junitSchema, folder + "/junit.xml"])
        #expect(xml.exitStatus == 0, "\(xml.stderrText)")
        let prom = try String(contentsOfFile: folder + "/metrics.prom", encoding: .utf8)
        #expect(prom.contains("crossnet_throughput_bytes_per_second{driver=\"host\""))
        #expect(prom.contains("crossnet_rtt_seconds{driver=\"host\",protocol=\"icmp\""))
        #expect(prom.contains("crossnet_loss_ratio{driver=\"host\",protocol=\"udp\""))
        let promtool = try await LocalCommand.run(["sh", "-c", "promtool check metrics < \(folder)/metrics.prom"])
        #expect(promtool.exitStatus == 0, "\(promtool.stdoutText)\(promtool.stderrText)")
    }
}
