import ArgumentParser
import Crossnet
import Foundation
import Logging

/// Options every command that talks to hosts shares.
struct InventoryOptions: ParsableArguments {
    @Option(name: .long, help: "Inventory YAML file (default: the virtual lab's .lab/inventory.yaml).")
    var inventory: String?

    @Option(name: .long, help: ArgumentHelp(
        "OpenSSH client config for the inventory's ssh_alias hosts (default: ~/.ssh/config; a missing default file is fine).",
        discussion: "Read with libssh's parser: Host, Match, Include, HostName, User, Port, IdentityFile, UserKnownHostsFile, ProxyJump (jump hosts are passed natively, each host key verified; no ssh client runs).",
        valueName: "FILE"))
    var sshConfig: String?

    @Flag(name: .long, help: "Record unknown host keys in known_hosts instead of refusing them (like StrictHostKeyChecking=accept-new).")
    var acceptNewHostKeys = false

    @Flag(name: [.short, .long], help: "Log every remote step.")
    var verbose = false

    /// The inventory path to use: the flag, else the default lab's.
    var inventoryPath: String { inventory ?? ".lab/inventory.yaml" }

    func loadInventory() throws -> Inventory {
        if inventory == nil && !FileManager.default.fileExists(atPath: inventoryPath) {
            throw InputError(
                "no inventory given and no virtual lab at .lab — pass --inventory FILE or run `crossnet lab up` first")
        }
        if let sshConfig {
            // Suites that `crossnet run` starts load the inventory themselves: hand them the file.
            let absolute = sshConfig.hasPrefix("/") ? sshConfig : FileManager.default.currentDirectoryPath + "/" + sshConfig
            setenv(InventoryLoader.sshConfigEnvironmentVariable, absolute, 1)
        }
        return try InventoryLoader.load(path: inventoryPath, sshConfigPath: sshConfig)
    }

    var sshOptions: SSHOptions {
        var options = SSHOptions()
        options.acceptNewHostKeys = acceptNewHostKeys
        return options
    }

    func makeLogger(_ label: String) -> Logger {
        var logger = Logger(label: "crossnet.\(label)")
        logger.logLevel = verbose ? .debug : .info
        return logger
    }
}

/// Runs a command body with the 0/1/2 exit-code contract: bad input → 2, any other error → 1.
func withExitCodes(_ body: () async throws -> Int32) async throws {
    do {
        let code = try await body()
        if code != 0 { throw ExitCode(code) }
    } catch let error as ExitCode {
        throw error
    } catch let error as any CrossnetError {
        FileHandle.standardError.write(Data("error: \(error.description)\n".utf8))
        throw ExitCode(error.isInputError ? 2 : 1)
    } catch let error as ValidationError {
        throw error
    } catch {
        FileHandle.standardError.write(Data("error: \(Redaction.text("\(error)"))\n".utf8))
        throw ExitCode(1)
    }
}

/// Logging to standard error, set up once for the CLI; secrets are masked in every record.
enum CLILogging {
    static let bootstrap: Void = {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .info
            return RedactingLogHandler(wrapping: handler)
        }
    }()
}
