import Foundation
import Testing

@testable import Crossnet

@Suite("Report: compare runs")
struct ReportComparisonTests {
    func compare(_ doctor: (inout ResultsDocument) -> Void, tolerance: RunComparison.Tolerance = .init()) throws -> RunComparison {
        let base = try ReportFixtures.document()
        var new = base
        doctor(&new)
        let basePath = try ReportFixtures.write(base, label: "base")
        let newPath = try ReportFixtures.write(new, label: "new")
        // BASE as a run folder, NEW as a file: both forms are accepted.
        return try RunComparison.load(base: (basePath as NSString).deletingLastPathComponent, new: newPath, tolerance: tolerance)
    }

    @Test("identical runs: no regression, exit 0")
    func identical() throws {
        let comparison = try compare { _ in }
        #expect(!comparison.hasRegression)
        #expect(comparison.exitCode == 0)
        #expect(comparison.rows.allSatisfy { $0.verdict == .unchanged })
        #expect(comparison.table.contains("no regression"))
    }

    @Test("halved throughput is a regression, exit 1")
    func halvedThroughput() throws {
        let comparison = try compare { doc in
            // Both of bridge's cross-host pairs (through the published port) halve.
            for i in doc.measurements.indices
            where doc.measurements[i].driver == "bridge" && doc.measurements[i].metric == "throughput"
                && doc.measurements[i].resolvedPlacement == .crossHost && doc.measurements[i].parameters.tool == "iperf3"
                && doc.measurements[i].target == "h3"
            {
                doc.measurements[i] = doc.measurements[i].scaled(by: 0.5)
            }
        }
        #expect(comparison.exitCode == 1)
        #expect(comparison.regressions.count == 2)
        #expect(comparison.regressions.first?.key.driver == "bridge")
        #expect(comparison.regressions.first?.changePercent == -50)
        #expect(comparison.table.contains("REGRESSION"))
    }

    @Test("a self-test's figure (the accuracy check's tbf-capped link) with a driver figure's key is left out of compare and of the driver tables")
    func selfTestFiguresLeftOut() throws {
        var base = try ReportFixtures.document()
        let real = try #require(base.measurements.first { $0.driver == "bridge" && $0.metric == "throughput" && $0.resolvedPlacement == .crossHost })
        // Recorded first, as the accuracy suite's figures can be: without the flag, compare would
        // match it instead of the real one.
        var capped = real.scaled(by: 0.01)
        capped.flags.append(MeasurementRecord.selfTestFlag)
        base.measurements.insert(capped, at: 0)
        var new = base
        new.measurements[0] = capped.scaled(by: 0.3)  // another random tbf rate in the next run
        let comparison = RunComparison(base: base, new: new)
        #expect(!comparison.hasRegression)
        let row = try #require(comparison.rows.first { $0.key == RunComparison.Key(real) && $0.statistic == "value" })
        #expect(row.base == real.value && row.new == real.value)
        #expect(capped.isSelfTest && !real.isSelfTest)
        let figures = DriverFigures.table(base, placement: .crossHost)
        #expect(figures.first { $0.driver == "bridge" }.map { ($0.throughput ?? 0) > real.value / 2 } == true)
    }

    @Test("one pair's drop that the driver's other pairs do not share is isolated, not a regression")
    func isolatedPair() throws {
        var base = try ReportFixtures.document()
        base.measurements += [
            ReportFixtures.throughput("overlay", "h3", "h1", gbps: 6.2), ReportFixtures.throughput("overlay", "h3", "h2", gbps: 6.25),
        ]
        var new = base
        let index = new.measurements.firstIndex { $0.driver == "overlay" && $0.metric == "throughput" && $0.source == "h1" && $0.target == "h3" }!
        new.measurements[index] = new.measurements[index].scaled(by: 0.5)
        let comparison = RunComparison(base: base, new: new)
        #expect(!comparison.hasRegression)
        let row = try #require(comparison.rows.first { $0.key.driver == "overlay" && $0.key.pair == "h1→h3" && $0.key.metric == "throughput" })
        #expect(row.verdict == .isolated)
        #expect(row.changePercent == -50)
        #expect(abs(row.driverChangePercent! - (6.1555 - 6.225) / 6.225 * 100) < 1e-9)
        // The whole driver halved: every pair is a regression.
        var halved = base
        halved.measurements = halved.measurements.map { $0.driver == "overlay" && $0.metric == "throughput" ? $0.scaled(by: 0.5) : $0 }
        let all = RunComparison(base: base, new: halved)
        #expect(all.regressions.count == 5 && all.regressions.allSatisfy { $0.key.driver == "overlay" })
    }

