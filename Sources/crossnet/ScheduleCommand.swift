import ArgumentParser
import Crossnet
import Foundation

/// `crossnet schedule`: print the measurement schedule for an inventory.
struct ScheduleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schedule",
        abstract: "Print the measurement schedule: throughput rounds in which no host is in two pairs, then latency.",
        discussion: """
            See docs/measurements.md for how the schedule is built.

            EXAMPLES:
              crossnet schedule                               # the virtual lab's inventory
              crossnet schedule --inventory lab.yaml --pairs star
            """)

    @OptionGroup var options: InventoryOptions

    @Option(name: .long, help: "mesh or star (default: the inventory's measurement.pairs).")
    var pairs: String?

    func run() async throws {
        try await withExitCodes {
            let inventory = try options.loadInventory()
            var mode = inventory.measurement.pairs
            if let pairs {
                guard let parsed = PairMode(rawValue: pairs) else { throw InputError("--pairs must be mesh or star, got \"\(pairs)\"") }
                mode = parsed
            }
            print(MeasurementSchedule(hosts: inventory.hosts.map(\.name), pairs: mode).description)
            return 0
        }
    }
}
