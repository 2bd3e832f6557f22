import Foundation

/// `junit.xml` in the Jenkins xUnit `junit-10.xsd` dialect: a `<testsuite>` per suite, a
/// `<testcase>` per test case, failures with the transcript's tail, skips with their reason,
/// measured figures in `<system-out>`, run metadata as each suite's `<properties>`. A suite whose
/// setup failed is reported once, as an `<error>` in a `(suite setup)` case; the cases it kept
/// from running are `<skipped>` and point to it.
public struct JUnitWriter: Sendable {
    /// Transcript lines kept in a failure's body.
    public var transcriptLines: Int

    public init(transcriptLines: Int = 80) {
        self.transcriptLines = transcriptLines
    }

    public func render(_ document: ResultsDocument) -> String {
        let suites = orderedSuites(document.tests)
        let byTest = Dictionary(grouping: document.measurements, by: \.test)
        let setup = Dictionary(uniqueKeysWithValues: suites.compactMap { suite, tests in
            Self.setupFailure(in: tests).map { (suite, $0) }
        })
        let notRun = Set(setup.values.flatMap(\.testIDs))
        let totalTime = document.tests.reduce(0) { $0 + $1.durationSeconds }
        let failures = document.tests.filter { $0.status == .failed && !notRun.contains($0.id) }.count
        let testCount = document.tests.count + setup.count
        var xml = #"<?xml version="1.0" encoding="UTF-8"?>"# + "\n"
        xml += "<testsuites name=\"crossnet \(esc(document.run.id))\" tests=\"\(testCount)\" failures=\"\(failures)\" errors=\"\(setup.count)\" time=\"\(ReportFormat.seconds3(totalTime))\">\n"
        let hostname = ProcessInfo.processInfo.hostName
        for (index, (suite, tests)) in suites.enumerated() {
            let setupFailure = setup[suite]
            let failures = tests.filter { $0.status == .failed && !notRun.contains($0.id) }.count
            let skipped = tests.filter { $0.status == .skipped || notRun.contains($0.id) }.count
            let time = tests.reduce(0) { $0 + $1.durationSeconds }
            xml += "  <testsuite name=\"\(esc(suite))\" tests=\"\(tests.count + (setupFailure == nil ? 0 : 1))\" failures=\"\(failures)\" errors=\"\(setupFailure == nil ? 0 : 1)\" skipped=\"\(skipped)\""
            xml += " time=\"\(ReportFormat.seconds3(time))\" timestamp=\"\(esc(document.run.startedAt))\" hostname=\"\(esc(hostname))\""
            xml += " id=\"\(index)\" package=\"crossnet\">\n"
            xml += "    <properties>\n"
            for (name, value) in properties(document.run) {
                xml += "      <property name=\"\(esc(name))\" value=\"\(esc(value))\"/>\n"
            }
            // passed, failed, regressed, interrupted (a partial run) or nothing-ran.
            if let verdict = document.verdict {
                xml += "      <property name=\"crossnet.verdict\" value=\"\(verdict.rawValue)\"/>\n"
            }
            xml += "    </properties>\n"
            if let setupFailure {
                // Reported once: the cases it kept from running are skipped and point here.
                xml += "    <testcase name=\"\(esc(Self.setupCaseName))\" classname=\"\(esc(suite))\" time=\"0.000\">\n"
                xml += "      <error message=\"\(esc(setupFailure.firstLine))\" type=\"SetupError\">\(esc(setupFailure.body(transcriptLines: transcriptLines)))</error>\n"
                xml += "    </testcase>\n"
            }
            for test in tests {
                xml += "    <testcase name=\"\(esc(test.displayName))\" classname=\"\(esc(suite))\" time=\"\(ReportFormat.seconds3(test.durationSeconds))\""
                let records = byTest[test.id] ?? []
                if test.status == .passed && records.isEmpty {
                    xml += "/>\n"
                    continue
                }
                xml += ">\n"
                switch test.status {
                case .failed where notRun.contains(test.id):
                    xml += "      <skipped message=\"not run: the suite's setup failed (see \(esc(Self.setupCaseName)))\"/>\n"
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

    /// Name of the test case that carries a suite's setup error.
    public static let setupCaseName = "(suite setup)"

    /// A suite's setup error: the one message every case it kept from running carries.
    public struct SetupFailure: Sendable, Equatable {
        public var message: String
        public var transcript: String?
        public var testIDs: [String]

        public var firstLine: String { message.split(separator: "\n").first.map(String.init) ?? message }

        func body(transcriptLines: Int) -> String {
            var body = message + "\n\nnot run because of it: \(testIDs.count) test case(s)"
            if let transcript, !transcript.isEmpty {
                body += "\n\n--- transcript (tail) ---\n" + ReportFormat.tail(transcript, lines: transcriptLines)
            }
            return body
        }
    }

    /// The setup error of a suite's `tests`, if any: failed cases that never started (duration 0:
    /// the event stream gives a case kept from running by its suite's failed setup the suite's
    /// issues and no start) and share one message — at least two of them, or the whole suite.
    public static func setupFailure(in tests: [ResultsDocument.Test]) -> SetupFailure? {
        let neverStarted = tests.filter { $0.status == .failed && $0.durationSeconds == 0 && $0.message != nil }
        let byMessage = Dictionary(grouping: neverStarted, by: { $0.message! })
        guard let (message, cases) = byMessage.max(by: { $0.value.count < $1.value.count }),
            cases.count >= 2 || cases.count == tests.count
        else { return nil }
        return SetupFailure(message: message, transcript: cases.first?.transcript, testIDs: cases.map(\.id))
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
