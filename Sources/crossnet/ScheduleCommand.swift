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
              crossnet schedule                                  # the virtual lab's schedule
              crossnet schedule --inventory lab.yaml --pairs mesh --concurrency rounds
            """)

    @OptionGroup var options: InventoryOptions

    @Option(name: .long, help: "mesh or star (default: the inventory's measurement.pairs).")
    var pairs: String?

    @Option(name: .long, help: "rounds or serial (default: the inventory's measurement.concurrency).")
    var concurrency: String?

    func validate() throws {
        if let concurrency, MeasurementConcurrency(rawValue: concurrency) == nil {
            throw ValidationError("--concurrency must be rounds or serial, got '\(concurrency)'")
        }
    }

    func run() async throws {
        try await withExitCodes {
            let inventory = try options.loadInventory()
            var mode = inventory.measurement.pairs
            if let pairs {
                guard let parsed = PairMode(rawValue: pairs) else { throw InputError("--pairs must be mesh or star, got \"\(pairs)\"") }
                mode = parsed
            }
            let schedule = MeasurementSchedule(hosts: inventory.hosts.map(\.name), pairs: mode)
            let settings = inventory.measurement
            let concurrency = self.concurrency.flatMap(MeasurementConcurrency.init(rawValue:)) ?? settings.concurrency
            print(schedule.description)
            let perMeasurement = MeasurementSchedule.estimatedMeasurementTime(settings)
            let total = schedule.estimatedDuration(perMeasurement: perMeasurement, concurrency: concurrency)
            print("concurrency: \(concurrency.rawValue) — \(concurrency == .rounds ? "a round's pairs run at once" : "one pair at a time")")
            print(String(format: "estimated duration per driver: ≈ %.0f s (≈ %.0f s per ordered pair: TCP ×2, UDP, %d repeats of %d s, then latency and DNS)",
                         total.seconds, perMeasurement.seconds, settings.repeats, settings.durationSeconds))
            return 0
        }
    }
}
