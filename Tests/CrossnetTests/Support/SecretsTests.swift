import Foundation
import Logging
import Testing

@testable import Crossnet

/// Every log record, unfiltered (no redaction), at trace level.
final class LogCapture: @unchecked Sendable {
    private let lock = NSLock()
    private var records: [String] = []

    var lines: [String] { lock.withLock { records } }

    func append(_ line: String) { lock.withLock { records.append(line) } }

    var logger: Logger {
        var logger = Logger(label: "crossnet.test.secrets") { _ in Handler(capture: self) }
        logger.logLevel = .trace
        return logger
    }

    struct Handler: LogHandler {
        let capture: LogCapture
        var logLevel: Logger.Level = .trace
        var metadata: Logger.Metadata = [:]
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            let all = metadata.merging(event.metadata ?? [:]) { $1 }
            capture.append("\(event.level) \(event.message) \(all.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: " "))")
        }
    }
}

/// Collects stdout lines of a streaming child.
final class LineSink: @unchecked Sendable {
    private let lock = NSLock()
    private var collected: [String] = []
    var lines: [String] { lock.withLock { collected } }
    func add(_ line: String) { lock.withLock { collected.append(line) } }
}

@Suite("Secrets: passphrase, URL credentials and join tokens reach no artifact", .tags(.sshd), .serialized)
struct SecretsTests {
    @Test("Redaction masks URL credentials and swarm join tokens, and leaves other text alone", arguments: [
        ("http://alice:pw@gw:9091/metrics", "http://REDACTED@gw:9091/metrics"),
        ("push to https://token@gw/x failed", "push to https://REDACTED@gw/x failed"),
        ("got \"http://a:b@c\" and http://d:e@f", "got \"http://REDACTED@c\" and http://REDACTED@f"),
        ("docker swarm join --token SWMTKN-1-3pu6hszjas19xyp7ghgosyx9k8atbfcr8p2is99znpy26u2lkl-1awxwuwd3z9j1z3puu7rcgdbx 10.0.0.1:2377",
         "docker swarm join --token SWMTKN-REDACTED 10.0.0.1:2377"),
        ("root@h1 and user@example.com and http://gw:9091/", "root@h1 and user@example.com and http://gw:9091/"),
    ])
    func redaction(text: String, expected: String) {
        #expect(Redaction.text(text) == expected)
    }

    @Test("The CLI's log handler masks secrets in messages and metadata")
    func redactingLogHandler() {
        let capture = LogCapture()
        var logger = Logger(label: "crossnet.test.redacting") { _ in
            RedactingLogHandler(wrapping: LogCapture.Handler(capture: capture))
        }
        logger.logLevel = .trace
        logger.info(
            "pushing to http://alice:pw123@gw:9091/metrics",
            metadata: ["command": "docker swarm join --token SWMTKN-1-abc123-def456 10.0.0.1:2377", "host": "h1"])
        let line = capture.lines.joined()
        #expect(line.contains("http://REDACTED@gw:9091/metrics"))
        #expect(line.contains("--token SWMTKN-REDACTED 10.0.0.1:2377"))
        #expect(line.contains("host=h1"))
        #expect(!line.contains("pw123") && !line.contains("abc123"))
    }

    @Test("Children start without CROSSNET_SSH_PASSPHRASE; variables given explicitly still pass")
    func childEnvironment() {
        let environment = Crossnet.childEnvironment(
            adding: ["CROSSNET_RUN_ID": "r1"], inherited: ["PATH": "/bin", "CROSSNET_SSH_PASSPHRASE": "secret"])
        #expect(Set(environment) == ["PATH=/bin", "CROSSNET_RUN_ID=r1"])
    }

