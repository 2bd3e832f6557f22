import ArgumentParser
import Crossnet
import Foundation

/// `crossnet compare BASE NEW`: regressions between two runs.
struct CompareCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare two runs' figures and tests; report regressions.",
        discussion: """
            BASE and NEW are each a results.json or a run folder (schema 1 or 2). Figures are \
            matched by driver, metric, protocol, source, target and streams. Throughput and pmtu \
            lower are worse; rtt, dns, loss and jitter higher are worse (p50 and p99). A figure \
            regresses only when (1) its change passes the tolerance: the larger of --tolerance and \
            the metric's noise floor, unless --metric-tolerance sets it; (2) both runs' confidence \
            intervals for it do not overlap; and (3) the median over the driver's pairs moved the \
            same way past the tolerance (else the pair is "isolated"). A figure without an \
            interval (fewer than 3 repeats, too few samples for a tail percentile) or flagged \
            cpu-bound is "uncertain", never a regression. A test that passed in BASE and failed \
            in NEW is a regression; tests of BASE missing from NEW are listed as MISSING. Loss \
            changes are in percentage points. See docs/measurements.md. Exit 0 no regression, \
            1 regression, 2 bad input.

            EXAMPLES:
              crossnet compare Reports/20261125-020000-ab12 Reports/latest
              crossnet compare base/results.json new/results.json --metric-tolerance rtt=50
              crossnet compare Reports/baseline Reports/latest --metric-tolerance loss=5
            """)

    @Argument(help: "Baseline run: a results.json or a run folder.")
    var base: String

    @Argument(help: "New run: a results.json or a run folder.")
    var new: String

    @Option(name: .long, help: "Allowed relative change in percent before a worse figure counts (raised to each metric's noise floor).")
    var tolerance: Double = 10

    @Option(name: .long, help: "Per-metric tolerance METRIC=PCT (e.g. rtt=25, rtt.p99=50, loss=5 in points), used as given; repeatable.")
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