    @Test("doubled throughput is an improvement, not a regression")
    func doubledThroughput() throws {
        let comparison = try compare { doc in
            for i in doc.measurements.indices where doc.measurements[i].metric == "throughput" {
                doc.measurements[i] = doc.measurements[i].scaled(by: 2)
            }
        }
        #expect(!comparison.hasRegression)
        #expect(comparison.rows.contains { $0.verdict == .improvement })
    }

    @Test("p99 is judged on its own interval: ×15 with intervals apart regresses, ×2 is within the noise floor")
    func p99() throws {
        func doctor(_ factor: Double) -> (inout ResultsDocument) -> Void {
            { doc in
                let index = doc.measurements.firstIndex { $0.driver == "overlay" && $0.metric == "rtt" }!
                let p99 = doc.measurements[index].stats.p99!
                doc.measurements[index].stats.p99 = p99 * factor
                doc.measurements[index].stats.intervals?["p99"] = .init(low: p99 * 0.9 * factor, high: p99 * 1.5 * factor, level: 0.8648)
            }
        }
        let fifteen = try compare(doctor(15))
        #expect(fifteen.exitCode == 1)
        #expect(fifteen.regressions.map(\.statistic) == ["p99"])
        #expect(fifteen.regressions.first?.key.metric == "rtt")
        #expect(fifteen.regressions.first?.confidence == "86% / 86% intervals apart")
        #expect(!(try compare(doctor(2)).hasRegression))
    }

    @Test("a figure without an interval (one repeat) is uncertain, never a regression, however far it moved")
    func noInterval() throws {
        let comparison = try compare { doc in
            for i in doc.measurements.indices where doc.measurements[i].metric == "throughput" {
                doc.measurements[i] = doc.measurements[i].scaled(by: 0.3)
                doc.measurements[i].stats.intervals = nil
                doc.measurements[i].stats.samples = 1
            }
        }
        #expect(!comparison.hasRegression)
        #expect(comparison.exitCode == 0)
        let throughput = comparison.rows.filter { $0.key.metric == "throughput" }
        #expect(!throughput.isEmpty && throughput.allSatisfy { $0.verdict == .uncertain }, "\(throughput.map(\.verdict))")
        #expect(comparison.table.contains("no interval in new"))
    }

    @Test("a cpu-bound figure is uncertain: it measured a CPU")
    func cpuBound() throws {
        let comparison = try compare { doc in
            let index = doc.measurements.firstIndex { $0.driver == "overlay" && $0.metric == "throughput" }!
            doc.measurements[index] = doc.measurements[index].scaled(by: 0.5)
            doc.measurements[index].flags = ["cpu-bound"]
        }
        #expect(!comparison.hasRegression)
        #expect(comparison.rows.contains { $0.verdict == .uncertain && $0.flags == ["cpu-bound"] })
    }

    @Test("tests of BASE missing from NEW are flagged")
    func missingTests() throws {
        let comparison = try compare { doc in
            doc.tests.removeAll { $0.suite == "overlay" }
        }
        #expect(comparison.missingTests.count == 8)
        #expect(comparison.missingTests.allSatisfy { $0.new == nil })
        #expect(comparison.table.contains("MISSING containers on the overlay reach each other across hosts (h1→h2)"))
        #expect(!comparison.hasRegression)
    }

