import ArgumentParser
import Crossnet
import Foundation
import Logging

/// `crossnet check`: can Crossnet work on these hosts?
struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check SSH, Docker, kernel features, swarm ports, clocks and the probe image on every host.",
        discussion: """
            Exit 0 when every check passes, 1 when any fails, 2 on bad input.

            EXAMPLES:
              crossnet check                                  # the virtual lab in .lab
              crossnet check --inventory lab.yaml             # your own hosts
              crossnet check --inventory lab.yaml --accept-new-host-keys -v
            """)

    @OptionGroup var options: InventoryOptions

    func run() async throws {
        CLILogging.bootstrap
        try await withExitCodes {
            let inventory = try options.loadInventory()
            let image = try? await ProbeImage.build(cacheDirectory: ProbeImageLoader.defaultCacheDirectory)
            let report = await Preflight(
                inventory: inventory, options: options.sshOptions, probeImageTag: image?.tag,
                logger: options.makeLogger("check")
            ).run()
            print(report.table)
            print(report.passed ? "\nall checks passed on \(inventory.hosts.count) hosts" : "\nsome checks failed")
            return report.passed ? 0 : 1
        }
    }
}
