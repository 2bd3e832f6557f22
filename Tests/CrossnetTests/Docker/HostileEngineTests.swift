import Foundation
import Logging
import Testing

@testable import Crossnet

/// A hostile "Docker Engine": a server on a unix socket, reached like a real Engine through an SSH
/// `direct-streamlocal` channel of the test sshd, that answers each path with one kind of abuse.
/// Every loop in it is bounded in bytes and time.
private let hostileServer = #"""
    import socket, sys, threading, time
    s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(16)
    def head(c):
        data = b""
        while b"\r\n\r\n" not in data:
            d = c.recv(65536)
            if not d: return ""
            data += d
        return data.split(b" ")[1].decode()
    def serve(c):
        try:
            path = head(c).rsplit("/", 1)[-1]
            if path == "ok":
                c.sendall(b'HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nTransfer-Encoding: chunked\r\n\r\n7\r\n{"a":1}\r\n0\r\n\r\n')
            elif path == "huge-header":
                c.sendall(b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * (1 << 20) + b"\r\n\r\n")
            elif path == "many-headers":
                c.sendall(b"HTTP/1.1 200 OK\r\n" + b"".join(b"X-%d: v\r\n" % i for i in range(5000)) + b"Content-Length: 0\r\n\r\n")
            elif path == "many-1xx":
                c.sendall(b"HTTP/1.1 100 Continue\r\n\r\n" * 50 + b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
            elif path == "negative-chunk":
                c.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\nabc\r\n0\r\n\r\n")
            elif path == "nine-digit-chunk":
                c.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n000000001\r\na\r\n0\r\n\r\n")
            elif path == "endless":
                c.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
                block = b"10000\r\n" + b"x" * 65536 + b"\r\n"
                end = time.time() + 60
                for _ in range(4096):  # at most 256 MiB, at most 60 s
                    if time.time() > end: break
                    c.sendall(block)
            elif path == "endless-stream":
                c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.raw-stream\r\n\r\n")
                end = time.time() + 60
                for _ in range(4096):
                    if time.time() > end: break
                    c.sendall(b"y" * 65536)
            elif path == "drip":
                c.sendall(b"HTTP/1.1 200 OK\r\n")
                for _ in range(3):  # a byte every 50 s
                    time.sleep(50); c.sendall(b"X")
            elif path == "drip-fast":
                for byte in (b"HTTP/1.1 200 OK\r\nX-Slow: " + b"z" * 300)[:300]:  # a byte every 0.2 s, at most 60 s
                    c.sendall(bytes([byte])); time.sleep(0.2)
        except OSError:
            pass
        finally:
            c.close()
    while True:
        c, _ = s.accept(); threading.Thread(target=serve, args=(c,), daemon=True).start()
    """#

@Suite("Engine HTTP client against a hostile server over a real SSH channel", .tags(.docker, .transport, .sshd), .sshServer, .serialized)
struct HostileEngineTests {
    let logger = Logger(label: "crossnet.test.hostile")

    /// Runs `body` with an engine on the hostile server (API pinned to 1.41: paths are `/v1.41/…`).
    private func withHostileEngine(_ body: (DockerEngine, SSHSession, String) async throws -> Void) async throws {
        let server = try #require(TestSSHServer.current, "test sshd not running")
        let socketPath = server.path("hostile.sock")
        let python = try #require(
            ["/usr/bin/python3", "/usr/local/bin/python3"].first { FileManager.default.isExecutableFile(atPath: $0) })
        let pid = try TestSSHServer.spawn([python, "-c", hostileServer, socketPath])
        defer { TestSSHServer.terminate(pid) }
        for _ in 0..<100 where !FileManager.default.fileExists(atPath: socketPath) {
            try await Task.sleep(for: .milliseconds(30))
        }
        let session = try await SSHSession.connect(server.endpoint(), options: SSHOptions(passphrase: nil), logger: logger)
        let engine = DockerEngine(host: "hostile", api: EngineAPISelection(pinned: EngineAPIVersion(1, 41))) {
            try await session.openUnixSocketChannel(path: socketPath, timeout: .seconds(5))
        }
        do {
            try await body(engine, session, socketPath)
        } catch {
            await session.close()
            throw error
        }
        await session.close()
    }

    /// The call to `path` fails with an ``HTTPProtocolError`` of `kind` naming the host and request.
    private func expectRefused(_ engine: DockerEngine, _ path: String, _ kind: HTTPProtocolError.Kind) async {
        do {
            try await engine.call("GET", "/\(path)", cli: "GET \(path)", timeout: .seconds(20))
            Issue.record("\(path): expected an HTTPProtocolError")
        } catch let error as HTTPProtocolError {
            #expect(error.kind == kind, "\(path): \(error)")
            #expect(error.host == "hostile")
            #expect(error.request == "GET /v1.41/\(path)")
            #expect(error.description.contains("hostile: `GET /v1.41/\(path)`"))
        } catch {
            Issue.record("\(path): expected an HTTPProtocolError, got \(error)")
        }
    }

    @Test("each kind of hostile answer ends in a typed error naming the host and the request; the session stays usable")
    func hostileAnswers() async throws {
        try await withHostileEngine { engine, session, _ in
            let ok = try await engine.call("GET", "/ok", cli: "GET ok")
            #expect(String(decoding: ok.body, as: UTF8.self) == #"{"a":1}"#)
            await expectRefused(engine, "huge-header", .lineTooLong)
            await expectRefused(engine, "many-headers", .tooManyHeaders)
            await expectRefused(engine, "many-1xx", .tooManyInterimResponses)
            await expectRefused(engine, "negative-chunk", .badChunkSize)
            await expectRefused(engine, "nine-digit-chunk", .badChunkSize)
            // An endless body stops at the 64 MiB cap of a response read whole.
            await expectRefused(engine, "endless", .bodyTooLarge)
            // After all that, the process is alive and the same SSH session still works.
            #expect(try await session.exec("echo alive", timeout: .seconds(10)).trimmedStdout == "alive")
        }
    }

    @Test("an endless streamed body stops at the streaming cap")
    func endlessStream() async throws {
        try await withHostileEngine { _, session, socket in
            let limits = HTTPLimits(
                maxLineBytes: 16 * 1024, maxHeaderCount: 100, maxInterimResponses: 8, maxBodyBytes: 1 << 20,
                maxStreamedBodyBytes: 8 << 20)
            let channel = try await session.openUnixSocketChannel(path: socket, timeout: .seconds(5))
            var received = 0
            do {
                _ = try await HTTPClient(host: "hostile", limits: limits).stream(
                    HTTPRequest(method: "POST", path: "/v1.41/exec/x/endless-stream"), on: channel, timeout: .seconds(30)
                ) { received += $0.count }
                Issue.record("expected bodyTooLarge")
            } catch let error as HTTPProtocolError {
                #expect(error.kind == .bodyTooLarge)
                #expect(error.request == "POST /v1.41/exec/x/endless-stream")
            }
            await channel.close()
            #expect(received <= 8 << 20)
            #expect(received > 7 << 20)
        }
    }

    @Test("a server that sends a byte every 50 s, or every 0.2 s, is given up at the request's deadline", arguments: ["drip", "drip-fast"])
    func slowDrip(path: String) async throws {
        try await withHostileEngine { engine, _, _ in
            let deadline = Duration.seconds(3)
            let clock = ContinuousClock()
            let started = clock.now
            do {
                try await engine.call("GET", "/\(path)", cli: "GET \(path)", timeout: deadline)
                Issue.record("expected the deadline to pass")
            } catch let error as DeadlineExceeded {
                #expect(error.host == "hostile")
            } catch {
                Issue.record("expected DeadlineExceeded, got \(error)")
            }
            let elapsed = clock.now - started
            print("\(path): gave up after \(elapsed) (deadline \(deadline))")
            #expect(elapsed >= deadline - .milliseconds(100))
            #expect(elapsed < deadline + .seconds(2), "returned after \(elapsed)")
        }
    }
}
