import ArgumentParser
import Crossnet
import Foundation

extension LabEngine: ExpressibleByArgument {}

/// `crossnet lab engine-gate` (hidden): the Docker 29 test double that `lab up --engine docker29`
/// runs in front of each lab host's dockerd. See ``EngineGate``.
struct LabEngineGateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "engine-gate",
        abstract: "TEST DOUBLE: make a real dockerd look like Docker Engine 29 as far as API versions go.",
        discussion: """
            This is a test double, not Docker 29. It imitates only Docker 29's documented API versioning: \
            versioned paths below --min-api-version are refused with Docker 29's exact 400 ("client version \
            1.41 is too old. Minimum supported API version is 1.44, please upgrade your client to a newer \
            version"), /version answers ApiVersion --api-version and MinAPIVersion --min-api-version (the rest \
            comes from the real daemon), every answer (/_ping included) carries Api-Version --api-version, \
            unversioned paths always work, and accepted versioned paths are rewritten to \
            --upstream-api-version and forwarded to the real dockerd on --upstream. \
            `crossnet lab up --engine docker29` runs one per lab host.
            """,
        shouldDisplay: false)

    @Option(name: .long, help: "Unix socket to listen on (replaced if it exists).")
    var listen: String

    @Option(name: .long, help: "The real dockerd's unix socket.")
    var upstream: String

    @Option(name: .long, help: "Highest API version claimed (Docker 29: 1.52).")
    var apiVersion: String = "1.52"

    @Option(name: .long, help: "Lowest API version accepted (Docker 29: 1.44).")
    var minAPIVersion: String = "1.44"

    @Option(name: .long, help: "API version of the real dockerd; accepted paths are rewritten to it (Docker 20.10: 1.41).")
    var upstreamAPIVersion: String = "1.41"

    @Option(name: .long, help: "Write the gate's pid here once it listens.")
    var pidFile: String?

    func validate() throws {
        for (flag, value) in [("--api-version", apiVersion), ("--min-api-version", minAPIVersion), ("--upstream-api-version", upstreamAPIVersion)]
        where EngineAPIVersion(value) == nil {
            throw ValidationError("\(flag) '\(value)' is not an API version such as 1.44")
        }
    }

    func run() throws {
        let gate = EngineGate(
            .init(
                listen: listen, upstream: upstream, apiVersion: EngineAPIVersion(apiVersion)!,
                minAPIVersion: EngineAPIVersion(minAPIVersion)!, upstreamAPIVersion: EngineAPIVersion(upstreamAPIVersion)!))
        do {
            try gate.run(pidFile: pidFile)
        } catch {
            FileHandle.standardError.write(Data("crossnet lab engine-gate: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}
