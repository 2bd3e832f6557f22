import Foundation

/// `junit.xml` in the Jenkins xUnit `junit-10.xsd` dialect: a `<testsuite>` per suite, a
/// `<testcase>` per test case, failures with the transcript's tail, skips with their reason,
/// measured figures in `<system-out>`, run metadata as each suite's `<properties>`.
public struct JUnitWriter: Sendable {
    /// Transcript lines kept in a failure's body.
    public var transcriptLines: Int

    public init(transcriptLines: Int = 80) {
        self.transcriptLines = transcriptLines
    }

    public func render(_ document: ResultsDocument) -> String {
        let suites = orderedSuites(document.tests)
        let byTest = Dictionary(grouping: document.measurements, by: \.test)
        let totalTime = document.tests.reduce(0) { $0 + $1.durationSeconds }
        var xml = #"<?xml version="1.0" encoding="UTF-8"?>"# + "\n"
        xml += "<testsuites name=\"crossnet \(esc(document.run.id))\" tests=\"\(document.tests.count)\" failures=\"\(document.failedCount)\" errors=\"0\" time=\"\(ReportFormat.seconds3(totalTime))\">\n"
        let hostname = ProcessInfo.processInfo.hostName
        for (index, (suite, tests)) in suites.enumerated() {
            let failures = tests.filter { $0.status == .failed }.count
            let skipped = tests.filter { $0.status == .skipped }.count
            let time = tests.reduce(0) { $0 + $1.durationSeconds }
            xml += "  <testsuite name=\"\(esc(suite))\" tests=\"\(tests.count)\" failures=\"\(failures)\" errors=\"0\" skipped=\"\(skipped)\""
            xml += " time=\"\(ReportFormat.seconds3(time))\" timestamp=\"\(esc(document.run.startedAt))\" hostname=\"\(esc(hostname))\""
            xml += " id=\"\(index)\" package=\"crossnet\">\n"
            xml += "    <properties>\n"
            for (name, value) in properties(document.run) {
                xml += "      <property name=\"\(esc(name))\" value=\"\(esc(value))\"/>\n"
            }
            xml += "    </properties>\n"
            for test in tests {
                xml += "    <testcase name=\"\(esc(test.displayName))\" classname=\"\(esc(suite))\" time=\"\(ReportFormat.seconds3(test.durationSeconds))\""
                let records = byTest[test.id] ?? []
                if test.status == .passed && records.isEmpty {
                    xml += "/>\n"
                    continue
                }
                xml += ">\n"
                switch test.status {
                case .failed:
                    let message = test.message ?? "failed"
                    let firstLine = message.split(separator: "\n").first.map(String.init) ?? message
                    var body = message
                    if let transcript = test.transcript, !transcript.isEmpty {
                        body += "\n\n--- transcript (tail) ---\n" + ReportFormat.tail(transcript, lines: transcriptLines)
                    }
                    xml += "      <failure message=\"\(esc(firstLine))\" type=\"\(failureType(message))\">\(esc(body))</failure>\n"
                case .skipped:
                    xml += "      <skipped message=\"\(esc(test.message ?? "skipped"))\"/>\n"
                case .passed: break
                }
                if !records.isEmpty {
                    let figures = records.map(ReportFormat.line).joined(separator: "\n")
                    xml += "      <system-out>\(esc(figures))</system-out>\n"
                }
                xml += "    </testcase>\n"
            }
            xml += "  </testsuite>\n"
        }
        xml += "</testsuites>\n"
        return xml
    }

    /// Run metadata as name/value pairs.
    public func properties(_ run: ResultsDocument.Run) -> [(String, String)] {
        var list: [(String, String)] = [
            ("crossnet.run", run.id), ("crossnet.version", run.crossnetVersion),
            ("crossnet.gitCommit", run.gitCommit ?? "unknown"), ("crossnet.inventoryHash", run.inventoryHash ?? "unknown"),
            ("crossnet.startedAt", run.startedAt), ("crossnet.finishedAt", run.finishedAt),
        ]
        for host in run.hosts {
            list.append(("host.\(host.name).address", host.address))
            if let data = host.dataAddress { list.append(("host.\(host.name).dataAddress", data)) }
            if let name = host.dataAddressName { list.append(("host.\(host.name).dataAddressName", name)) }
            if let architecture = host.architecture { list.append(("host.\(host.name).architecture", architecture)) }
            list.append(("host.\(host.name).kernel", host.kernel ?? "unknown"))
            list.append(("host.\(host.name).dockerVersion", host.dockerVersion ?? "unknown"))
            list.append(("host.\(host.name).cpus", host.cpus.map(String.init) ?? "unknown"))
        }
        return list
    }

    private func failureType(_ message: String) -> String {
        if message.contains("Expectation failed") { return "ExpectationFailed" }
        if message.contains("Caught error") || message.contains("error") { return "Error" }
        return "IssueRecorded"
    }

    private func orderedSuites(_ tests: [ResultsDocument.Test]) -> [(String, [ResultsDocument.Test])] {
        var order: [String] = []
        var groups: [String: [ResultsDocument.Test]] = [:]
        for test in tests {
            if groups[test.suite] == nil { order.append(test.suite) }
            groups[test.suite, default: []].append(test)
        }
        return order.map { ($0, groups[$0]!) }
    }

    private func esc(_ text: String) -> String { ReportFormat.xml(text) }
}
