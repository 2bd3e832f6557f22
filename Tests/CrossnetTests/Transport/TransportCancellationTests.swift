import Foundation
import Logging
import Testing

@testable import Crossnet

/// Cancellation and write deadlines against the local test sshd (no lab needed).
@Suite("Transport cancellation and write deadlines", .tags(.transport, .sshd), .sshServer)
struct TransportCancellationTests {
    private func connect() async throws -> SSHSession {
        let server = try #require(TestSSHServer.current, "test sshd not running")
        return try await SSHSession.connect(
            server.endpoint(), options: SSHOptions(passphrase: nil), logger: Logger(label: "crossnet.test.cancel"))
    }

    @Test("cancelling an exec returns at once and the session stays usable")
    func cancelledExec() async throws {
        let session = try await connect()
        let marker = "crossnet-cancel-\(UUID().uuidString.prefix(8))"
        let task = Task { try await session.exec("sleep 30; echo \(marker)", timeout: .seconds(60)) }
        try await Task.sleep(for: .milliseconds(500))
        let start = ContinuousClock.now
        task.cancel()
        let result = await task.result
        let elapsed = ContinuousClock.now - start
        // The command would run 30 s more: returning within a few seconds (not 200 ms: a loaded
        // 2-core machine delays any wake-up) shows the cancel reached the blocked read.
        #expect(elapsed < .seconds(3), "returned \(elapsed) after cancel")
        if case .failure(let error) = result { #expect(error is CancellationError, "\(error)") } else { Issue.record("succeeded") }
        let ok = try await session.exec("echo ok", timeout: .seconds(10))
        #expect(ok.trimmedStdout == "ok")
        #expect(session.reconnects == 0)
        await session.close()
    }

    @Test("a write to a peer that does not read returns by its deadline and closes the channel")
    func writeDeadline() async throws {
        let session = try await connect()
        // A socket whose reader never reads: `sleep` holds the listening end open.
        let path = "/tmp/crossnet-stall-\(UUID().uuidString.prefix(8)).sock"
        let listener = Task {
            try await session.exec(
                "exec python3 -c 'import socket,time; s=socket.socket(socket.AF_UNIX); s.bind(\"\(path)\"); s.listen(1); c,_=s.accept(); time.sleep(30)'",
                timeout: .seconds(40))
        }
        defer { listener.cancel() }
        var channel: SSHChannel?
        let opened = ContinuousClock.now
        while channel == nil, ContinuousClock.now - opened < .seconds(5) {
            channel = try? await session.openUnixSocketChannel(path: path, timeout: .seconds(2))
            if channel == nil { try await Task.sleep(for: .milliseconds(100)) }
        }
        let stalled = try #require(channel, "no listener on \(path)")
        let start = ContinuousClock.now
        var caught: SSHError?
        do {
            try await stalled.write(Data(count: 64 << 20), timeout: .seconds(2))
        } catch let error as SSHError {
            caught = error
        }
        let elapsed = ContinuousClock.now - start
        #expect(elapsed >= .seconds(2) && elapsed < .seconds(3), "returned after \(elapsed)")
        if case .timeout = caught?.kind {} else { Issue.record("expected a timeout, got \(String(describing: caught))") }
        #expect(caught?.host == "testhost")
        // sshd answered the liveness check: the same connection goes on.
        let ok = try await session.exec("echo ok", timeout: .seconds(10))
        #expect(ok.trimmedStdout == "ok")
        #expect(session.reconnects == 0)
        listener.cancel()
        _ = await listener.result
        try? FileManager.default.removeItem(atPath: path)
        await session.close()
    }
}
