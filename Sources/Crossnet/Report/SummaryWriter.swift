import Foundation

/// `summary.md`: a Markdown summary for a CI step summary (GitHub `$GITHUB_STEP_SUMMARY` and the
/// like). It opens with the first screen (verdict, regressions, failures by cause with evidence),
/// then the driver comparison (across hosts, on one host), then everything else.
public struct SummaryWriter: Sendable {
    public init() {}

    public func render(_ document: ResultsDocument, comparison: RunComparison? = nil) -> String {
        let screen = FirstScreen(document: document, comparison: comparison)
        var md = "# Crossnet: \(screen.verdict.headline)\n\n"
        md += "**\(cell(screen.headline))** · run `\(document.run.id)`\n"
        md += regressions(screen)
        md += failures(screen)
        md += driverComparison(document)
        md += everythingElse(document, comparison: comparison)
        return md
    }

    private func regressions(_ screen: FirstScreen) -> String {
        guard !screen.regressions.isEmpty || !screen.newlyFailing.isEmpty || !screen.missingTests.isEmpty else { return "" }
        var md = ""
        if !screen.regressions.isEmpty {
            md += "\n## Regressions\n\n| driver | metric | pair | baseline → now | change | confidence |\n|---|---|---|---|---:|---|\n"
            for r in screen.regressions {
                md += "| \(cell(r.driver)) | \(cell(r.metric)) | \(cell(r.pair)) | \(r.baseline) → \(r.now) | \(r.change) | \(r.confidence) |\n"
            }
        }
        if !screen.newlyFailing.isEmpty {
            md += "\nNewly failing (passed in the baseline): " + screen.newlyFailing.map { "**\(cell($0))**" }.joined(separator: ", ") + "\n"
        }
        if !screen.missingTests.isEmpty {
            md += "\n⚠ In the baseline, missing from this run: " + screen.missingTests.map(cell).joined(separator: "; ") + "\n"
        }
        return md
    }

    private func failures(_ screen: FirstScreen) -> String {
        guard !screen.failures.isEmpty else { return "" }
        var md = "\n## Failures by cause\n"
        for group in screen.failures {
            let suites = orderedUnique(group.tests.map(\.suite)).joined(separator: ", ")
            md += "\n- **\(cell(group.example))** — \(group.tests.count) case\(group.tests.count == 1 ? "" : "s") (\(cell(suites)): \(cell(group.cases)))\n"
            if !group.evidence.isEmpty {
                md += "  ```\n" + group.evidence.map { "  " + $0.replacingOccurrences(of: "```", with: "'''") }.joined(separator: "\n") + "\n  ```\n"
            }
        }
        return md
    }

    private func driverComparison(_ document: ResultsDocument) -> String {
        var md = ""
        for placement in [MeasurementPlacement.crossHost, .sameHost] {
            let table = DriverFigures.table(document, placement: placement)
            guard table.contains(where: { $0.throughput != nil || $0.rttP50 != nil }) else { continue }
            if md.isEmpty {
                md += "\n## Driver comparison\n\nMeans over host pairs, fastest first; headline intervals in brackets (level shown below 95%); "
                    + "⚠ marks figures flagged `noisy` (repeats disagree) or `cpu-bound` (a CPU, not the network, was the limit). "
                    + "Overhead is against the table's baseline, pair by pair.\n"
            }
            md += placement == .crossHost
                ? "\n### Across hosts (baseline: host network)\n\n"
                : "\n### On one host (baseline: the host's loopback)\n\n"
            md += "| driver | TCP throughput | p50 RTT | p99 RTT | throughput overhead | latency overhead |\n|---|---:|---:|---:|---:|---:|\n"
            for f in table {
                md += "| \(f.driver)\(f.isBaseline ? (placement == .sameHost ? " (loopback)" : "") : "") | \(throughput(f)) | \(rtt(f)) "
                md += "| \(f.rttP99.map { ReportFormat.value($0, unit: "s") } ?? "—") "
                md += "| \(f.isBaseline ? "baseline" : (f.throughputOverhead.map { String(format: "%+.1f %%", $0) } ?? "—")) "
                md += "| \(f.isBaseline ? "baseline" : (f.latencyOverhead.map { String(format: "%+.1f %%", $0) } ?? "—")) |\n"
            }
        }
        return md
    }

    private func throughput(_ f: DriverFigures) -> String {
        guard let value = f.throughput else { return "—" }
        var text = ReportFormat.value(value, unit: "bit/s")
        if let ci = f.throughputCI { text += " [\(ReportFormat.value(ci.lowerBound, unit: "bit/s")) … \(ReportFormat.value(ci.upperBound, unit: "bit/s"))]" }
        return ReportFormat.flagged(text, f.throughputFlags)
    }

    private func rtt(_ f: DriverFigures) -> String {
        guard let value = f.rttP50 else { return "—" }
        var text = ReportFormat.value(value, unit: "s")
        if let ci = f.rttCI { text += " [\(ReportFormat.value(ci.lowerBound, unit: "s")) … \(ReportFormat.value(ci.upperBound, unit: "s"))]" }
        return ReportFormat.flagged(text, f.rttFlags)
    }

    private func everythingElse(_ document: ResultsDocument, comparison: RunComparison?) -> String {
        var md = "\n## Run\n\nCrossnet \(document.run.crossnetVersion)"
        if let commit = document.run.gitCommit { md += " · commit `\(commit.prefix(12))`" }
        md += " · \(document.run.startedAt) → \(document.run.finishedAt)\n"
        if !document.run.hosts.isEmpty {
            md += "\nHosts: " + document.run.hosts.map { host in
                "\(host.name) (\(host.address), kernel \(host.kernel ?? "?"), Docker \(host.dockerVersion ?? "?"), \(host.cpus.map(String.init) ?? "?") CPUs)"
            }.joined(separator: "; ") + "\n"
        }
        md += "\n## Tests per driver\n\n| driver | passed | failed | skipped | result |\n|---|---:|---:|---:|---|\n"
        for f in DriverFigures.collect(document) {
            let result = f.failed > 0 ? "❌" : (f.passed > 0 ? "✅" : "⏭️")
            md += "| \(f.driver) | \(f.passed) | \(f.failed) | \(f.skipped) | \(result) |\n"
        }
        let others = document.tests.filter { $0.driver == nil }
        if !others.isEmpty {
            md += "| (no driver) | \(others.filter { $0.status == .passed }.count) | \(others.filter { $0.status == .failed }.count) | \(others.filter { $0.status == .skipped }.count) | \(others.contains { $0.status == .failed } ? "❌" : "✅") |\n"
        }
        if let comparison {
            md += "\n## Against the baseline\n\n"
            let counted = Dictionary(grouping: comparison.rows, by: \.verdict).mapValues(\.count)
            md += "\(comparison.rows.count) figures compared: "
            md += [RunComparison.Verdict.regression, .improvement, .isolated, .unchanged, .withinNoise, .uncertain, .added, .removed]
                .compactMap { verdict in counted[verdict].map { "\($0) \(verdict.rawValue)" } }.joined(separator: ", ")
            md += ". A regression needs a change beyond the tolerance (\(String(format: "%.0f", comparison.tolerance.defaultPercent)) % or the metric's noise floor) "
                + "and non-overlapping intervals, and the driver's median over its pairs must move too (else `isolated`); a figure without an interval is `uncertain`, never a regression.\n"
        }
        return md
    }

    private func orderedUnique(_ values: [String]) -> [String] {
        var seen: Set<String> = []
        return values.filter { seen.insert($0).inserted }
    }

    private func cell(_ text: String) -> String {
        text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
    }
}
