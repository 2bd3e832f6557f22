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

    @Test("summary.md has pass/fail per driver, the comparison table with CIs and overhead vs host")
    func summary() throws {
        let document = try ReportFixtures.document()
        let md = SummaryWriter().render(document)
        #expect(md.contains("| overlay |"))
        #expect(md.contains("## Driver comparison"))
        #expect(md.contains("baseline"))
        #expect(md.contains("Gbit/s ["))
        #expect(md.contains("## Failures"))
        var worse = document
        worse.measurements = worse.measurements.map { record in
            var record = record
            if record.metric == "throughput" && record.driver == "overlay" {
                record.value /= 2; record.stats.ci95Low! /= 2; record.stats.ci95High! /= 2
            }
            return record
        }
        let withBaseline = SummaryWriter().render(worse, comparison: RunComparison(base: document, new: worse))
        #expect(withBaseline.contains("## Against the baseline"))
        #expect(withBaseline.contains("overlay throughput tcp h1→h3"))
    }

    @Test("metrics.prom is OpenMetrics text with throughput, RTT quantiles, test verdicts and # EOF")
    func prometheus() async throws {
        let text = PrometheusWriter().render(try ReportFixtures.document())
        #expect(text.hasSuffix("# EOF\n"))
        #expect(text.contains(#"crossnet_throughput_bits_per_second{driver="bridge",protocol="tcp",source="h1",target="h3",streams="1"} 11800000000"#))
        #expect(text.contains(#"crossnet_rtt_seconds{driver="overlay",protocol="icmp",source="h1",target="h2",quantile="0.99"}"#))
        #expect(text.contains(#"crossnet_test_passed{suite="overlay",test="an encrypted overlay passes traffic across hosts (h1→h2)",driver="overlay"} 0"#))
        // One HELP/TYPE per family, families contiguous.
        let types = text.split(separator: "\n").filter { $0.hasPrefix("# TYPE ") }
        #expect(Set(types).count == types.count)
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/promtool") {
            let folder = try ReportFixtures.temporaryFolder("prom")
            try text.write(toFile: folder + "/m.prom", atomically: true, encoding: .utf8)
            let output = try await LocalCommand.run(["sh", "-c", "promtool check metrics < \(folder)/m.prom"])
            #expect(output.exitStatus == 0, "\(output.stderrText)")
        }
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
        let url = PushgatewayClient.url(base: "http://127.0.0.1:\(listening)", instance: "run 1")
        let status = try await PushgatewayClient.push(text, to: url)
        _ = try await server.value
        #expect(status == 200)
        let body = try String(contentsOfFile: folder + "/body", encoding: .utf8)
        #expect(body.contains("crossnet_throughput_bits_per_second{driver=\"host\""))
        #expect(!body.contains("# EOF"))
        let request = try String(contentsOfFile: folder + "/request", encoding: .utf8)
        #expect(request.hasPrefix("PUT /metrics/job/crossnet/instance/run%201"))
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
