import Foundation
import Testing

@testable import Crossnet

@Suite("Report: streaming runner for swift test")
struct ReportStreamingCommandTests {
    final class Lines: @unchecked Sendable {
        let lock = NSLock()
        var all: [String] = []
        func add(_ line: String) { lock.withLock { all.append(line) } }
    }

    @Test("lines arrive in order from stdout and stderr, in the given folder, with the exit status")
    func streams() async throws {
        let lines = Lines()
        let status = try await StreamingCommand.run(
            ["sh", "-c", "pwd; echo one; echo two >&2; printf 'no newline'; exit 3"], directory: "/tmp",
            environment: ["CROSSNET_X": "y"], onLine: { lines.add($0) })
        #expect(status == 3)
        #expect(lines.all == ["/tmp", "one", "two", "no newline"])
    }

    @Test("the child starts with no blocked signals (SIGALRM-based tools work)")
    func signalMask() async throws {
        let lines = Lines()
        let status = try await StreamingCommand.run(["sh", "-c", "grep SigBlk /proc/self/status"], onLine: { lines.add($0) })
        #expect(status == 0)
        #expect(lines.all.first?.hasSuffix("0000000000000000") == true, "\(lines.all)")
    }

    @Test("a missing program is an error naming it")
    func missing() async throws {
        await #expect(throws: OperationError.self) {
            _ = try await StreamingCommand.run(["no-such-program-crossnet"], onLine: { _ in })
        }
    }
}
