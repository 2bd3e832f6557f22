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
            let fleet = try await HostFleet.connect(
                inventory, options: options.sshOptions, logger: options.makeLogger("clean"), tolerateDown: true)
            let outcome = await Cleaner(fleet: fleet, runID: run).clean()
            await fleet.close()
            for line in outcome.kept { print("kept \(line)") }
            if outcome.removed.isEmpty && outcome.left.isComplete {
                print("nothing to clean: no resource labelled \(RunContext.runLabel)\(run.map { "=\($0)" } ?? "")")
            }
            for line in outcome.removed { print("removed \(line)") }
            if outcome.left.isComplete { return 0 }
            for line in outcome.left.lines { print("not removed: \(line)") }
            print("run `crossnet clean\(run.map { " --run \($0)" } ?? "")` again once \(outcome.left.unreachableHosts.isEmpty ? "the problems above are fixed" : outcome.left.unreachableHosts.joined(separator: ", ") + (outcome.left.unreachableHosts.count == 1 ? " answers" : " answer"))")
            return 1
        }
    }
}
