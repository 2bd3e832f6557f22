import Foundation
import Testing

@testable import Crossnet

@Suite("Report: documents and formats")
struct ReportFormatTests {
    @Test("JUnit validates against junit-10.xsd (xmllint) and carries metadata, failures, skips and figures")
    func junitValidates() async throws {
        let document = try ReportFixtures.document()
        let xml = JUnitWriter().render(document)
        let folder = try ReportFixtures.temporaryFolder("junit")
        let path = folder + "/junit.xml"
        try xml.write(toFile: path, atomically: true, encoding: .utf8)
        let output = try await LocalCommand.run(["xmllint", "--noout", "--schema", ReportFixtures.junitSchema, path])
        #expect(output.exitStatus == 0, "\(output.stderrText)")
        #expect(xml.contains("<property name=\"host.h1.kernel\" value=\"6.1.0-28-amd64\"/>"))
        #expect(xml.contains("<property name=\"crossnet.gitCommit\""))
        #expect(xml.contains("<failure message="))
        #expect(xml.contains("100% packet loss"))
        #expect(xml.contains("<skipped message=\"no macvlan parent interface\"/>"))
        #expect(xml.contains("<system-out>bridge throughput tcp h1→h2"))
        #expect(xml.contains("time=\"1.235\""))
        #expect(!xml.contains("time=\"1.2345"))
    }

    @Test("a suite's setup error (captured stream) is reported once, as an error, and the cases it kept from running are skipped")
    func junitSetupErrorOnce() async throws {
        let stream = try EventStreamReader().read(path: ReportFixtures.eventStream("setup-failed.jsonl"))
        #expect(stream.tests.count >= 2 && stream.tests.allSatisfy { $0.status == .failed })
        let document = ReportBundle(document: ReportBundle.document(
            stream: stream, runID: "r1", startedAt: Date(), finishedAt: Date(), gitCommit: nil, inventoryHash: nil, hosts: [])).document
        let xml = JUnitWriter().render(document)
        let path = try ReportFixtures.temporaryFolder("junit-setup") + "/junit.xml"
        try xml.write(toFile: path, atomically: true, encoding: .utf8)
        let output = try await LocalCommand.run(["xmllint", "--noout", "--schema", ReportFixtures.junitSchema, path])
        #expect(output.exitStatus == 0, "\(output.stderrText)")
        #expect(xml.components(separatedBy: "could not connect to 3 of 3 hosts").count - 1 == 2, "once in the message attribute, once in the body")
        #expect(xml.components(separatedBy: "<error ").count - 1 == 1)
        #expect(xml.contains("<testcase name=\"(suite setup)\" classname=\"default bridge\""))
        #expect(xml.contains("errors=\"1\" skipped=\"\(stream.tests.count)\""))
        #expect(xml.components(separatedBy: "not run: the suite's setup failed").count - 1 == stream.tests.count)
        #expect(!xml.contains("<failure "))
        // The first screen shows the cause once too.
        let groups = FailureGroup.groups(document)
        #expect(groups.count == 1 && groups[0].tests.count == stream.tests.count)
        #expect(groups[0].evidence.first?.hasPrefix("- h1 (127.0.0.1:1): cannot connect") == true)
        #expect(CIIntegration.annotations(document: document, comparison: nil).count == 1)
    }

    @Test("awkward text (quotes, angle brackets, control characters) stays valid XML")
    func junitEscaping() async throws {
        var document = try ReportFixtures.document()
        document.tests[0].message = "bad <tag> & \"quotes\" \u{1}\u{7} end"
        document.tests[0].status = .failed
        document.tests[0].name = "a <weird> & 'name'"
        let folder = try ReportFixtures.temporaryFolder("junit-esc")
        let path = folder + "/junit.xml"
        try JUnitWriter().render(document).write(toFile: path, atomically: true, encoding: .utf8)
        let output = try await LocalCommand.run(["xmllint", "--noout", "--schema", ReportFixtures.junitSchema, path])
        #expect(output.exitStatus == 0, "\(output.stderrText)")
    }

