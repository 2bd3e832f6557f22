import Foundation
import Testing

@testable import Crossnet

@Suite("Report: the first screen (verdict, regressions, failures by cause)")
struct ReportFirstScreenTests {
    /// The fixture document with every claim holding.
    func passing() throws -> ResultsDocument {
        var document = try ReportFixtures.document()
        for i in document.tests.indices where document.tests[i].status == .failed {
            document.tests[i].status = .passed
            document.tests[i].message = nil
        }
        return document
    }

    /// `document` with overlay throughput halved (the baseline had it twice as high).
    func halvedOverlay(_ document: ResultsDocument) -> ResultsDocument {
        var worse = document
        worse.measurements = worse.measurements.map {
            $0.driver == "overlay" && $0.metric == "throughput" ? $0.scaled(by: 0.5) : $0
        }
        return worse
    }

    @Test("verdict: failed claims, then regressions, then nothing ran; interrupted before all")
    func verdicts() throws {
        let document = try ReportFixtures.document()
        let good = try passing()
        let worse = halvedOverlay(good)
        let regressed = RunComparison(base: good, new: worse)
        #expect(RunVerdict.evaluate(good, comparison: nil, interrupted: false) == .passed)
        #expect(RunVerdict.evaluate(document, comparison: nil, interrupted: false) == .failed)
        #expect(RunVerdict.evaluate(worse, comparison: regressed, interrupted: false) == .regressed)
        #expect(RunVerdict.evaluate(document, comparison: regressed, interrupted: true) == .interrupted)
        var skipped = good
        for i in skipped.tests.indices { skipped.tests[i].status = .skipped }
        #expect(RunVerdict.evaluate(skipped, comparison: nil, interrupted: false) == .nothingRan)
        #expect(RunVerdict.allCases.map(\.headline) == ["passed", "FAILED", "REGRESSED", "INTERRUPTED", "NOTHING RAN"])
        // ReportBundle records it in results.json.
        #expect(ReportBundle(document: worse, comparison: regressed).document.verdict == .regressed)
    }

