import ArgumentParser
import Crossnet
import Foundation
import Logging

/// `crossnet`: tests container networking across real hosts.
@main
struct CrossnetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crossnet",
        abstract: "Test container networking across hosts, over every Docker network driver.",
        version: CrossnetVersion.current,
        subcommands: [
            LabCommand.self, CheckCommand.self, ImageCommand.self, CleanCommand.self, ScheduleCommand.self, RunCommand.self,
            CompareCommand.self, ClaimsCommand.self,
        ]
    )
}
