import Foundation

/// `summary.md`: a Markdown summary for a CI step summary (GitHub `$GITHUB_STEP_SUMMARY` and the
/// like): pass/fail per driver, a driver comparison table, failures, and regressions against a
/// baseline when one was given.
public struct SummaryWriter: Sendable {
    public init() {}

    public func render(_ document: ResultsDocument, comparison: RunComparison? = nil) -> String {
        var md = "# Crossnet run `\(document.run.id)`\n\n"
        let verdict = document.failedCount == 0 && !(comparison?.hasRegression ?? false) ? "✅ passed" : "❌ failed"
        md += "**\(verdict)** — \(document.passedCount) passed, \(document.failedCount) failed, \(document.skippedCount) skipped"
        md += " · Crossnet \(document.run.crossnetVersion)"
        if let commit = document.run.gitCommit { md += " · commit `\(commit.prefix(12))`" }
        md += " · \(document.run.startedAt) → \(document.run.finishedAt)\n\n"
        if !document.run.hosts.isEmpty {
            md += "Hosts: " + document.run.hosts.map { host in
                let data = host.dataAddress.flatMap { $0 == host.address ? nil : ", data \($0)" } ?? ""
                return "\(host.name) (\(host.address)\(data), kernel \(host.kernel ?? "?"), Docker \(host.dockerVersion ?? "?"), \(host.cpus.map(String.init) ?? "?") CPUs)"
            }.joined(separator: "; ") + "\n\n"
        }

        let figures = DriverFigures.collect(document)
        md += "## Tests per driver\n\n| driver | passed | failed | skipped | result |\n|---|---:|---:|---:|---|\n"
        for f in figures {
            let result = f.failed > 0 ? "❌" : (f.passed > 0 ? "✅" : "⏭️")
            md += "| \(f.driver) | \(f.passed) | \(f.failed) | \(f.skipped) | \(result) |\n"
        }
        let others = document.tests.filter { $0.driver == nil }
        if !others.isEmpty {
            md += "| (no driver) | \(others.filter { $0.status == .passed }.count) | \(others.filter { $0.status == .failed }.count) | \(others.filter { $0.status == .skipped }.count) | \(others.contains { $0.status == .failed } ? "❌" : "✅") |\n"
        }

        let measured = figures.filter { $0.throughput != nil || $0.rttP50 != nil }
        if !measured.isEmpty {
            let host = figures.first { $0.driver == DriverID.host.rawValue }
            md += "\n## Driver comparison\n\nMeans over host pairs; 95% confidence intervals in brackets; overhead relative to the host network. "
                + "bridge, user-bridge and compose are measured between two containers on one host, so their overhead "
                + "compares same-host container traffic with host-network traffic between hosts (negative: faster).\n\n"
            md += "| driver | TCP throughput | p50 RTT | p99 RTT | throughput overhead | latency overhead |\n|---|---:|---:|---:|---:|---:|\n"
            for f in measured {
                let tput = f.throughput.map { ReportFormat.value($0, unit: "bit/s") + (f.throughputCI.map { " [\(ReportFormat.value($0.lowerBound, unit: "bit/s")) … \(ReportFormat.value($0.upperBound, unit: "bit/s"))]" } ?? "") } ?? "—"
                let p50 = f.rttP50.map { ReportFormat.value($0, unit: "s") + (f.rttCI.map { " [\(ReportFormat.value($0.lowerBound, unit: "s")) … \(ReportFormat.value($0.upperBound, unit: "s"))]" } ?? "") } ?? "—"
                let p99 = f.rttP99.map { ReportFormat.value($0, unit: "s") } ?? "—"
                let overhead = f.driver == DriverID.host.rawValue ? "baseline" : (f.throughputOverhead(host: host).map { String(format: "%.1f %%", $0) } ?? "—")
                let latency = f.driver == DriverID.host.rawValue ? "baseline" : (f.latencyOverhead(host: host).map { String(format: "%+.1f %%", $0) } ?? "—")
                md += "| \(f.driver) | \(tput) | \(p50) | \(p99) | \(overhead) | \(latency) |\n"
            }
        }

        let failed = document.tests.filter { $0.status == .failed }
        if !failed.isEmpty {
            md += "\n## Failures\n\n"
            for test in failed {
                let message = (test.message ?? "").split(separator: "\n").first.map(String.init) ?? ""
                md += "- **\(cell(test.suite))** — \(cell(test.displayName)): \(cell(message))\n"
            }
        }

        if let comparison {
            md += "\n## Against the baseline\n\n"
            if !comparison.hasRegression {
                md += "No regression (\(comparison.rows.count) figures compared, tolerance \(String(format: "%.0f", comparison.tolerance.defaultPercent)) %).\n"
            } else {
                md += "| figure | stat | base | new | change | CIs overlap |\n|---|---|---:|---:|---:|---|\n"
                for row in comparison.regressions {
                    md += "| \(row.key.label) | \(row.statistic) | \(row.base.map { ReportFormat.value($0, unit: row.unit) } ?? "—") | \(row.new.map { ReportFormat.value($0, unit: row.unit) } ?? "—") | \(row.changePercent.map(ReportFormat.percent) ?? "—") | \(row.intervalsOverlap.map { $0 ? "yes" : "no" } ?? "n/a") |\n"
                }
                for change in comparison.newlyFailing {
                    md += "\n- newly failing: **\(cell(change.name))** (passed in the baseline)"
                }
                md += "\n"
            }
        }
        return md
    }

    private func cell(_ text: String) -> String {
        text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
    }
}