    @Test("a captured stream cut before runEnded gives an INTERRUPTED run; the real one does not")
    func interruptedStream() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: ReportFixtures.eventStream("claims.jsonl")))
        let lines = data.split(separator: UInt8(ascii: "\n"))
        let cut = Data(lines.filter { !String(decoding: $0, as: UTF8.self).contains("\"runEnded\"") }.joined(separator: [UInt8(ascii: "\n")]))
        let reader = EventStreamReader(attachmentsDirectory: ReportFixtures.attachments)
        func document(_ stream: EventStreamReader.Result) -> ResultsDocument {
            ReportBundle(document: ReportBundle.document(
                stream: stream, runID: "r", startedAt: Date(), finishedAt: Date(), gitCommit: nil, inventoryHash: nil, hosts: [])).document
        }
        #expect(document(reader.read(cut)).verdict == .interrupted)
        #expect(document(reader.read(data)).verdict == .failed)
        #expect(SummaryWriter().render(document(reader.read(cut))).hasPrefix("# Crossnet: INTERRUPTED"))
    }

    @Test("failures are grouped by a normalised cause, with the probe's evidence")
    func failureGroups() throws {
        var document = try passing()
        // Messages as the suites record them: `#expect(result.passed, "\(result)")`.
        for (pair, address) in [("h1→h2", "10.0.9.3"), ("h2→h3", "10.0.9.4"), ("h3→h1", "10.0.9.2")] {
            let result = ReachabilityResult(
                driver: .overlay, sourceHost: String(pair.prefix(2)), sourceName: "crossnet-probe-\(pair.prefix(2))",
                method: .pingAddress(address), expected: .reachable, observed: .unreachable,
                evidence: "exit 1: PING \(address) (\(address)): 56 data bytes\n--- \(address) ping statistics ---\n2 packets transmitted, 0 packets received, 100% packet loss")
            document.tests.append(.init(
                id: "Suites.OverlaySuite/encrypted[\(pair)]", suite: "encrypted overlay", name: "an encrypted overlay passes traffic",
                argument: pair, driver: "overlay", status: .failed, durationSeconds: 2.1,
                message: "Expectation failed: result.passed: \(result) (OverlaySuite.swift:88)"))
        }
        document.tests.append(.init(
            id: "Suites.DNS/x", suite: "dns", name: "a container resolves web", driver: "overlay", status: .failed,
            durationSeconds: 0.4, message: "Expectation failed: lookup.stdoutText.contains(address)",
            transcript: "h1 $ docker exec probe nslookup web\nServer: 127.0.0.11\n** server can't find web: NXDOMAIN"))
        let groups = FailureGroup.groups(document)
        #expect(groups.count == 2)
        let ping = try #require(groups.first)
        #expect(ping.tests.count == 3)
        #expect(ping.cases == "h1→h2, h2→h3, h3→h1")
        #expect(ping.cause == "Expectation failed: result.passed: [overlay] crossnet-<run>@<host> → ping <address>: expected reachable, observed unreachable")
        #expect(ping.evidence.first == "evidence: exit 1: PING 10.0.9.3 (10.0.9.3): 56 data bytes")
        #expect(ping.evidence.contains("2 packets transmitted, 0 packets received, 100% packet loss"))
        // No evidence in the message: the transcript's last lines.
        #expect(groups[1].evidence.last == "** server can't find web: NXDOMAIN")
    }

    @Test("transcript evidence: the operations that did not end ok, else the last lines")
    func transcriptEvidence() {
        let ok = "2026-11-26T14:46:35Z h3 0.201s ok  docker exec 965de151fec2 sh -c 'pkill -x iperf3 2>/dev/null; sleep 0.1; iperf3 -s -1 -D -p 45201'"
        let failed = "2026-11-26T14:46:37Z h1 3.004s exit 1  docker exec a96020e0500f ping -c 2 -W 2 10.0.9.3"
        #expect(FailureGroup.transcriptEvidence([ok, failed, ok].joined(separator: "\n")) == [failed])
        #expect(FailureGroup.transcriptEvidence([ok, ok, "last"].joined(separator: "\n")) == [ok, ok, "last"])
    }

    @Test("the console end starts with the verdict and names each regression with pair, change and confidence")
    func console() throws {
        let good = try passing()
        let worse = halvedOverlay(good)
        let text = ConsoleSummary.render(
            ReportBundle(document: worse, comparison: RunComparison(base: good, new: worse)).document,
            comparison: RunComparison(base: good, new: worse), reportsFolder: "Reports/r1")
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines[0] == "REGRESSED — \(good.passedCount) passed, 0 failed, \(good.skippedCount) skipped; 3 regressions")
        #expect(lines.contains("  overlay throughput tcp h1→h3: 6.30 Gbit/s → 3.15 Gbit/s (-50.0 %; 93% / 93% intervals apart)"))
        #expect(lines.last(where: { !$0.isEmpty }) == "Reports: Reports/r1")
        let failed = ConsoleSummary.render(try ReportFixtures.document(), comparison: nil)
        #expect(failed.hasPrefix("FAILED — "))
        #expect(failed.contains("Failures by cause:"))
    }

    @Test("report.html opens with the verdict, the regressions and the failures, before the driver tables")
    func html() throws {
        let good = try passing()
        let worse = halvedOverlay(good)
        let comparison = RunComparison(base: good, new: worse)
        let html = HTMLReportWriter().render(ReportBundle(document: worse, comparison: comparison).document, comparison: comparison)
        let verdict = try #require(html.range(of: "REGRESSED — "))
        let regressions = try #require(html.range(of: "<h2>Regressions</h2>"))
        let drivers = try #require(html.range(of: "<h2>Driver comparison</h2>"))
        let hosts = try #require(html.range(of: "<h2>Hosts</h2>"))
        #expect(verdict.lowerBound < regressions.lowerBound && regressions.lowerBound < drivers.lowerBound && drivers.lowerBound < hosts.lowerBound)
        #expect(html.contains("On one host (baseline: the host's loopback)"))
        // Charts per placement too: same-host and cross-host figures never share an axis.
        #expect(html.components(separatedBy: "<h3>On one host</h3><svg").count - 1 == 2)
        #expect(html.components(separatedBy: "<h3>Across hosts</h3><svg").count - 1 == 2)
    }

    @Test("a results.json of schema 1 is still read and compared (its intervals were of the mean)")
    func schemaOne() throws {
        let current = try passing()
        // The shape version 1 wrote: no verdict, no placement, `ci95Low`/`ci95High` instead of intervals.
        var legacy = current
        legacy.schemaVersion = 1
        legacy.measurements = legacy.measurements.map { record in
            var record = record
            if let ci = record.stats.intervals?["p50"] { record.stats.ci95Low = ci.low; record.stats.ci95High = ci.high }
            record.stats.intervals = nil
            record.placement = nil
            return record
        }
        let path = try ReportFixtures.write(legacy, label: "schema1")
        var json = try String(contentsOfFile: path, encoding: .utf8)
        #expect(!json.contains("\"verdict\"") && !json.contains("\"intervals\"") && json.contains("\"ci95Low\""))
        json = json.replacingOccurrences(of: "\"schemaVersion\" : 2", with: "\"schemaVersion\" : 1")
        try json.write(toFile: path, atomically: true, encoding: .utf8)
        let read = try ResultsDocument.load(path: path)
        #expect(read.schemaVersion == 1 && read.verdict == nil)
        #expect(read.measurements.first { $0.driver == "bridge" && $0.source == "h1" && $0.target == "h1" }?.resolvedPlacement == .sameHost)
        // Compared against a current run: the legacy interval counts for the headline.
        let newPath = try ReportFixtures.write(halvedOverlay(current), label: "schema2")
        let comparison = try RunComparison.load(base: path, new: newPath)
        #expect(comparison.regressions.map(\.key.driver) == ["overlay", "overlay", "overlay"])
        #expect(try RunComparison.load(base: path, new: path).exitCode == 0)
        // A single repeat in schema 1 had a zero-width "interval": not an interval.
        var one = legacy.measurements[0]
        one.stats.samples = 1; one.stats.ci95Low = one.value; one.stats.ci95High = one.value
        #expect(one.stats.interval("p50") == nil)
    }
}

