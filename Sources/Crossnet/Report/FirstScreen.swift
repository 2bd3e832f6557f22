import Foundation

/// What every report shows first, in this order: the verdict, the regressions against the
/// baseline, the failures grouped by cause with their evidence. ``SummaryWriter``,
/// ``HTMLReportWriter`` and ``ConsoleSummary`` render it.
public struct FirstScreen: Sendable {
    /// One regressed figure, as people read it.
    public struct Regression: Sendable, Equatable {
        public var driver: String
        /// `throughput tcp`, `rtt icmp p99`.
        public var metric: String
        /// `h1→h2` (with `×4` for parallel streams).
        public var pair: String
        /// `12.00 Gbit/s`.
        public var baseline: String
        public var now: String
        /// `−50.0 %` or `+3.0 pt`.
        public var change: String
        /// `75% / 75% intervals apart`.
        public var confidence: String
    }

    public var verdict: RunVerdict
    public var passed: Int
    public var failed: Int
    public var skipped: Int
    public var regressions: [Regression]
    /// Claims that passed in the baseline and fail now (also in ``failures``).
    public var newlyFailing: [String]
    /// Tests of the baseline that did not run this time.
    public var missingTests: [String]
    public var failures: [FailureGroup]

    public init(document: ResultsDocument, comparison: RunComparison?) {
        verdict = document.verdict ?? RunVerdict.evaluate(document, comparison: comparison, interrupted: false)
        passed = document.passedCount
        failed = document.failedCount
        skipped = document.skippedCount
        regressions = (comparison?.regressions ?? []).map { row in
            Regression(
                driver: row.key.driver,
                metric: "\(row.key.metric) \(row.key.protocol)" + (row.statistic == "value" ? "" : " \(row.statistic)"),
                pair: row.key.pair + (row.key.streams.map { $0 > 1 ? " ×\($0)" : "" } ?? ""),
                baseline: row.base.map { ReportFormat.value($0, unit: row.unit) } ?? "—",
                now: row.new.map { ReportFormat.value($0, unit: row.unit) } ?? "—",
                change: row.changeText, confidence: row.confidence)
        }
        newlyFailing = (comparison?.newlyFailing ?? []).map(\.name)
        missingTests = (comparison?.missingTests ?? []).map(\.name)
        failures = FailureGroup.groups(document)
    }

    /// `REGRESSED — 40 passed, 0 failed, 2 skipped; 1 regression`.
    public var headline: String {
        var text = "\(verdict.headline) — \(passed) passed, \(failed) failed, \(skipped) skipped"
        var extra: [String] = []
        if !regressions.isEmpty { extra.append("\(regressions.count) regression\(regressions.count == 1 ? "" : "s")") }
        if !newlyFailing.isEmpty { extra.append("\(newlyFailing.count) newly failing") }
        if !missingTests.isEmpty { extra.append("\(missingTests.count) missing from this run") }
        if !extra.isEmpty { text += "; " + extra.joined(separator: ", ") }
        return text
    }
}

/// The end of `crossnet run` on the console: the first screen as plain text.
public enum ConsoleSummary {
    /// Plain text, one item a line, indented evidence; `reportsFolder` is named last when given.
    public static func render(_ document: ResultsDocument, comparison: RunComparison?, reportsFolder: String? = nil) -> String {
        let screen = FirstScreen(document: document, comparison: comparison)
        var lines = [screen.headline]
        if !screen.regressions.isEmpty {
            lines.append("")
            lines.append("Regressions against the baseline:")
            for r in screen.regressions {
                lines.append("  \(r.driver) \(r.metric) \(r.pair): \(r.baseline) → \(r.now) (\(r.change); \(r.confidence))")
            }
        }
        for name in screen.newlyFailing { lines.append("  newly failing: \(name)") }
        if !screen.failures.isEmpty {
            lines.append("")
            lines.append("Failures by cause:")
            for group in screen.failures {
                lines.append("  \(group.example) [\(group.tests.count) case\(group.tests.count == 1 ? "" : "s"): \(group.cases)]")
                for line in group.evidence { lines.append("      \(line)") }
            }
        }
        if !screen.missingTests.isEmpty {
            lines.append("")
            lines.append("In the baseline, missing from this run: " + screen.missingTests.joined(separator: "; "))
        }
        if let reportsFolder { lines.append(""); lines.append("Reports: \(reportsFolder)") }
        return lines.joined(separator: "\n") + "\n"
    }
}