    @Test("every results.json written validates against the committed JSON Schema", arguments: ["claims.jsonl", "claims-inline.jsonl", "skipped-suite.jsonl", "crossnettests.jsonl", "full"])
    func resultsValidate(source: String) async throws {
        let document: ResultsDocument
        if source == "full" {
            document = try ReportFixtures.document()
        } else {
            let stream = try EventStreamReader(attachmentsDirectory: ReportFixtures.attachments).read(path: ReportFixtures.eventStream(source))
            document = ReportBundle.document(
                stream: stream, runID: "r1", startedAt: Date(), finishedAt: Date(), gitCommit: nil, inventoryHash: nil, hosts: [])
        }
        let folder = try ReportFixtures.temporaryFolder("bundle")
        try ReportBundle(document: document).write(to: folder, transcript: "swift test output\n")
        for name in ReportBundle.files + ["transcript.log"] {
            #expect(FileManager.default.fileExists(atPath: folder + "/" + name), "\(name)")
        }
        let output = try await validateJSON(folder + "/results.json")
        #expect(output.exitStatus == 0, "\(output.stdoutText)\(output.stderrText)")
        let reread = try ResultsDocument.load(path: folder)
        #expect(reread.tests.map(\.id) == document.tests.map(\.id))
        #expect(reread.measurements == document.measurements)
    }

    @Test("the schema rejects a document that breaks it")
    func schemaRejects() async throws {
        let path = try ReportFixtures.write(try ReportFixtures.document(), label: "bad")
        var json = try String(contentsOfFile: path, encoding: .utf8)
        json = json.replacingOccurrences(of: "\"status\" : \"passed\"", with: "\"status\" : \"maybe\"")
        try json.write(toFile: path, atomically: true, encoding: .utf8)
        let output = try await validateJSON(path)
        #expect(output.exitStatus != 0)
    }

    @Test("SHA-256 matches sha256sum")
    func sha256() async throws {
        for text in ["", "abc", String(repeating: "crossnet ", count: 1000)] {
            let output = try await LocalCommand.run(["sha256sum"], stdin: Data(text.utf8))
            #expect(SHA256.hex(Data(text.utf8)) == String(output.stdoutText.prefix(64)))
        }
    }

    @Test("summary.md opens with the verdict, then regressions naming the driver, then the two driver tables")
    func summary() throws {
        let document = try ReportFixtures.document()
        let md = SummaryWriter().render(document)
        #expect(md.hasPrefix("# Crossnet: FAILED\n"))
        #expect(md.contains("## Failures by cause"))
        #expect(md.contains("### Across hosts (baseline: host network)"))
        #expect(md.contains("### On one host (baseline: the host's loopback)"))
        #expect(md.contains("| overlay |"))
        #expect(md.contains("Gbit/s ["))
        // Failures come before the driver comparison, which comes before the rest.
        let failures = try #require(md.range(of: "## Failures by cause"))
        let comparison = try #require(md.range(of: "## Driver comparison"))
        let rest = try #require(md.range(of: "## Tests per driver"))
        #expect(failures.lowerBound < comparison.lowerBound && comparison.lowerBound < rest.lowerBound)

        // Every claim holds, and overlay throughput was twice as high in the baseline.
        var passing = document
        for i in passing.tests.indices where passing.tests[i].status == .failed { passing.tests[i].status = .passed }
        var base = passing
        base.measurements = base.measurements.map { record in
            var record = record
            if record.metric == "throughput" && record.driver == "overlay" {
                record.value *= 2
                record.stats.intervals = record.stats.intervals?.mapValues { .init(low: $0.low * 2, high: $0.high * 2, level: $0.level) }
            }
            return record
        }
        let withBaseline = SummaryWriter().render(passing, comparison: RunComparison(base: base, new: passing))
        let firstLines = withBaseline.split(separator: "\n").prefix(8).joined(separator: "\n")
        #expect(firstLines.hasPrefix("# Crossnet: REGRESSED"))
        #expect(firstLines.contains("## Regressions"))
        #expect(firstLines.contains("| overlay | throughput tcp | h1→h3 |"), "\(firstLines)")
        #expect(firstLines.contains("−50.0 %") || firstLines.contains("-50.0 %"))
        #expect(withBaseline.contains("## Against the baseline"))
    }

