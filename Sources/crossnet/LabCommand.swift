import ArgumentParser
import Crossnet
import Foundation
import Logging

/// `crossnet lab …`: the virtual lab on this machine.
struct LabCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lab",
        abstract: "Build, inspect and remove a virtual lab: N network namespaces with real sshd and dockerd.",
        discussion: """
            EXAMPLES:
              crossnet lab up --hosts 3 --subnet 198.18.0.0/24
              crossnet lab status
              crossnet lab exec h1 -- docker ps
              crossnet lab down
            """,
        subcommands: [
            LabUpCommand.self, LabDownCommand.self, LabStatusCommand.self, LabExecCommand.self, LabPruneCommand.self,
            LabEngineGateCommand.self,
        ]
    )
}

struct LabDirectoryOption: ParsableArguments {
    @Option(name: .long, help: "Folder holding the lab's state, keys and inventory.")
    var dir: String = ".lab"
}

struct LabUpCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "up", abstract: "Bring a virtual lab up and write DIR/inventory.yaml.",
        discussion: """
            EXAMPLES:
              crossnet lab up                                 # 3 hosts in .lab
              crossnet lab up --hosts 4 --subnet 198.18.7.0/24 --dir .lab-ci
            """)

    @Option(name: .long, help: "Number of lab hosts (h1…hN).")
    var hosts: Int = 3

    @Option(name: .long, help: "Lab subnet (IPv4 CIDR); the bridge takes its first address.")
    var subnet: String = "198.18.0.0/24"

    @Option(
        name: .long,
        help: """
            What each host's Engine looks like: dockerd (Debian's 20.10, API 1.41) or docker29 (the same \
            dockerd behind a test double that imitates Docker 29's documented API versioning: API 1.52, \
            refuses clients below 1.44).
            """)
    var engine: LabEngine = .dockerd

    @OptionGroup var directory: LabDirectoryOption

    @Option(name: .long, help: "Log in as this non-root user, in the docker group (created if missing, removed by `lab down` if the lab created it).")
    var sshUser: String?

    @Option(name: .long, help: "Port every host's sshd listens on.")
    var sshPort: Int?

    @Option(name: .long, help: "Name of each host's lab interface (default eth0).")
    var interface: String?

    @Flag(name: .long, help: "h1 is a bastion: the other hosts accept SSH only from h1; the inventory names hosts by the aliases of DIR/ssh_config (ProxyJump h1).")
    var bastion = false

    @Flag(name: .long, help: "sshd forbids stream-local forwarding (the bastion still forwards TCP): Crossnet must reach the Engines through `docker system dial-stdio`.")
    var forbidStreamLocalForwarding = false

    @Flag(name: .long, help: "Preset that looks like a real lab: --ssh-user crossnet --ssh-port 2222 --interface ens3 --bastion (each may still be overridden).")
    var lookReal = false

    /// The lab's look from the flags (`--look-real` first, then the individual options).
    var labOptions: LabOptions {
        var options = lookReal ? LabOptions.lookReal : LabOptions()
        if let sshUser { options.sshUser = sshUser }
        if let sshPort { options.sshPort = sshPort }
        if let interface { options.interfaceName = interface }
        if bastion { options.bastion = true }
        if forbidStreamLocalForwarding { options.forbidStreamLocalForwarding = true }
        return options
    }

    func run() async throws {
        CLILogging.bootstrap
        let logger = Logger(label: "crossnet.lab")
        try await withExitCodes {
            let lab = VirtualLab(directory: directory.dir)
            do {
                let description = try await lab.up(
                    hostCount: hosts, subnet: subnet, options: labOptions, engine: engine, logger: logger)
                print("lab \(description.id) up: \(description.hosts.count) hosts on \(description.subnet)"
                    + (engine == .docker29 ? ", each Engine behind a Docker 29 test double" : ""))
                for host in description.hosts { print("  \(host.name)  \(host.address)") }
                print("inventory: \(description.inventoryPath)")
                print("ssh config: \(description.sshConfigPath)")
                if description.options.bastion {
                    print("hosts are ssh_config aliases: pass --ssh-config \(description.sshConfigPath) to every command")
                }
                // The probe image goes onto the lab hosts the way it goes onto real ones: over SSH.
                let inventory = try InventoryLoader.load(
                    path: description.inventoryPath, sshConfigPath: description.sshConfigPath)
                let (image, _) = try await ProbeImageLoader.buildAndLoad(
                    inventory: inventory, options: SSHOptions(), logger: logger)
                print("probe image: \(image.tag) loaded on every host")
                return 0
            } catch let error as LabAlreadyUp {
                print(error.description)
                return 0
            }
        }
    }
}

struct LabDownCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "down", abstract: "Stop the lab's processes and remove everything it added.",
        discussion: """
            EXAMPLES:
              crossnet lab down
              crossnet lab down --dir .lab-ci
            """)

    @OptionGroup var directory: LabDirectoryOption

    func run() async throws {
        CLILogging.bootstrap
        let logger = Logger(label: "crossnet.lab")
        try await withExitCodes {
            try await VirtualLab(directory: directory.dir).down(logger: logger)
            print("lab in \(directory.dir) is down")
            return 0
        }
    }
}

struct LabStatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Show each lab host's namespace, sshd and dockerd.",
        discussion: """
            EXAMPLES:
              crossnet lab status
              crossnet lab status --dir .lab-ci
            """)

    @OptionGroup var directory: LabDirectoryOption

    func run() async throws {
        CLILogging.bootstrap
        try await withExitCodes {
            let status = try await VirtualLab(directory: directory.dir).status()
            print(status.description)
            return status.overall == .up ? 0 : 1
        }
    }
}

struct LabExecCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exec",
        abstract: "Run a command inside a lab host's namespaces (not over SSH), with DOCKER_HOST set to its dockerd.",
        discussion: """
            EXAMPLES:
              crossnet lab exec h1 -- docker ps
              crossnet lab exec h2 -- ip -br addr
            """)

    @OptionGroup var directory: LabDirectoryOption

    @Argument(help: "Lab host name (h1…hN).")
    var host: String

    @Argument(parsing: .postTerminator, help: "The command and its arguments, after --.")
    var command: [String] = []

    func validate() throws {
        if command.isEmpty { throw ValidationError("give the command after --, e.g. `crossnet lab exec h1 -- docker ps`") }
    }

    func run() async throws {
        CLILogging.bootstrap
        try await withExitCodes {
            try await VirtualLab(directory: directory.dir).exec(host: host, command: command)
        }
    }
}

struct LabPruneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune",
        abstract: "Remove every Crossnet lab on this machine whose daemons are gone (left by a killed run); live labs are kept.",
        discussion: """
            EXAMPLES:
              crossnet lab prune
            """)

    func run() async throws {
        CLILogging.bootstrap
        try await withExitCodes {
            let cleaned = try await VirtualLab.cleanStale(logger: Logger(label: "crossnet.lab"))
            print(cleaned.isEmpty ? "no stale lab" : cleaned.map { "removed stale lab \($0)" }.joined(separator: "\n"))
            return 0
        }
    }
}
