import Foundation
import Testing

@testable import Crossnet

@Suite("exec batching: several probes in one exec, each with its own output and status")
struct ExecBatcherTests {
    /// The probe image's shell is busybox's; Debian's busybox-static is the same program.
    static var shell: String { FileManager.default.isExecutableFile(atPath: "/bin/busybox") ? "/bin/busybox" : "/bin/sh" }

    @Test("the batch script run by busybox sh gives back each command's stdout, stderr and exit status")
    func roundTrip() async throws {
        let commands = [
            ["sh", "-c", "echo out; echo err >&2; exit 3"],
            ["true"],
            ["printf", "no newline at the end"],
            ["sh", "-c", "echo '@@crossnet-probe-notours 0 1 out'; printf 'a\\nb\\n'"],
            ["no-such-tool-crossnet"],
            ["timeout", "1", "sleep", "5"],
        ]
        let marker = "@@crossnet-probe-test"
        let script = ExecBatcher.script(commands, marker: marker)
        #expect(!script.contains("\n"), "one line, so the transcript keeps one line per step")
        let arguments = Self.shell.hasSuffix("busybox") ? [Self.shell, "sh", "-c", script] : [Self.shell, "-c", script]
        let started = ContinuousClock.now
        let output = try await LocalCommand.run(arguments, timeout: .seconds(20))
        #expect(ContinuousClock.now - started < .seconds(4), "the commands run at once: the batch lasts as long as the slowest")
        #expect(output.exitStatus == 0)
        let results = ExecBatcher.parse(output.stdout, count: commands.count, marker: marker)
        #expect(results.count == commands.count)
        #expect(results[0] == .init(status: 3, stdout: Data("out\n".utf8), stderr: Data("err\n".utf8)))
        #expect(results[1] == .init(status: 0, stdout: Data(), stderr: Data()))
        #expect(results[2]?.stdout == Data("no newline at the end".utf8))
        #expect(results[3]?.stdout == Data("@@crossnet-probe-notours 0 1 out\na\nb\n".utf8))
        #expect(results[4]?.status == 127)
        #expect(results[5].map { $0.status == 143 || $0.status == 124 } == true, "timeout's own status: \(String(describing: results[5]))")
    }

    @Test("a cut-off or garbled batch output leaves the probes without a result, never a wrong one")
    func partialOutput() {
        let marker = "@@crossnet-probe-x"
        let full = "\(marker) 0 0 out\nhello\n\(marker) end\n\(marker) 0 err\n\n\(marker) end\n\(marker) 1 2 out\nbye\n\(marker) end\n\(marker) 1 err\n"
        let results = ExecBatcher.parse(Data(full.utf8), count: 2, marker: marker)
        #expect(results[0] == .init(status: 0, stdout: Data("hello".utf8), stderr: Data()))
        #expect(results[1] == nil, "its stderr block never ended")
        #expect(ExecBatcher.parse(Data("\(marker) 0 x out\n\n\(marker) end\n\(marker) 0 err\n\n\(marker) end\n".utf8), count: 1, marker: marker).isEmpty)
        #expect(ExecBatcher.parse(Data("\(marker) 7 0 out\n\n\(marker) end\n".utf8), count: 1, marker: marker).isEmpty)
    }
}