    @Test("the driver tables keep placements apart: overhead against host across hosts, against loopback on one host")
    func driverTables() throws {
        let document = try ReportFixtures.document()
        let cross = DriverFigures.table(document, placement: .crossHost)
        let same = DriverFigures.table(document, placement: .sameHost)
        #expect(cross.first?.driver == "host" && same.first?.driver == "host")
        #expect(Set(cross.map(\.driver)) == ["host", "bridge", "overlay", "macvlan"])
        #expect(Set(same.map(\.driver)) == ["host", "bridge", "user-bridge", "compose", "macvlan", "overlay"])
        // Sorted fastest first after the baseline.
        #expect(cross.dropFirst().map(\.driver) == ["macvlan", "bridge", "overlay"])
        // Same-host bridge 28 vs loopback 40 Gbit/s: 30 % slower, never "faster than host".
        let bridge = try #require(same.first { $0.driver == "bridge" })
        #expect(abs(bridge.throughputOverhead! - 30) < 1e-9)
        let overlay = try #require(cross.first { $0.driver == "overlay" })
        #expect(abs(overlay.throughputOverhead! - (14.2 - 6.3) / 14.2 * 100) < 1e-9)
        #expect(overlay.latencyOverhead! > 0)
    }

    @Test("metrics.prom follows Prometheus conventions and promtool check metrics accepts it")
    func prometheus() async throws {
        var document = try ReportFixtures.document()
        var udp = ReportFixtures.throughput("overlay", "h1", "h2", gbps: 0.9)
        udp.metric = "loss"; udp.protocol = "udp"; udp.unit = "%"; udp.value = 2.5
        document.measurements.append(udp)
        let text = PrometheusWriter().render(ReportBundle(document: document).document)
        #expect(text.hasSuffix("# EOF\n"))
        #expect(text.contains(#"crossnet_throughput_bytes_per_second{driver="bridge",protocol="tcp",source="h1",target="h3",placement="cross-host",streams="1"} 1475000000"#))
        #expect(text.contains("# TYPE crossnet_rtt_seconds summary"))
        #expect(text.contains(#"crossnet_rtt_seconds{driver="overlay",protocol="icmp",source="h1",target="h2",placement="cross-host",quantile="0.99"}"#))
        #expect(text.contains(#"crossnet_rtt_seconds_count{driver="overlay",protocol="icmp",source="h1",target="h2",placement="cross-host"} 200"#))
        #expect(text.contains(#"crossnet_loss_ratio{driver="overlay",protocol="udp",source="h1",target="h2",placement="cross-host",streams="1"} 0.025"#))
        #expect(!text.contains("_percent"))
        #expect(text.contains(#"crossnet_test_passed{suite="overlay",test="an encrypted overlay passes traffic across hosts (h1→h2)",driver="overlay"} 0"#))
        #expect(text.contains("crossnet_last_run_success 0\n"))
        #expect(text.contains("crossnet_last_run_timestamp_seconds 1795683852\n"))
        // `quantile` only on summary families.
        let summaries = Set(text.split(separator: "\n").filter { $0.hasPrefix("# TYPE ") && $0.hasSuffix(" summary") }.map { $0.split(separator: " ")[2] })
        for line in text.split(separator: "\n") where line.contains("quantile=") {
            #expect(summaries.contains(line.prefix { $0 != "{" }), "\(line)")
        }
        // One HELP/TYPE per family, families contiguous.
        let types = text.split(separator: "\n").filter { $0.hasPrefix("# TYPE ") }
        #expect(Set(types).count == types.count)
        try #require(
            FileManager.default.isExecutableFile(atPath: "/usr/bin/promtool"),
            "promtool is missing: run scripts/install-deps.sh (Debian package prometheus)")
        let folder = try ReportFixtures.temporaryFolder("prom")
        try text.write(toFile: folder + "/m.prom", atomically: true, encoding: .utf8)
        let output = try await LocalCommand.run(["sh", "-c", "promtool check metrics < \(folder)/m.prom"])
        #expect(output.exitStatus == 0, "\(output.stdoutText)\(output.stderrText)")
    }

    @Test("--push sends the metrics to a Pushgateway-like HTTP listener")
    func push() async throws {
        let folder = try ReportFixtures.temporaryFolder("push")
        let script = """
            import http.server, sys, threading
            class H(http.server.BaseHTTPRequestHandler):
                def do_PUT(self):
                    body = self.rfile.read(int(self.headers['Content-Length']))
                    open(sys.argv[1] + '/body', 'wb').write(body)
                    open(sys.argv[1] + '/request', 'w').write(self.command + ' ' + self.path + '\\n' + self.headers.get('Content-Type', ''))
                    self.send_response(200); self.end_headers()
                    threading.Thread(target=self.server.shutdown).start()
                def log_message(self, *a): pass
            s = http.server.HTTPServer(('127.0.0.1', 0), H)
            open(sys.argv[1] + '/port', 'w').write(str(s.server_port))
            s.serve_forever()
            """
        try script.write(toFile: folder + "/server.py", atomically: true, encoding: .utf8)
        let server = Task { try await LocalCommand.run(["python3", folder + "/server.py", folder], timeout: .seconds(30)) }
        var port: String?
        for _ in 0..<100 {
            if let text = try? String(contentsOfFile: folder + "/port", encoding: .utf8), !text.isEmpty { port = text; break }
            try await Task.sleep(for: .milliseconds(50))
        }
        let listening = try #require(port)
        let text = PrometheusWriter().render(try ReportFixtures.document())
        let url = PushgatewayClient.url(base: "http://127.0.0.1:\(listening)", inventory: "lab one")
        let status = try await PushgatewayClient.push(text, to: url)
        _ = try await server.value
        #expect(status == 200)
        let body = try String(contentsOfFile: folder + "/body", encoding: .utf8)
        #expect(body.contains("crossnet_throughput_bytes_per_second{driver=\"host\""))
        #expect(!body.contains("# EOF"))
        #expect(body.contains("crossnet_last_run_success"))
        let request = try String(contentsOfFile: folder + "/request", encoding: .utf8)
        #expect(request.hasPrefix("PUT /metrics/job/crossnet/inventory/lab%20one"))
        #expect(request.contains("text/plain; version=0.0.4"))
    }

    @Test("a push to a closed port fails with an error naming the URL")
    func pushFails() async throws {
        await #expect(throws: OperationError.self) {
            _ = try await PushgatewayClient.push("x 1\n", to: "http://127.0.0.1:9/metrics/job/crossnet", timeout: .seconds(5))
        }
    }
}

/// Validates a results.json against the committed schema with python3's jsonschema.
func validateJSON(_ path: String) async throws -> CommandOutput {
    let code = """
        import json, sys, jsonschema
        schema = json.load(open(sys.argv[1]))
        jsonschema.Draft202012Validator.check_schema(schema)
        v = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
        errors = list(v.iter_errors(json.load(open(sys.argv[2]))))
        for e in errors: print(list(e.path), e.message)
        sys.exit(1 if errors else 0)
        """
    return try await LocalCommand.run(["python3", "-c", code, ReportFixtures.resultsSchema, path])
}