    @Test("An encrypted key over a real sshd and a push URL with user:password leave no secret anywhere")
    func endToEnd() async throws {
        let server = try await TestSSHServer.start()
        defer { server.stop() }
        let passphrase = "pp-\(UUID().uuidString)"
        let password = "pw-\(UUID().uuidString.prefix(12))"
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789")
        let token = "SWMTKN-1-" + String((0..<50).map { _ in alphabet.randomElement()! }) + "-"
            + String((0..<25).map { _ in alphabet.randomElement()! })

        // A passphrase-protected key, authorized on the server.
        let key = server.directory + "/encrypted_key"
        _ = try TestSSHServer.runTool(["/usr/bin/ssh-keygen", "-q", "-t", "ed25519", "-N", passphrase, "-f", key])
        let publicKey = try String(contentsOfFile: key + ".pub", encoding: .utf8)
        let authorized = try FileHandle(forWritingAtPath: server.directory + "/authorized_keys").map { $0 } ?? { throw InputError("no authorized_keys") }()
        authorized.seekToEndOfFile()
        authorized.write(Data(publicKey.utf8))
        try authorized.close()
        let keyMaterial = try String(contentsOfFile: key, encoding: .utf8).split(separator: "\n")
            .filter { !$0.hasPrefix("-----") }.map(String.init)
        #expect(keyMaterial.count >= 3)

        setenv("CROSSNET_SSH_PASSPHRASE", passphrase, 1)
        defer { unsetenv("CROSSNET_SSH_PASSPHRASE") }
        let capture = LogCapture()
        var console: [String] = []
        var errors: [String] = []
        let transcript = Transcript()

        // 1. SSH with the encrypted key; the passphrase comes from the environment.
        let options = SSHOptions()
        #expect(options.passphrase == passphrase)
        let endpoint = server.endpoint(identityFiles: [key])
        let session = try await SSHSession.connect(endpoint, options: options, logger: capture.logger)
        let remote = try await transcript.step(host: "testhost", command: "env") {
            try await session.exec("env; echo done", timeout: .seconds(10))
        }
        console += [remote.stdoutText, remote.stderrText]
        #expect(remote.stdoutText.contains("done"))
        // 2. A swarm join through the transcript, and an Engine error echoing the token.
        _ = try await transcript.step(host: "testhost", command: "docker swarm join --token \(token) 127.0.0.1:2377") {
            try await session.exec("true", timeout: .seconds(10))
        }
        do {
            _ = try await transcript.step(host: "testhost", command: "POST /swarm/join") { () async throws -> Int in
                throw DockerAPIError(
                    host: "testhost", operation: "docker swarm join --token \(token)", status: 400,
                    body: Data(#"{"message":"invalid join token \#(token)"}"#.utf8))
            }
        } catch {
            errors.append("\(error)")
        }
        await session.close()

        // 3. Local children, collected and streamed.
        let local = try await LocalCommand.run(["env"], environment: ["CROSSNET_RUN_ID": "r1"], timeout: .seconds(10))
        console += [local.stdoutText, local.stderrText]
        #expect(local.stdoutText.contains("CROSSNET_RUN_ID=r1"))
        let sink = LineSink()
        let status = try await StreamingCommand.run(["env"], onLine: { sink.add($0) })
        #expect(status == 0)
        console += sink.lines
        #expect(sink.lines.contains { $0.hasPrefix("PATH=") })

        // 4. A push with user:password in the URL: accepted by a local listener, and a failing one.
        let folder = server.directory + "/push"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let script = """
            import http.server, sys, threading
            class H(http.server.BaseHTTPRequestHandler):
                def do_PUT(self):
                    self.rfile.read(int(self.headers['Content-Length']))
                    open(sys.argv[1] + '/authorization', 'w').write(self.headers.get('Authorization', ''))
                    self.send_response(200); self.end_headers()
                    threading.Thread(target=self.server.shutdown).start()
                def log_message(self, *a): pass
            s = http.server.HTTPServer(('127.0.0.1', 0), H)
            open(sys.argv[1] + '/port', 'w').write(str(s.server_port))
            s.serve_forever()
            """
        try script.write(toFile: folder + "/server.py", atomically: true, encoding: .utf8)
        let listener = Task { try await LocalCommand.run(["python3", folder + "/server.py", folder], timeout: .seconds(30)) }
        var port: String?
        for _ in 0..<100 {
            if let text = try? String(contentsOfFile: folder + "/port", encoding: .utf8), !text.isEmpty { port = text; break }
            try await Task.sleep(for: .milliseconds(50))
        }
        let listening = try #require(port)
        let url = "http://alice:\(password)@127.0.0.1:\(listening)/metrics/job/crossnet"
        #expect(try await PushgatewayClient.push("crossnet_up 1\n", to: url) == 200)
        _ = try await listener.value
        let authorization = try String(contentsOfFile: folder + "/authorization", encoding: .utf8)
        #expect(authorization == "Basic " + Data("alice:\(password)".utf8).base64EncodedString())
        console.append("metrics pushed to \(Redaction.url(url))")
        do {
            _ = try await PushgatewayClient.push("crossnet_up 1\n", to: "http://alice:\(password)@127.0.0.1:1/metrics/job/x")
            Issue.record("a push to a closed port succeeded")
        } catch {
            errors.append("\(error)")
        }

        // 5. Artifacts on disk: the transcript as a file, the server's log.
        let artifacts = server.directory + "/artifacts"
        try FileManager.default.createDirectory(atPath: artifacts, withIntermediateDirectories: true)
        try transcript.all.map(\.line).joined(separator: "\n").write(toFile: artifacts + "/transcript.log", atomically: true, encoding: .utf8)
        var files: [String: String] = [:]
        for path in [artifacts + "/transcript.log", server.directory + "/sshd.log"] {
            files[path] = try String(contentsOfFile: path, encoding: .utf8)
        }

        // The checks have something to look at…
        #expect(transcript.all.count == 3)
        #expect(transcript.all.map(\.line).joined().contains("--token SWMTKN-REDACTED 127.0.0.1:2377"))
        #expect(errors.count == 2)
        #expect(capture.lines.contains { $0.contains("authenticated with key") }, "\(capture.lines)")
        #expect(files[server.directory + "/sshd.log"]?.contains("Accepted publickey") == true)
        // …and find no secret in any of it.
        let secrets = [passphrase, password, token, String(token.dropFirst(9))] + keyMaterial
        let everything: [(String, String)] =
            capture.lines.map { ("log", $0) } + console.map { ("console", $0) } + errors.map { ("error", $0) }
            + transcript.all.map { ("transcript", $0.line) } + files.map { ($0.key, $0.value) }
        for (place, text) in everything {
            for secret in secrets {
                #expect(!text.contains(secret), "a secret reached \(place): \(text.prefix(300))")
            }
        }
    }
}
