import Foundation
import Testing

@testable import Crossnet

@Suite("Report: HTML")
struct ReportHTMLTests {
    func report() throws -> (ResultsDocument, RunComparison, String) {
        let document = try ReportFixtures.document()
        var base = document
        // A baseline where overlay was twice as fast and a now-failing claim passed.
        base.measurements = base.measurements.map { record in
            var record = record
            if record.driver == "overlay" && record.metric == "throughput" {
                record = record.scaled(by: 2)
            }
            return record
        }
        for i in base.tests.indices where base.tests[i].name.contains("encrypted") { base.tests[i].status = .passed }
        let comparison = RunComparison(base: base, new: document)
        return (document, comparison, HTMLReportWriter().render(document, comparison: comparison))
    }

    @Test("report.html is one self-contained file: inline CSS and SVG, no script, no external URL")
    func selfContained() throws {
        let (_, comparison, html) = try report()
        #expect(comparison.hasRegression)
        #expect(comparison.regressions.allSatisfy { $0.key.driver == "overlay" } && !comparison.regressions.isEmpty)
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(html.contains("<style>"))
        #expect(html.components(separatedBy: "<svg ").count - 1 >= 3, "throughput, latency, deltas")
        #expect(!html.contains("<script"))
        #expect(!html.contains("<link"))
        let urls = html.components(separatedBy: "http").dropFirst().map { String($0.prefix(30)) }
        #expect(urls.allSatisfy { $0.hasPrefix("://www.w3.org/2000/svg") }, "only the SVG namespace: \(urls)")
        #expect(html.contains("class=\"ko\""), "a failed cell in the reachability matrix")
        #expect(html.contains("newly failing"))
    }

    @Test("the page renders in headless Chromium to a non-trivial screenshot",
          .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/chromium")))
    func rendersInChromium() async throws {
        let (_, _, html) = try report()
        let folder = try ReportFixtures.temporaryFolder("html")
        let page = folder + "/report.html"
        try html.write(toFile: page, atomically: true, encoding: .utf8)
        let shot = folder + "/report.png"
        let output = try await LocalCommand.run(
            [
                "chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                "--user-data-dir=\(folder)/profile", "--screenshot=\(shot)", "--window-size=1200,2000", "file://\(page)",
            ], timeout: .seconds(120))
        let size = (try? FileManager.default.attributesOfItem(atPath: shot)[.size] as? Int) ?? 0
        #expect(size > 20_000, "screenshot \(size) bytes; chromium: \(output.stderrText.suffix(500))")
        if let keep = ProcessInfo.processInfo.environment["CROSSNET_KEEP_SCREENSHOT"] {
            try? FileManager.default.removeItem(atPath: keep)
            try FileManager.default.copyItem(atPath: shot, toPath: keep)
            try? FileManager.default.removeItem(atPath: keep + ".html")
            try FileManager.default.copyItem(atPath: page, toPath: keep + ".html")
        }
    }
}
