import ArgumentParser
import Crossnet
import Foundation

/// `crossnet compare BASE NEW`: regressions between two runs.
struct CompareCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare two runs' figures and tests; report regressions.",
        discussion: """
            BASE and NEW are each a results.json or a run folder. Figures are matched by driver, \
            metric, protocol, source, target and streams. Throughput lower is worse; rtt, dns, loss \
            and jitter higher are worse (p50 and p99). A figure regresses when its relative change \
            passes the tolerance and, when both runs have them, the 95% confidence intervals do not \
            overlap. A test that passed in BASE and failed in NEW is a regression. \
            Exit 0 no regression, 1 regression, 2 bad input.
            """)

    @Argument(help: "Baseline run: a results.json or a run folder.")
    var base: String

    @Argument(help: "New run: a results.json or a run folder.")
    var new: String

    @Option(name: .long, help: "Allowed relative change in percent before a worse figure counts.")
    var tolerance: Double = 10

    @Option(name: .long, help: "Per-metric tolerance METRIC=PCT (e.g. rtt=25, rtt.p99=50); repeatable.")
    var metricTolerance: [String] = []

    func run() async throws {
        try await withExitCodes {
            let comparison = try RunComparison.load(base: base, new: new, tolerance: try parsedTolerance())
            print(comparison.table)
            return comparison.exitCode
        }
    }

    func parsedTolerance() throws -> RunComparison.Tolerance {
        guard tolerance >= 0 else { throw InputError("--tolerance must be a percentage ≥ 0") }
        var perMetric: [String: Double] = [:]
        for item in metricTolerance {
            let (metric, value) = try RunComparison.Tolerance.parseMetric(item)
            perMetric[metric] = value
        }
        return RunComparison.Tolerance(defaultPercent: tolerance, perMetric: perMetric)
    }
}
