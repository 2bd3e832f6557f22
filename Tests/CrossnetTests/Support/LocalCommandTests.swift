import Foundation
import Testing

@testable import Crossnet

@Suite("Local commands")
struct LocalCommandTests {
    @Test("exit status is returned as data", arguments: [0, 1, 7, 42])
    func exitStatus(code: Int32) async throws {
        let output = try await LocalCommand.run(["sh", "-c", "echo out; echo err >&2; exit \(code)"])
        #expect(output.exitStatus == code)
        #expect(output.stdoutText == "out\n")
        #expect(output.stderrText == "err\n")
    }

    @Test("children start with no blocked signal (dockerd passes its mask on to every container)")
    func noBlockedSignals() async throws {
        let output = try await LocalCommand.run(["sh", "-c", "grep SigBlk /proc/self/status"])
        #expect(output.trimmedStdout.hasSuffix("0000000000000000"), "\(output.stdoutText)")
    }

    @Test("a killed program reports 128 + signal")
    func killedBySignal() async throws {
        let output = try await LocalCommand.run(["sh", "-c", "kill -9 $$"])
        #expect(output.exitStatus == 137)
    }

    @Test("the deadline kills a program that does not finish")
    func deadline() async throws {
        let clock = ContinuousClock.now
        await #expect(throws: OperationError.self) {
            _ = try await LocalCommand.run(["sleep", "30"], timeout: .seconds(1))
        }
        #expect(ContinuousClock.now - clock < .seconds(5))
    }

    @Test("a background child holding the output pipe does not keep the caller waiting")
    func backgroundChild() async throws {
        let clock = ContinuousClock.now
        let output = try await LocalCommand.run(["sh", "-c", "sleep 20 & echo $!"], timeout: .seconds(10))
        #expect(ContinuousClock.now - clock < .seconds(5))
        // Stop exactly the child this test started, by its pid (never by name).
        let pid = try #require(Int32(output.trimmedStdout))
        #expect(kill(pid, SIGTERM) == 0)
    }

    @Test("5 MB on stdin arrive intact while the program writes")
    func stdinRoundTrip() async throws {
        let data = Data((0..<5_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        let output = try await LocalCommand.run(["cat"], stdin: data, timeout: .seconds(30))
        #expect(output.stdout == data)
    }

    @Test("a program that does not exist is a clear error")
    func missingProgram() async throws {
        do {
            _ = try await LocalCommand.run(["crossnet-no-such-program"])
            Issue.record("expected an error")
        } catch let error as OperationError {
            #expect(error.description.contains("crossnet-no-such-program"))
            #expect(error.hint?.contains("installed") == true)
        }
    }
}
