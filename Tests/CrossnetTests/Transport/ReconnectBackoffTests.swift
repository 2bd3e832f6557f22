import Foundation
import Logging
import Testing

@testable import Crossnet

private let endpoint = SSHEndpoint(hostName: "h2", address: "198.18.150.12", user: "root", knownHostsFile: "/dev/null")

private func lostCore() -> SSHSessionCore {
    let core = SSHSessionCore(endpoint: endpoint, options: SSHOptions(passphrase: nil), logger: Logger(label: "backoff-test"))
    core.markLost(reason: "test")
    return core
}

@Suite("Reconnect backoff")
struct ReconnectBackoffTests {
    @Test("a lost connection starts one shared attempt; failures back off 1, 2, 4 … 30 s, during which calls fail at once")
    func backoffDoublesUpToTheCap() async throws {
        let slot = SessionSlot(core: lostCore())
        let refused = SSHError(endpoint, .libssh(function: "ssh_connect", code: -1), "cannot connect after 0.00 s: Connection refused")
        var now = ContinuousClock.now
        var expected: [Int] = []
        for attempt in 1...8 {
            var made = 0
            guard case .wait = slot.next(now: now, makeAttempt: { made += 1; return Task { throw refused } }) else {
                Issue.record("attempt \(attempt): expected a reconnect attempt")
                return
            }
            // A second caller joins the attempt in flight instead of starting another.
            guard case .wait = slot.next(now: now, makeAttempt: { made += 1; return Task { throw refused } }) else {
                Issue.record("second caller did not wait for the attempt in flight")
                return
            }
            #expect(made == 1)
            let backoff = slot.failedReconnect(refused, now: now, cap: SSHSession.maxReconnectBackoff)
            expected.append(Int(backoff.seconds))
            guard case .backingOff(let attempts, let retryIn, let last) = slot.next(now: now + .milliseconds(10), makeAttempt: { Task { throw refused } })
            else {
                Issue.record("expected a fast failure while backing off")
                return
            }
            #expect(attempts == attempt)
            #expect(retryIn == backoff - .milliseconds(10))
            #expect(last.contains("Connection refused"))
            now = now + backoff
        }
        #expect(expected == [1, 2, 4, 8, 16, 30, 30, 30])
    }

    @Test("a successful reconnect replaces the connection and clears the backoff")
    func reconnectClearsBackoff() async throws {
        let slot = SessionSlot(core: lostCore())
        let refused = SSHError(endpoint, .connectionLost, "lost")
        _ = slot.next(now: .now, makeAttempt: { Task { throw refused } })
        _ = slot.failedReconnect(refused, now: .now, cap: .seconds(30))
        let fresh = SSHSessionCore(endpoint: endpoint, options: SSHOptions(passphrase: nil), logger: Logger(label: "backoff-test"))
        slot.reconnected(fresh)
        guard case .use(let core) = slot.next(now: .now, makeAttempt: { Task { throw refused } }) else {
            Issue.record("expected the new connection")
            return
        }
        #expect(core === fresh)
        #expect(slot.reconnects == 1)
        _ = slot.close()
        guard case .closed = slot.next(now: .now, makeAttempt: { Task { throw refused } }) else {
            Issue.record("a closed session must not reconnect")
            return
        }
    }

    @Test("teardown reports a host that did not answer as unreachable, an Engine refusal as a problem")
    func teardownClassifiesFailures() {
        var report = TeardownReport()
        report.record(SSHError(endpoint, .hostUnreachable(attempts: 2), "h2 is unreachable"), host: "h2", operation: "remove network n1")
        report.record(DeadlineExceeded(host: "h3", operation: "docker network rm n2", seconds: 60), host: "h3", operation: "remove network n2")
        report.record(
            DockerAPIError(host: "h1", operation: "docker network rm n3", status: 403, body: Data(#"{"message":"has active endpoints"}"#.utf8)),
            host: "h1", operation: "remove network n3")
        report.skipped(host: "h2", operation: "remove container c1")
        #expect(report.unreachableHosts == ["h2", "h3"])
        #expect(report.problems == ["h1: remove network n3: h1: `docker network rm n3` failed: Docker Engine answered 403: has active endpoints"])
        #expect(report.unreachable.last?.description == "h2: could not remove container c1: skipped: the host did not answer earlier")
        #expect(!report.isComplete)
    }
}