    @Test("a newly failing test is a regression")
    func newlyFailing() throws {
        let comparison = try compare { doc in
            let index = doc.tests.firstIndex { $0.status == .passed }!
            doc.tests[index].status = .failed
            doc.tests[index].message = "now broken"
        }
        #expect(comparison.exitCode == 1)
        #expect(comparison.newlyFailing.count == 1)
        #expect(comparison.regressions.isEmpty)
    }

    @Test("a worse figure whose CIs still overlap is noise, not a regression")
    func overlappingIntervals() throws {
        let comparison = try compare { doc in
            let index = doc.measurements.firstIndex { $0.driver == "bridge" && $0.metric == "throughput" && $0.value == 11.8e9 }!
            // 11.8 → 5.9 Gbit/s (−50 %), but with wide intervals: [4.0, 12.3] overlaps [11.5, 12.1].
            doc.measurements[index].value = 5.9e9
            doc.measurements[index].stats.intervals = ["p50": .init(low: 4.0e9, high: 12.3e9, level: 0.9375)]
        }
        #expect(!comparison.hasRegression)
        #expect(comparison.rows.contains { $0.verdict == .withinNoise && $0.intervalsOverlap == true })
    }

    @Test("per-metric tolerance: a 30 % worse RTT is below the RTT noise floor (60 %), and a regression with rtt=20")
    func metricTolerance() throws {
        let doctor: (inout ResultsDocument) -> Void = { doc in
            for i in doc.measurements.indices where doc.measurements[i].metric == "rtt" {
                doc.measurements[i] = doc.measurements[i].scaled(by: 1.3)
            }
        }
        #expect(!(try compare(doctor).hasRegression))
        let strict = try compare(doctor, tolerance: .init(defaultPercent: 10, perMetric: ["rtt": 20]))
        #expect(strict.hasRegression)
        // p50 intervals (±5 %) are apart after +30 %, the p99 ones ([0.9, 1.5] × p99) still overlap.
        #expect(strict.regressions.allSatisfy { $0.statistic == "value" && $0.key.metric == "rtt" })
        #expect(strict.rows.contains { $0.statistic == "p99" && $0.verdict == .withinNoise })
        #expect(RunComparison.Tolerance().percent(for: "throughput", statistic: "value") == 40)
        #expect(RunComparison.Tolerance(defaultPercent: 40).percent(for: "throughput", statistic: "value") == 40)
        #expect(RunComparison.Tolerance(perMetric: ["rtt": 5]).percent(for: "rtt", statistic: "p99") == 5)
        #expect(try RunComparison.Tolerance.parseMetric("rtt=25") == ("rtt", 25))
        #expect(throws: InputError.self) { try RunComparison.Tolerance.parseMetric("rtt") }
    }

    @Test("another schemaVersion is an input error naming the file")
    func otherSchemaVersion() throws {
        var document = try ReportFixtures.document()
        document.schemaVersion = 3
        let path = try ReportFixtures.write(document, label: "v3")
        let good = try ReportFixtures.write(try ReportFixtures.document(), label: "v1")
        let error = try #require(throws: InputError.self) { try RunComparison.load(base: good, new: path) }
        #expect(error.isInputError)
        #expect(error.description.contains(path))
        #expect(error.description.contains("schemaVersion 3"))
    }

    @Test("a missing file and malformed JSON are input errors naming the file")
    func badFiles() throws {
        let good = try ReportFixtures.write(try ReportFixtures.document(), label: "ok")
        let missing = try #require(throws: InputError.self) { try RunComparison.load(base: "/nonexistent/results.json", new: good) }
        #expect(missing.description.contains("/nonexistent/results.json"))
        let folder = try ReportFixtures.temporaryFolder("malformed")
        let bad = folder + "/results.json"
        try "{\"schemaVersion\": 1, \"run\": ".write(toFile: bad, atomically: true, encoding: .utf8)
        let malformed = try #require(throws: InputError.self) { try RunComparison.load(base: good, new: folder) }
        #expect(malformed.description.contains(bad))
        #expect(malformed.description.contains("malformed"))
    }
}
