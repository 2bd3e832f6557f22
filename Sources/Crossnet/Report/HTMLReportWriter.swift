import Foundation

/// `report.html`: one self-contained page (inline CSS, inline SVG drawn here, no script, no
/// external URL): run facts, throughput per driver with 95% CI whiskers, latency percentiles per
/// driver, a reachability matrix per driver (each test a claim, each case a host or pair),
/// regression deltas against a baseline, and the failures with their transcripts.
public struct HTMLReportWriter: Sendable {
    public init() {}

    static let palette = ["#2563eb", "#0891b2", "#7c3aed", "#059669", "#d97706", "#db2777", "#4b5563", "#65a30d"]

    public func render(_ document: ResultsDocument, comparison: RunComparison? = nil) -> String {
        let figures = DriverFigures.collect(document)
        let screen = FirstScreen(document: document, comparison: comparison)
        var html = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>Crossnet \(e(screen.verdict.headline)): run \(e(document.run.id))</title>
            <style>\(Self.css)</style></head><body>
            <header><h1>Crossnet run <code>\(e(document.run.id))</code></h1>
            """
        html += "<p class=\"verdict \(screen.verdict.isSuccess ? "pass" : "fail")\">\(e(screen.headline))</p>"
        html += "<p class=\"meta\">Crossnet \(e(document.run.crossnetVersion)) · commit <code>\(e(String((document.run.gitCommit ?? "unknown").prefix(12))))</code> · inventory <code>\(e(String((document.run.inventoryHash ?? "unknown").prefix(12))))</code> · \(e(document.run.startedAt)) → \(e(document.run.finishedAt))</p></header>\n"
        html += firstScreen(screen)
        html += driverTables(document)

        if !document.run.hosts.isEmpty {
            html += "<section><h2>Hosts</h2><table><tr><th>host</th><th>address</th><th>kernel</th><th>Docker</th><th>CPUs</th></tr>"
            for host in document.run.hosts {
                html += "<tr><td>\(e(host.name))</td><td>\(e(host.address))</td><td>\(e(host.kernel ?? "?"))</td><td>\(e(host.dockerVersion ?? "?"))</td><td>\(host.cpus.map(String.init) ?? "?")</td></tr>"
            }
            html += "</table></section>\n"
        }

        html += "<section><h2>Tests per driver</h2><table><tr><th>driver</th><th>passed</th><th>failed</th><th>skipped</th></tr>"
        for f in figures {
            html += "<tr><td>\(e(f.driver))</td><td class=\"num\">\(f.passed)</td><td class=\"num \(f.failed > 0 ? "bad" : "")\">\(f.failed)</td><td class=\"num\">\(f.skipped)</td></tr>"
        }
        html += "</table></section>\n"

        // Charts per placement: a same-host figure and a cross-host one never share an axis.
        let tables = [MeasurementPlacement.crossHost, .sameHost].map { ($0, DriverFigures.table(document, placement: $0)) }
        html += "<section><h2>Throughput per driver</h2>"
        var anyThroughput = false
        for (placement, table) in tables {
            let tput = table.filter { $0.throughput != nil }
            guard !tput.isEmpty else { continue }
            anyThroughput = true
            html += "<h3>\(placement == .crossHost ? "Across hosts" : "On one host")</h3>" + throughputChart(tput)
        }
        if !anyThroughput { html += "<p class=\"none\">No throughput measured in this run.</p>" }
        html += "</section>\n"

        html += "<section><h2>Latency percentiles per driver</h2>"
        var anyLatency = false
        for (placement, table) in tables {
            let rtt = table.filter { $0.rttP50 != nil }
            guard !rtt.isEmpty else { continue }
            anyLatency = true
            html += "<h3>\(placement == .crossHost ? "Across hosts" : "On one host")</h3>" + latencyChart(rtt)
        }
        if !anyLatency { html += "<p class=\"none\">No latency measured in this run.</p>" }
        html += "</section>\n"

        html += "<section><h2>Reachability matrix</h2><p class=\"note\">Each test is a claim about the network (what should reach what, and what must stay isolated); a column is one case (a host, or a source→target pair). Expected: every claim holds. Observed: ✓ holds, ✗ broken (hover for the evidence), or skipped.</p>"
        html += reachability(document)
        html += "</section>\n"

        if let comparison {
            html += "<section><h2>Against the baseline</h2>" + regressionChart(comparison) + "</section>\n"
        }

        if !document.measurements.isEmpty {
            html += "<section><h2>All figures</h2><table><tr><th>driver</th><th>metric</th><th>path</th><th>value</th><th>interval</th><th>p99</th><th>p99 interval</th><th>n</th><th>tool</th></tr>"
            for r in document.measurements {
                html += "<tr><td>\(e(r.driver))</td><td>\(e(r.metric)) \(e(r.protocol))\(r.parameters.streams.map { " ×\($0)" } ?? "")</td><td>\(e(r.source))→\(e(r.target)) \(r.resolvedPlacement == .sameHost ? "(one host)" : "")</td>"
                html += "<td class=\"num\">\(e(ReportFormat.flagged(ReportFormat.value(r.value, unit: r.unit), r.flags)))</td><td class=\"num\">\(e(ReportFormat.intervalOrReason(r.stats, unit: r.unit)))</td>"
                html += "<td class=\"num\">\(e(r.stats.p99.map { ReportFormat.value($0, unit: r.unit) } ?? "—"))</td>"
                html += "<td class=\"num\">\(e(r.stats.p99 == nil ? "—" : (r.stats.interval("p99").map { ReportFormat.interval($0, unit: r.unit) } ?? "no interval")))</td><td class=\"num\">\(r.stats.samples)</td><td>\(e(r.parameters.tool)) \(e(r.parameters.version))</td></tr>"
            }
            html += "</table></section>\n"
        }

        let failed = document.tests.filter { $0.status == .failed }
        if !failed.isEmpty {
            html += "<section><h2>Failure transcripts</h2>"
            for test in failed {
                html += "<details open><summary><b>\(e(test.suite))</b> — \(e(test.displayName))</summary><pre class=\"msg\">\(e(test.message ?? ""))</pre>"
                if let transcript = test.transcript {
                    html += "<pre class=\"transcript\">\(e(ReportFormat.tail(transcript, lines: 60)))</pre>"
                }
                html += "</details>"
            }
            html += "</section>\n"
        }
        html += "<footer>Generated by Crossnet \(e(document.run.crossnetVersion)). Self-contained: no scripts, no external resources.</footer></body></html>\n"
        return html
    }

    // MARK: First screen

    private func firstScreen(_ screen: FirstScreen) -> String {
        var html = ""
        if !screen.regressions.isEmpty {
            html += "<section><h2>Regressions</h2><table><tr><th>driver</th><th>metric</th><th>pair</th><th>baseline → now</th><th>change</th><th>confidence</th></tr>"
            for r in screen.regressions {
                html += "<tr class=\"bad\"><td>\(e(r.driver))</td><td>\(e(r.metric))</td><td>\(e(r.pair))</td><td class=\"num\">\(e(r.baseline)) → \(e(r.now))</td><td class=\"num\">\(e(r.change))</td><td>\(e(r.confidence))</td></tr>"
            }
            html += "</table></section>\n"
        }
        if !screen.newlyFailing.isEmpty {
            html += "<p class=\"bad\">Newly failing (passed in the baseline): \(e(screen.newlyFailing.joined(separator: "; ")))</p>"
        }
        if !screen.missingTests.isEmpty {
            html += "<p class=\"bad\">In the baseline, missing from this run: \(e(screen.missingTests.joined(separator: "; ")))</p>"
        }
        if !screen.failures.isEmpty {
            html += "<section><h2>Failures by cause</h2>"
            for group in screen.failures {
                html += "<div class=\"cause\"><p><b>\(e(group.example))</b> — \(group.tests.count) case\(group.tests.count == 1 ? "" : "s"): \(e(group.cases))</p>"
                if !group.evidence.isEmpty { html += "<pre class=\"msg\">\(e(group.evidence.joined(separator: "\n")))</pre>" }
                html += "</div>"
            }
            html += "</section>\n"
        }
        return html
    }

    private func driverTables(_ document: ResultsDocument) -> String {
        var html = ""
        for placement in [MeasurementPlacement.crossHost, .sameHost] {
            let table = DriverFigures.table(document, placement: placement)
            guard table.contains(where: { $0.throughput != nil || $0.rttP50 != nil }) else { continue }
            if html.isEmpty {
                html += "<section><h2>Driver comparison</h2><p class=\"note\">Means over host pairs, fastest first; ⚠ marks figures flagged noisy or cpu-bound. Overhead is computed only within a table, pair by pair.</p>"
            }
            html += "<h3>\(placement == .crossHost ? "Across hosts (baseline: host network)" : "On one host (baseline: the host's loopback)")</h3>"
            html += "<table><tr><th>driver</th><th>TCP throughput</th><th>p50 RTT</th><th>p99 RTT</th><th>throughput overhead</th><th>latency overhead</th></tr>"
            for f in table {
                let tput = f.throughput.map { ReportFormat.flagged(ReportFormat.value($0, unit: "bit/s"), f.throughputFlags) } ?? "—"
                let p50 = f.rttP50.map { ReportFormat.flagged(ReportFormat.value($0, unit: "s"), f.rttFlags) } ?? "—"
                let p99 = f.rttP99.map { ReportFormat.value($0, unit: "s") } ?? "—"
                let tOver = f.isBaseline ? "baseline" : (f.throughputOverhead.map { String(format: "%+.1f %%", $0) } ?? "—")
                let lOver = f.isBaseline ? "baseline" : (f.latencyOverhead.map { String(format: "%+.1f %%", $0) } ?? "—")
                html += "<tr><td>\(e(f.driver))\(f.isBaseline && placement == .sameHost ? " (loopback)" : "")</td><td class=\"num\">\(e(tput))</td><td class=\"num\">\(e(p50))</td><td class=\"num\">\(e(p99))</td><td class=\"num\">\(tOver)</td><td class=\"num\">\(lOver)</td></tr>"
            }
            html += "</table>"
        }
        return html.isEmpty ? "" : html + "</section>\n"
    }

    // MARK: Charts

    private func throughputChart(_ figures: [DriverFigures]) -> String {
        let maxValue = figures.map { max($0.throughput ?? 0, $0.throughputCI?.upperBound ?? 0) }.max() ?? 1
        let scale = niceCeiling(maxValue)
        let rowHeight = 34.0, left = 120.0, width = 900.0, plot = width - left - 140
        let height = Double(figures.count) * rowHeight + 50
        var svg = svgOpen(width: width, height: height, label: "Throughput per driver with the mean of the pairs' median intervals")
        svg += axis(left: left, plot: plot, top: 10, bottom: height - 30, scale: scale, unit: "bit/s")
        for (index, f) in figures.enumerated() {
            let y = 14 + Double(index) * rowHeight
            let value = f.throughput ?? 0
            let w = plot * value / scale
            let color = Self.palette[index % Self.palette.count]
            svg += "<text x=\"\(left - 8)\" y=\"\(y + 17)\" text-anchor=\"end\" class=\"lbl\">\(e(f.driver))</text>"
            svg += "<rect x=\"\(left)\" y=\"\(y + 4)\" width=\"\(fmt(w))\" height=\"\(rowHeight - 12)\" fill=\"\(color)\" rx=\"2\"><title>\(e(f.driver)): \(e(ReportFormat.value(value, unit: "bit/s")))</title></rect>"
            if let ci = f.throughputCI {
                let x1 = left + plot * ci.lowerBound / scale, x2 = left + plot * ci.upperBound / scale, cy = y + rowHeight / 2 - 2
                svg += "<line x1=\"\(fmt(x1))\" y1=\"\(fmt(cy))\" x2=\"\(fmt(x2))\" y2=\"\(fmt(cy))\" class=\"whisker\"/>"
                svg += "<line x1=\"\(fmt(x1))\" y1=\"\(fmt(cy - 7))\" x2=\"\(fmt(x1))\" y2=\"\(fmt(cy + 7))\" class=\"whisker\"/>"
                svg += "<line x1=\"\(fmt(x2))\" y1=\"\(fmt(cy - 7))\" x2=\"\(fmt(x2))\" y2=\"\(fmt(cy + 7))\" class=\"whisker\"/>"
            }
            let labelX = left + max(w, f.throughputCI.map { plot * $0.upperBound / scale } ?? 0) + 8
            svg += "<text x=\"\(fmt(labelX))\" y=\"\(y + 17)\" class=\"val\">\(e(ReportFormat.value(value, unit: "bit/s")))</text>"
        }
        return svg + "</svg>"
    }

    private func latencyChart(_ figures: [DriverFigures]) -> String {
        let series: [(String, KeyPath<DriverFigures, Double?>, String)] = [
            ("p50", \.rttP50, "#60a5fa"), ("p90", \.rttP90, "#2563eb"), ("p99", \.rttP99, "#1e3a8a"),
        ]
        let maxValue = figures.flatMap { f in series.compactMap { f[keyPath: $0.1] } }.max() ?? 1
        let scale = niceCeiling(maxValue)
        let groupHeight = 62.0, left = 120.0, width = 900.0, plot = width - left - 140
        let height = Double(figures.count) * groupHeight + 70
        var svg = svgOpen(width: width, height: height, label: "Round-trip time percentiles per driver")
        svg += axis(left: left, plot: plot, top: 10, bottom: height - 50, scale: scale, unit: "s")
        for (index, f) in figures.enumerated() {
            let y = 14 + Double(index) * groupHeight
            svg += "<text x=\"\(left - 8)\" y=\"\(y + 28)\" text-anchor=\"end\" class=\"lbl\">\(e(f.driver))</text>"
            for (s, (name, path, color)) in series.enumerated() {
                guard let value = f[keyPath: path] else { continue }
                let by = y + Double(s) * 17
                let w = plot * value / scale
                svg += "<rect x=\"\(left)\" y=\"\(fmt(by))\" width=\"\(fmt(w))\" height=\"14\" fill=\"\(color)\"><title>\(e(f.driver)) \(name): \(e(ReportFormat.value(value, unit: "s")))</title></rect>"
                svg += "<text x=\"\(fmt(left + w + 6))\" y=\"\(fmt(by + 11))\" class=\"small\">\(name) \(e(ReportFormat.value(value, unit: "s")))</text>"
            }
        }
        let ly = height - 18
        for (s, (name, _, color)) in series.enumerated() {
            let lx = left + Double(s) * 80
            svg += "<rect x=\"\(fmt(lx))\" y=\"\(fmt(ly - 10))\" width=\"12\" height=\"12\" fill=\"\(color)\"/><text x=\"\(fmt(lx + 16))\" y=\"\(fmt(ly))\" class=\"small\">\(name)</text>"
        }
        return svg + "</svg>"
    }

    private func regressionChart(_ comparison: RunComparison) -> String {
        let rows = comparison.rows.filter { $0.changePercent != nil }
        var html = ""
        if comparison.hasRegression {
            html += "<p class=\"verdict fail\">\(comparison.regressions.count) figure regression(s), \(comparison.newlyFailing.count) newly failing test(s)</p>"
        } else {
            html += "<p class=\"verdict pass\">No regression (tolerance \(String(format: "%.0f", comparison.tolerance.defaultPercent)) % or the metric's noise floor, intervals considered)</p>"
        }
        if !rows.isEmpty {
            let clipped = rows.map { max(-100, min(100, $0.changePercent!.isFinite ? $0.changePercent! : 100)) }
            let span = max(niceCeiling(clipped.map(abs).max() ?? 10), 10)
            let rowHeight = 22.0, labelWidth = 330.0, width = 900.0, plot = width - labelWidth - 90
            let mid = labelWidth + plot / 2
            let height = Double(rows.count) * rowHeight + 40
            var svg = svgOpen(width: width, height: height, label: "Relative change of each figure against the baseline")
            svg += "<line x1=\"\(fmt(mid))\" y1=\"4\" x2=\"\(fmt(mid))\" y2=\"\(fmt(height - 24))\" class=\"axis\"/>"
            svg += "<text x=\"\(fmt(labelWidth))\" y=\"\(fmt(height - 8))\" class=\"small\">−\(fmt(span)) %</text><text x=\"\(fmt(labelWidth + plot))\" y=\"\(fmt(height - 8))\" text-anchor=\"end\" class=\"small\">+\(fmt(span)) %</text>"
            for (index, row) in rows.enumerated() {
                let y = 6 + Double(index) * rowHeight
                let change = clipped[index]
                let w = plot / 2 * abs(change) / span
                let x = change >= 0 ? mid : mid - w
                let color = row.verdict == .regression ? "#dc2626" : (row.verdict == .improvement ? "#16a34a" : "#9ca3af")
                svg += "<text x=\"\(fmt(labelWidth - 8))\" y=\"\(fmt(y + 14))\" text-anchor=\"end\" class=\"small\">\(e(row.key.label)) \(row.statistic == "value" ? "" : e(row.statistic))</text>"
                svg += "<rect x=\"\(fmt(x))\" y=\"\(fmt(y + 3))\" width=\"\(fmt(max(w, 1)))\" height=\"14\" fill=\"\(color)\"><title>\(e(row.verdict.rawValue))</title></rect>"
                svg += "<text x=\"\(fmt(labelWidth + plot + 6))\" y=\"\(fmt(y + 14))\" class=\"small\">\(e(ReportFormat.percent(row.changePercent!)))</text>"
            }
            html += svg + "</svg>"
            html += "<p class=\"note\">Red: worse beyond tolerance with non-overlapping CIs (regression); green: better; grey: within tolerance or noise.</p>"
        }
        if !comparison.newlyFailing.isEmpty {
            html += "<ul>" + comparison.newlyFailing.map { "<li class=\"bad\">newly failing: \(e($0.name))</li>" }.joined() + "</ul>"
        }
        return html
    }

    private func reachability(_ document: ResultsDocument) -> String {
        var html = ""
        for (driver, tests) in document.testsByDriver {
            let columns = orderedUnique(tests.map { $0.argument ?? "—" })
            let claims = orderedUnique(tests.map(\.name))
            html += "<h3>\(e(driver))</h3><table class=\"matrix\"><tr><th>claim (expected to hold)</th>"
            for column in columns { html += "<th>\(e(column))</th>" }
            html += "</tr>"
            for claim in claims {
                html += "<tr><td class=\"claim\">\(e(claim))</td>"
                for column in columns {
                    guard let test = tests.first(where: { $0.name == claim && ($0.argument ?? "—") == column }) else {
                        html += "<td class=\"na\"></td>"
                        continue
                    }
                    let (cls, text): (String, String) =
                        switch test.status {
                        case .passed: ("ok", "✓ holds")
                        case .failed: ("ko", "✗ broken")
                        case .skipped: ("skip", "skipped")
                        }
                    html += "<td class=\"\(cls)\" title=\"\(e(test.message ?? test.status.rawValue))\">\(e(text))</td>"
                }
                html += "</tr>"
            }
            html += "</table>"
        }
        return html.isEmpty ? "<p class=\"none\">No tests.</p>" : html
    }

    // MARK: Helpers

    private func axis(left: Double, plot: Double, top: Double, bottom: Double, scale: Double, unit: String) -> String {
        var svg = ""
        for step in 0...4 {
            let x = left + plot * Double(step) / 4
            svg += "<line x1=\"\(fmt(x))\" y1=\"\(fmt(top))\" x2=\"\(fmt(x))\" y2=\"\(fmt(bottom))\" class=\"grid\"/>"
            svg += "<text x=\"\(fmt(x))\" y=\"\(fmt(bottom + 16))\" text-anchor=\"middle\" class=\"small\">\(e(ReportFormat.value(scale * Double(step) / 4, unit: unit)))</text>"
        }
        return svg
    }

    private func svgOpen(width: Double, height: Double, label: String) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(fmt(width)) \(fmt(height))\" width=\"\(fmt(width))\" height=\"\(fmt(height))\" role=\"img\" aria-label=\"\(e(label))\">"
    }

    private func niceCeiling(_ value: Double) -> Double {
        guard value > 0, value.isFinite else { return 1 }
        let magnitude = pow(10, floor(log10(value)))
        for step in [1.0, 2, 2.5, 5, 10] where step * magnitude >= value { return step * magnitude }
        return 10 * magnitude
    }

    private func orderedUnique(_ values: [String]) -> [String] {
        var seen: Set<String> = []
        return values.filter { seen.insert($0).inserted }
    }

    private func fmt(_ v: Double) -> String { String(format: "%.1f", v) }
    private func e(_ text: String) -> String { ReportFormat.xml(text) }

    static let css = """
        body{font:14px/1.45 -apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:24px auto;max-width:1100px;color:#111827;padding:0 16px}
        h1{font-size:22px;margin:0 0 6px}h2{font-size:17px;border-bottom:1px solid #e5e7eb;padding-bottom:4px;margin-top:28px}h3{font-size:15px;margin:14px 0 6px}
        code{background:#f3f4f6;padding:1px 4px;border-radius:3px}
        .verdict{font-weight:600;padding:6px 10px;border-radius:4px;display:inline-block}.pass{background:#dcfce7;color:#166534}.fail{background:#fee2e2;color:#991b1b}
        .meta,.note,.none{color:#6b7280}table{border-collapse:collapse;margin:6px 0 12px}th,td{border:1px solid #e5e7eb;padding:4px 8px;text-align:left;vertical-align:top}
        th{background:#f9fafb}.num{text-align:right;font-variant-numeric:tabular-nums}.bad{color:#b91c1c;font-weight:600}
        .matrix td.ok{background:#dcfce7;color:#166534}.matrix td.ko{background:#fecaca;color:#7f1d1d;font-weight:600}.matrix td.skip{background:#f3f4f6;color:#6b7280}.matrix td.na{background:#fafafa}
        .matrix td.claim{max-width:420px}.matrix td.exp{color:#374151;font-style:italic}
        svg{display:block;margin:8px 0}svg .lbl{font-size:13px;fill:#111827}svg .val{font-size:12px;fill:#374151}svg .small{font-size:11px;fill:#4b5563}
        svg .grid{stroke:#e5e7eb;stroke-width:1}svg .axis{stroke:#6b7280;stroke-width:1}svg .whisker{stroke:#111827;stroke-width:1.6}
        pre{background:#f9fafb;border:1px solid #e5e7eb;padding:8px;overflow:auto;max-height:320px;font-size:12px}pre.msg{background:#fef2f2}
        .cause{margin:8px 0}
        footer{margin-top:32px;color:#9ca3af;font-size:12px}
        """
}
