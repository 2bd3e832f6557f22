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
        let index = halved.measurements.firstIndex { $0.metric == "throughput" && $0.driver == "overlay" }!
        halved.measurements[index] = halved.measurements[index].scaled(by: 0.5)
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
}
