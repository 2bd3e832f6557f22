import Foundation
import Logging
import Testing

@testable import Crossnet

private let logger = Logger(label: "crossnet.test.transport")

private var server: TestSSHServer {
    get throws { try #require(TestSSHServer.current, "test sshd not running") }
}

private func connect(_ endpoint: SSHEndpoint? = nil, options: SSHOptions = SSHOptions(passphrase: nil)) async throws -> SSHSession {
    try await SSHSession.connect(endpoint ?? server.endpoint(), options: options, logger: logger)
}

private func expectSSHError(_ body: () async throws -> Void) async -> SSHError? {
    do {
        try await body()
        Issue.record("expected an SSHError, got success")
    } catch let error as SSHError {
        return error
    } catch {
        Issue.record("expected an SSHError, got \(error)")
    }
    return nil
}

@Suite("Transport", .tags(.transport, .sshd), .sshServer)
struct TransportTests {
    @Test func execExitCodesAndStreams() async throws {
        let session = try await connect()
        defer { Task { await session.close() } }
        let ok = try await session.exec("true", timeout: .seconds(10))
        #expect(ok.exitStatus == 0)
        let three = try await session.exec("echo out; echo err >&2; exit 3", timeout: .seconds(10))
        #expect(three.exitStatus == 3)
        #expect(three.stdoutText == "out\n")
        #expect(three.stderrText == "err\n")
        #expect(session.hostName == "testhost")
    }

    @Test func largeOutputIntact() async throws {
        let session = try await connect()
        defer { Task { await session.close() } }
        let output = try await session.exec(
            "f=$(mktemp); head -c 10000000 /dev/urandom > $f; sha256sum < $f >&2; cat $f; rm -f $f",
            timeout: .seconds(30))
        #expect(output.exitStatus == 0)
        #expect(output.stdout.count == 10_000_000)
        let local = try await TestSSHServer.sha256(output.stdout)
        #expect(output.stderrText.hasPrefix(local))
    }

    @Test func largeUploadIntact() async throws {
        let session = try await connect()
        defer { Task { await session.close() } }
        let handle = try #require(FileHandle(forReadingAtPath: "/dev/urandom"))
        let data = try #require(try handle.read(upToCount: 50_000_000))
        let local = try await TestSSHServer.sha256(data)
        let output = try await session.exec("sha256sum", stdin: .data(data), timeout: .seconds(60))
        #expect(output.exitStatus == 0)
        #expect(String(output.stdoutText.prefix(64)) == local)
    }

    @Test func uploadFromFileWhileCommandEchoes() async throws {
        // `cat` prints while it reads: reading and writing must interleave or this deadlocks.
        let session = try await connect()
        defer { Task { await session.close() } }
        let handle = try #require(FileHandle(forReadingAtPath: "/dev/urandom"))
        let data = try #require(try handle.read(upToCount: 8_000_000))
        let file = try server.path("input.bin")
        try data.write(to: URL(fileURLWithPath: file))
        let output = try await session.exec("cat; echo done >&2", stdin: .file(URL(fileURLWithPath: file)), timeout: .seconds(30))
        #expect(output.exitStatus == 0)
        #expect(output.stdout == data)
        #expect(output.stderrText == "done\n")
    }

    @Test func streamingDeliversChunks() async throws {
        let session = try await connect()
        defer { Task { await session.close() } }
        let received = Collected()
        let status = try await session.execStreaming("seq 1 100000; echo bye >&2", timeout: .seconds(20)) { stream, data in
            received.add(stream, data)
        }
        #expect(status == 0)
        let (out, err) = received.snapshot
        #expect(String(decoding: out, as: UTF8.self).split(separator: "\n").count == 100_000)
        #expect(String(decoding: err, as: UTF8.self) == "bye\n")
    }

    @Test func timeoutThenSessionStillUsable() async throws {
        let session = try await connect()
        defer { Task { await session.close() } }
        let started = ContinuousClock.now
        let error = await expectSSHError { _ = try await session.exec("sleep 30", timeout: .seconds(1)) }
        let elapsed = ContinuousClock.now - started
        #expect(elapsed < .seconds(5))
        if case .timeout = error?.kind {} else { Issue.record("expected a timeout, got \(String(describing: error))") }
        #expect(error?.description.contains("sleep 30") == true)
        #expect(error?.description.contains("testhost") == true)
        let ok = try await session.exec("echo ok", timeout: .seconds(10))
        #expect(ok.trimmedStdout == "ok")
    }

    @Test func parallelExecsOnOneSession() async throws {
        let session = try await connect()
        defer { Task { await session.close() } }
        let results = try await withThrowingTaskGroup(of: (Int, CommandOutput).self) { group in
            for index in 0..<12 {
                group.addTask { (index, try await session.exec("sleep 0.2; echo \(index)", timeout: .seconds(20))) }
            }
            return try await group.reduce(into: [Int: CommandOutput]()) { $0[$1.0] = $1.1 }
        }
        #expect(results.count == 12)
        for (index, output) in results {
            #expect(output.trimmedStdout == "\(index)")
        }
    }

    @Test func hostKeyMismatchRefused() async throws {
        let server = try server
        let otherKey = server.path("other_host_key")
        try await TestSSHServer.keygen(otherKey)
        let otherPublic = try String(contentsOfFile: otherKey + ".pub", encoding: .utf8).split(separator: " ").prefix(2).joined(separator: " ")
        let otherFingerprint = try await TestSSHServer.fingerprint(of: otherKey + ".pub")
        let tampered = server.path("known_hosts")
        try "[127.0.0.1]:\(server.port) \(otherPublic)\n".write(toFile: tampered, atomically: true, encoding: .utf8)
        let error = await expectSSHError { _ = try await connect(server.endpoint(knownHosts: tampered)) }
        let text = error?.description ?? ""
        #expect(text.contains("host key mismatch"))
        #expect(text.contains(server.hostFingerprint))
        #expect(text.contains(otherFingerprint))
        #expect(text.contains(tampered))
        #expect(text.contains("ssh-keygen -R"))
        #expect(error?.kind == .hostKeyMismatch(serverFingerprint: server.hostFingerprint, recordedFingerprint: otherFingerprint))
    }

    @Test func unknownHostRefusedThenRecorded() async throws {
        let server = try server
        let fresh = server.path("known_hosts")
        let endpoint = server.endpoint(knownHosts: fresh)
        let error = await expectSSHError { _ = try await connect(endpoint) }
        #expect(error?.kind == .unknownHostKey(serverFingerprint: server.hostFingerprint))
        #expect(error?.description.contains("--accept-new-host-keys") == true)

        let session = try await connect(endpoint, options: SSHOptions(acceptNewHostKeys: true, passphrase: nil))
        await session.close()
        let recorded = try String(contentsOfFile: fresh, encoding: .utf8)
        #expect(recorded.contains(server.hostPublicKey.split(separator: " ")[1]))
        // Now known: connects without the flag.
        let again = try await connect(endpoint)
        #expect(try await again.exec("echo hi", timeout: .seconds(10)).trimmedStdout == "hi")
        await again.close()
    }

    @Test func wrongKeyRefused() async throws {
        let server = try server
        let stranger = server.path("stranger_key")
        try await TestSSHServer.keygen(stranger)
        let error = await expectSSHError { _ = try await connect(server.endpoint(identityFiles: [stranger])) }
        #expect(error?.description.contains(stranger) == true)
        #expect(error?.description.contains("authentication as \(NSUserName()) failed") == true)
        if case .authenticationFailed = error?.kind {} else { Issue.record("expected auth failure, got \(String(describing: error))") }
    }

    @Test func groupReadableKeyRefused() async throws {
        let server = try server
        let exposed = server.path("exposed_key")
        try FileManager.default.copyItem(atPath: server.clientKey, toPath: exposed)
        chmod(exposed, 0o644)
        let error = await expectSSHError { _ = try await connect(server.endpoint(identityFiles: [exposed])) }
        #expect(error?.kind == .unsafeKeyFile(path: exposed, mode: 0o644))
        #expect(error?.description.contains("chmod 600 \(exposed)") == true)
        #expect(error?.isInputError == true)
    }

    @Test func unixSocketChannels() async throws {
        let server = try server
        let socketPath = server.path("echo.sock")
        let python = try #require(
            ["/usr/bin/python3", "/root/.pyenv/shims/python3", "/usr/local/bin/python3"].first {
                FileManager.default.isExecutableFile(atPath: $0)
            })
        let echo = try TestSSHServer.spawn([python, "-c", """
            import socket, sys, threading
            s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(8)
            def serve(c):
                while True:
                    d = c.recv(65536)
                    if not d: break
                    c.sendall(d)
                c.close()
            while True:
                c, _ = s.accept(); threading.Thread(target=serve, args=(c,), daemon=True).start()
            """, socketPath])
        defer { TestSSHServer.terminate(echo) }
        for _ in 0..<100 where !FileManager.default.fileExists(atPath: socketPath) {
            try await Task.sleep(for: .milliseconds(30))
        }
        let session = try await connect()
        defer { Task { await session.close() } }
        let first = try await session.openUnixSocketChannel(path: socketPath, timeout: .seconds(5))
        let second = try await session.openUnixSocketChannel(path: socketPath, timeout: .seconds(5))
        try await first.write(Data("hello".utf8))
        try await second.write(Data("world".utf8))
        #expect(try await readAll(first, count: 5) == Data("hello".utf8))
        #expect(try await readAll(second, count: 5) == Data("world".utf8))
        // A larger payload round-trips while exec runs alongside.
        let payload = Data((0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 7) })
        async let wrote: Void = first.write(payload)
        async let execOK = session.exec("echo side", timeout: .seconds(10))
        let echoed = try await readAll(first, count: payload.count)
        try await wrote
        #expect(echoed == payload)
        #expect(try await execOK.trimmedStdout == "side")
        try await first.sendEOF()
        #expect(try await first.read(maxBytes: 100, timeout: .seconds(5)) == nil)
        await first.close()
        await second.close()
        await #expect(throws: SSHError.self) { _ = try await first.read(maxBytes: 10, timeout: .seconds(1)) }
        let missing = await expectSSHError { _ = try await session.openUnixSocketChannel(path: "/nonexistent.sock", timeout: .seconds(5)) }
        #expect(missing != nil)
        #expect(try await session.exec("echo still", timeout: .seconds(10)).trimmedStdout == "still")
    }

    @Test func poolConnectsInParallelOneSessionPerHost() async throws {
        let server = try server
        let before = SSHSession.sessionsOpened
        let pool = SSHConnectionPool(
            hosts: [server.host(name: "a"), server.host(name: "b")], options: SSHOptions(passphrase: nil), logger: logger)
        try await pool.connectAll()
        #expect(SSHSession.sessionsOpened >= before + 2)
        let a1 = try await pool.session(for: "a")
        let a2 = try await pool.session(for: "a")
        let b = try await pool.session(for: "b")
        #expect(a1 === a2)
        #expect(a1 !== b)
        #expect(b.hostName == "b")
        #expect(try await a1.exec("echo a", timeout: .seconds(10)).trimmedStdout == "a")
        await pool.closeAll()

        let broken = SSHConnectionPool(
            hosts: [server.host(name: "good"), server.host(name: "bad1", port: 1), server.host(name: "bad2", port: 2)],
            options: SSHOptions(connectTimeout: .seconds(3), passphrase: nil), logger: logger)
        do {
            try await broken.connectAll()
            Issue.record("expected failure")
        } catch let error as SSHConnectionPoolError {
            #expect(error.failures.map(\.host) == ["bad1", "bad2"])
            #expect(error.description.contains("bad1 (127.0.0.1:1)"))
            #expect(error.description.contains("bad2 (127.0.0.1:2)"))
        }
        await broken.closeAll()
    }

    @Test func closedSessionFailsFast() async throws {
        let session = try await connect()
        await session.close()
        let error = await expectSSHError { _ = try await session.exec("true", timeout: .seconds(5)) }
        #expect(error?.kind == .sessionClosed)
    }
}

private func readAll(_ channel: SSHChannel, count: Int) async throws -> Data {
    var data = Data()
    while data.count < count {
        guard let chunk = try await channel.read(maxBytes: 65536, timeout: .seconds(10)) else { break }
        data.append(chunk)
    }
    return data
}

private final class Collected: @unchecked Sendable {
    private let lock = NSLock()
    private var out = Data()
    private var err = Data()
    func add(_ stream: ExecStream, _ data: Data) {
        lock.lock()
        defer { lock.unlock() }
        if stream == .stdout { out.append(data) } else { err.append(data) }
    }
    var snapshot: (Data, Data) {
        lock.lock()
        defer { lock.unlock() }
        return (out, err)
    }
}
