import ArgumentParser
import Crossnet
import Foundation
import Logging

/// `crossnet clean`: remove what an interrupted run left behind.
struct CleanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clean",
        abstract: "Remove containers, services, networks, volumes labelled crossnet.run (and a swarm only if Crossnet created it).",
        discussion: """
            EXAMPLES:
              crossnet clean --inventory lab.yaml             # every Crossnet run's leftovers
              crossnet clean --inventory lab.yaml --run 20261126-020000-ab12
            """)

    @OptionGroup var options: InventoryOptions

    @Option(name: .long, help: "Only this run's resources (default: every Crossnet run's).")
    var run: String?

    func run() async throws {
        CLILogging.bootstrap
        try await withExitCodes {
            let inventory = try options.loadInventory()
            let fleet = try await HostFleet.connect(inventory, options: options.sshOptions, logger: options.makeLogger("clean"))
            do {
                let removed = try await Cleaner(fleet: fleet, runID: run).run()
                await fleet.close()
                if removed.isEmpty { print("nothing to clean: no resource labelled \(RunContext.runLabel)\(run.map { "=\($0)" } ?? "")") }
                for line in removed { print("removed \(line)") }
                return 0
            } catch {
                await fleet.close()
                throw error
            }
        }
    }
}
