import ArgumentParser
import Crossnet
import Foundation
import Logging

extension ProbeArchitecture: ExpressibleByArgument {}

/// `crossnet image …`: the probe image.
struct ImageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "image", abstract: "Build the probe image locally and load it onto hosts over SSH.",
        discussion: """
            EXAMPLES:
              crossnet image build                            # prints the image tag
              crossnet image load --inventory lab.yaml
            """,
        subcommands: [ImageLoadCommand.self, ImageBuildCommand.self])
}

struct ImageBuildCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build", abstract: "Build the probe image archive on this machine and print its tag.",
        discussion: """
            EXAMPLES:
              crossnet image build
            """)

    @Option(name: .customLong("arch"), help: "Architecture to build for: amd64 or arm64 (repeatable; default: this machine's).")
    var architectures: [ProbeArchitecture] = []

    func run() async throws {
        try await withExitCodes {
            let image = try await ProbeImage.build(
                cacheDirectory: ProbeImageLoader.defaultCacheDirectory,
                architectures: architectures.isEmpty ? [.native] : architectures)
            print(image.tag)
            for variant in image.variants {
                print("  \(variant.architecture.rawValue)  \(variant.architectureTag)  \(variant.imageID)  \(variant.archive.path)")
                print("    tools: " + variant.toolVersions.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
            }
            return 0
        }
    }
}

struct ImageLoadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load", abstract: "Load the probe image onto every host where its ID is missing (no registry needed).",
        discussion: """
            EXAMPLES:
              crossnet image load                             # the virtual lab in .lab
              crossnet image load --inventory lab.yaml -v
            """)

    @OptionGroup var options: InventoryOptions

    func run() async throws {
        CLILogging.bootstrap
        try await withExitCodes {
            let inventory = try options.loadInventory()
            let (image, outcomes) = try await ProbeImageLoader.buildAndLoad(
                inventory: inventory, options: options.sshOptions, logger: options.makeLogger("image"))
            for host in inventory.hosts.map(\.name) { print("\(host)  \(image.tag)  \(outcomes[host]?.rawValue ?? "?")") }
            return 0
        }
    }
}
