import Foundation
import Logging
import Testing
@testable import Crossnet

/// A manual helper, not a test: `CROSSNET_LAB_TOOL=up|down|status|clean-stale CROSSNET_LAB_DIR=D
/// [CROSSNET_LAB_SUBNET=198.18.7.0/24 CROSSNET_LAB_HOSTS=2] swift test --filter labTool`.
/// Skipped unless `CROSSNET_LAB_TOOL` is set.
@Test(.tags(.lab), .enabled(if: ProcessInfo.processInfo.environment["CROSSNET_LAB_TOOL"] != nil))
func labTool() async throws {
    let env = ProcessInfo.processInfo.environment
    var logger = Logger(label: "lab")
    logger.logLevel = env["CROSSNET_LAB_DEBUG"] != nil ? .debug : .info
    let lab = VirtualLab(directory: env["CROSSNET_LAB_DIR"] ?? VirtualLab.defaultDirectory)
    let clock = ContinuousClock()
    let elapsed = try await clock.measure {
        switch env["CROSSNET_LAB_TOOL"] {
        case "up":
            let description = try await lab.up(
                hostCount: Int(env["CROSSNET_LAB_HOSTS"] ?? "") ?? 3,
                subnet: env["CROSSNET_LAB_SUBNET"] ?? "198.18.7.0/24", logger: logger)
            print(description)
        case "down": try await lab.down(logger: logger)
        case "run":
            let command = (env["CROSSNET_LAB_COMMAND"] ?? "true").split(separator: " ").map(String.init)
            let output = try await LocalCommand.run(
                try lab.execArguments(host: env["CROSSNET_LAB_HOST"] ?? "h1", command: command))
            print(output.exitStatus, output.stdoutText, output.stderrText)
        case "clean-stale": print(try await VirtualLab.cleanStale(logger: logger))
        default: break
        }
        print(try await lab.status())
    }
    print("took \(elapsed)")
}
