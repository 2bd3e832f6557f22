import Foundation
import Testing

@testable import Crossnet

/// `crossnet compare` exit codes, through the built executable (skipped when it is not built).
@Suite("Report: crossnet compare exit codes",
       .enabled(if: FileManager.default.isExecutableFile(atPath: ReportFixtures.packageRoot + "/.build/debug/crossnet")))
struct ReportCLITests {
    let crossnet = ReportFixtures.packageRoot + "/.build/debug/crossnet"

    func exitCode(_ base: String, _ new: String, _ extra: [String] = []) async throws -> (Int32, String) {
        let output = try await LocalCommand.run([crossnet, "compare", base, new] + extra, timeout: .seconds(30))
        return (output.exitStatus, output.stdoutText + output.stderrText)
    }

    @Test("0 identical, 1 regression, 2 bad input")
    func codes() async throws {
        let document = try ReportFixtures.document()
        let base = try ReportFixtures.write(document, label: "cli-base")
        var halved = document
        halved.measurements = halved.measurements.map { $0.metric == "throughput" && $0.driver == "overlay" ? $0.scaled(by: 0.5) : $0 }
        let worse = try ReportFixtures.write(halved, label: "cli-worse")
        var other = document
        other.schemaVersion = 7
        let v7 = try ReportFixtures.write(other, label: "cli-v7")

        #expect(try await exitCode(base, base).0 == 0)
        let (code, text) = try await exitCode(base, worse)
        #expect(code == 1)
        #expect(text.contains("REGRESSION"))
        #expect(try await exitCode(base, worse, ["--metric-tolerance", "throughput=60"]).0 == 0)
        let (badCode, badText) = try await exitCode(base, v7)
        #expect(badCode == 2)
        #expect(badText.contains(v7))
        #expect(try await exitCode(base, "/nonexistent.json").0 == 2)
    }

    @Test("compare lists tests of BASE missing from NEW", .timeLimit(.minutes(1)))
    func missing() async throws {
        let document = try ReportFixtures.document()
        let base = try ReportFixtures.write(document, label: "cli-full")
        var fewer = document
        fewer.tests.removeAll { $0.suite == "none network" }
        let new = try ReportFixtures.write(fewer, label: "cli-fewer")
        let (code, text) = try await exitCode(base, new)
        #expect(code == 0)
        #expect(text.contains("MISSING a container without a network cannot reach another host (h1)"))
        #expect(text.contains("3 test(s) of BASE missing from NEW"))
    }

    @Test("every subcommand's --help has an EXAMPLES: section", arguments: [
        ["check"], ["clean"], ["image"], ["image", "build"], ["image", "load"], ["lab"], ["lab", "up"], ["lab", "down"],
        ["lab", "status"], ["lab", "exec"], ["lab", "prune"], ["schedule"], ["run"], ["compare"],
    ])
    func examples(command: [String]) async throws {
        let output = try await LocalCommand.run([crossnet] + command + ["--help"], timeout: .seconds(30))
        #expect(output.exitStatus == 0)
        let help = output.stdoutText
        let examples = try #require(help.range(of: "EXAMPLES:\n"), "\(command): \(help)")
        #expect(help[examples.upperBound...].hasPrefix("  crossnet \(command.joined(separator: " "))"))
    }
}