@Suite("Report: CI integration")
struct CIIntegrationTests {
    @Test("GITHUB_STEP_SUMMARY gets summary.md appended; under GITHUB_ACTIONS each failure and regression is an ::error")
    func publish() throws {
        var good = try ReportFixtures.document()
        for i in good.tests.indices where good.tests[i].status == .failed { good.tests[i].status = .passed }
        var worse = good
        worse.measurements = worse.measurements.map { $0.driver == "overlay" && $0.metric == "throughput" ? $0.scaled(by: 0.5) : $0 }
        let failing = worse.tests.firstIndex { $0.suite == "overlay" }!
        worse.tests[failing].status = .failed
        worse.tests[failing].message = "Expectation failed: result.passed\n  evidence: exit 1: 100% packet loss"
        let comparison = RunComparison(base: good, new: worse)
        let document = ReportBundle(document: worse, comparison: comparison).document

        let folder = try ReportFixtures.temporaryFolder("gha")
        let summary = folder + "/step_summary.md"
        try "## Build\n\nok\n".write(toFile: summary, atomically: true, encoding: .utf8)
        var printed: [String] = []
        let outcome = try CIIntegration.publish(
            document: document, comparison: comparison,
            environment: ["GITHUB_STEP_SUMMARY": summary, "GITHUB_ACTIONS": "true"], output: { printed.append($0) })
        let text = try String(contentsOfFile: summary, encoding: .utf8)
        #expect(text.hasPrefix("## Build\n\nok\n\n# Crossnet: FAILED"))
        #expect(text.contains("| overlay | throughput tcp | h1→h3 |"))
        #expect(outcome.stepSummary == summary)
        #expect(printed == outcome.annotations)
        #expect(printed.count == 4, "one failed claim, three overlay regressions (two pairs across hosts, one on a host): \(printed)")
        #expect(printed[0] == "::error title=Crossnet%3A overlay::containers on the overlay reach each other across hosts (h1→h2): Expectation failed: result.passed%0A  evidence: exit 1: 100%25 packet loss")
        #expect(printed.contains { $0.hasPrefix("::error title=Crossnet regression%3A overlay throughput tcp::overlay throughput tcp h1→h3: 6.30 Gbit/s → 3.15 Gbit/s") })

        // Without the variables: nothing written, nothing printed.
        var quiet: [String] = []
        let none = try CIIntegration.publish(document: document, comparison: comparison, environment: [:], output: { quiet.append($0) })
        #expect(none == .init(stepSummary: nil, annotations: []) && quiet.isEmpty)
        // GITHUB_STEP_SUMMARY naming a new file: created.
        let fresh = folder + "/fresh.md"
        try CIIntegration.publish(document: document, comparison: comparison, environment: ["GITHUB_STEP_SUMMARY": fresh], output: { _ in })
        #expect(try String(contentsOfFile: fresh, encoding: .utf8).hasPrefix("# Crossnet: FAILED"))
    }

    @Test("an unwritable step summary is an error naming the file")
    func unwritable() throws {
        let error = try #require(throws: OperationError.self) {
            try CIIntegration.appendStepSummary("x", to: "/nonexistent-dir/summary.md")
        }
        #expect("\(error)".contains("/nonexistent-dir/summary.md"))
    }
}
