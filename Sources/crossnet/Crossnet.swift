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

    /// Parses and runs a command with the 0/1/2 exit-code contract in one place: every parse and
    /// validation error (an unknown flag, `--tolerance abc`, a failed `validate()`) exits 2, as
    /// bad input does, instead of swift-argument-parser's 64. `--help` and `--version` exit 0.
    static func main() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        let command: any ParsableCommand
        do {
            command = try parseAsRoot(arguments)
        } catch {
            exitForParseError(error)
        }
        do {
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                var command = command
                try command.run()
            }
        } catch {
            exitForParseError(error)
        }
        Foundation.exit(0)
    }

    /// Prints `error` as swift-argument-parser would and exits, with 2 for any usage problem.
    static func exitForParseError(_ error: any Error) -> Never {
        let code = exitCode(for: error)
        guard code == .validationFailure else { exit(withError: error) }
        let message = Redaction.text(fullMessage(for: error))
        FileHandle.standardError.write(Data((message.isEmpty ? "error: bad arguments" : message).utf8 + [UInt8(ascii: "\n")]))
        Foundation.exit(2)
    }
}
