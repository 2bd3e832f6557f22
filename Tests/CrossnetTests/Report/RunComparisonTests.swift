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
            let index = doc.measurements.firstIndex { $0.driver == "bridge" && $0.metric == "throughput" && $0.value == 11.8e9 }!
            doc.measurements[index].value /= 2
            doc.measurements[index].stats.ci95Low! /= 2
            doc.measurements[index].stats.ci95High! /= 2
        }
        #expect(comparison.exitCode == 1)
        #expect(comparison.regressions.count == 1)
        #expect(comparison.regressions.first?.key.driver == "bridge")
        #expect(comparison.regressions.first?.changePercent == -50)
        #expect(comparison.table.contains("REGRESSION"))
    }

    @Test("doubled throughput is an improvement, not a regression")
    func doubledThroughput() throws {
        let comparison = try compare { doc in
            for i in doc.measurements.indices where doc.measurements[i].metric == "throughput" {
                doc.measurements[i].value *= 2; doc.measurements[i].stats.ci95Low! *= 2; doc.measurements[i].stats.ci95High! *= 2
            }
        }
        #expect(!comparison.hasRegression)
        #expect(comparison.rows.contains { $0.verdict == .improvement })
    }

    @Test("doubled p99 RTT is a regression")
    func doubledP99() throws {
        let comparison = try compare { doc in
            let index = doc.measurements.firstIndex { $0.driver == "overlay" && $0.metric == "rtt" }!
            doc.measurements[index].stats.p99! *= 2
        }
        #expect(comparison.exitCode == 1)
        #expect(comparison.regressions.map(\.statistic) == ["p99"])
        #expect(comparison.regressions.first?.key.metric == "rtt")
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
            // 11.8 → 10.3 Gbit/s (−12.7 %), but with wide intervals: [8.3, 12.3] overlaps [11.5, 12.1].
            doc.measurements[index].value = 10.3e9
            doc.measurements[index].stats.ci95Low = 8.3e9
            doc.measurements[index].stats.ci95High = 12.3e9
        }
        #expect(!comparison.hasRegression)
        #expect(comparison.rows.contains { $0.verdict == .withinNoise && $0.intervalsOverlap == true })
    }

    @Test("per-metric tolerance: a 30 % worse RTT passes with rtt=50")
    func metricTolerance() throws {
        let doctor: (inout ResultsDocument) -> Void = { doc in
            for i in doc.measurements.indices where doc.measurements[i].metric == "rtt" {
                doc.measurements[i].value *= 1.3; doc.measurements[i].stats.ci95Low! *= 1.3; doc.measurements[i].stats.ci95High! *= 1.3
                doc.measurements[i].stats.p99! *= 1.3
            }
        }
        #expect(try compare(doctor).hasRegression)
        #expect(!(try compare(doctor, tolerance: .init(defaultPercent: 10, perMetric: ["rtt": 50])).hasRegression))
        #expect(try RunComparison.Tolerance.parseMetric("rtt=25") == ("rtt", 25))
        #expect(throws: InputError.self) { try RunComparison.Tolerance.parseMetric("rtt") }
    }

    @Test("another schemaVersion is an input error naming the file")
    func otherSchemaVersion() throws {
        var document = try ReportFixtures.document()
        document.schemaVersion = 2
        let path = try ReportFixtures.write(document, label: "v2")
        let good = try ReportFixtures.write(try ReportFixtures.document(), label: "v1")
        let error = try #require(throws: InputError.self) { try RunComparison.load(base: good, new: path) }
        #expect(error.isInputError)
        #expect(error.description.contains(path))
        #expect(error.description.contains("schemaVersion 2"))
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
