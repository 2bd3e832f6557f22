import Foundation
import Logging

/// Loads the probe image onto hosts over their SSH sessions, only where its ID is missing.
public enum ProbeImageLoader {
    /// What happened on one host.
    public enum Outcome: String, Sendable {
        case alreadyPresent = "already present"
        case loaded
    }

    /// Where the image archive is built and cached: `$XDG_CACHE_HOME/crossnet` or `~/.cache/crossnet`.
    public static var defaultCacheDirectory: String {
        let env = ProcessInfo.processInfo.environment
        let base = env["XDG_CACHE_HOME"] ?? (NSHomeDirectory() + "/.cache")
        let dir = base + "/crossnet"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// Builds the probe image, connects to every host of `inventory`, loads the image where it is
    /// missing and closes the connections again.
    public static func buildAndLoad(
        inventory: Inventory, options: SSHOptions, logger: Logger
    ) async throws -> (image: ProbeImage, outcomes: [String: Outcome]) {
        let fleet = try await HostFleet.connect(inventory, options: options, logger: logger)
        do {
            let result = try await buildAndEnsure(on: fleet)
            await fleet.close()
            return result
        } catch {
            await fleet.close()
            throw error
        }
    }

    /// Finds each host's architecture, builds the probe image for those architectures and loads
    /// each host's variant where it is missing.
    public static func buildAndEnsure(
        on fleet: HostFleet, cacheDirectory: String = defaultCacheDirectory
    ) async throws -> (image: ProbeImage, outcomes: [String: Outcome]) {
        let architectures = try await self.architectures(of: fleet)
        let image = try await ProbeImage.build(cacheDirectory: cacheDirectory, architectures: Array(Set(architectures.values)))
        return (image, try await ensure(image, on: fleet, architectures: architectures))
    }

    /// Each host's probe-image architecture, from the Engine's `/info` (`Architecture`, as
    /// `uname -m` prints it).
    ///
    /// - Throws: ``OperationError`` naming a host whose architecture has no probe image.
    public static func architectures(of fleet: HostFleet) async throws -> [String: ProbeArchitecture] {
        var result: [String: ProbeArchitecture] = [:]
        for host in fleet.hostNames {
            let machine = try await fleet.engine(host).info().architecture ?? "unknown"
            guard let architecture = ProbeArchitecture(machine: machine) else { throw unsupported(host: host, machine: machine) }
            result[host] = architecture
        }
        return result
    }

    static func unsupported(host: String, machine: String) -> OperationError {
        OperationError(
            host: host, operation: "choose the probe image",
            reason: "the host's architecture is \(machine); Crossnet's probe image exists for \(ProbeArchitecture.supportedList) only",
            hint: "leave this host out of the inventory")
    }

    /// Ensures every host of `fleet` has `image` (checked by image ID), loading it in parallel.
    /// Each host gets the variant of its architecture (read from the Engine unless given).
    public static func ensure(
        _ image: ProbeImage, on fleet: HostFleet, architectures known: [String: ProbeArchitecture]? = nil
    ) async throws -> [String: Outcome] {
        var architectures = known ?? [:]
        if known == nil { architectures = try await self.architectures(of: fleet) }
        return try await withThrowingTaskGroup(of: (String, Outcome).self) { group in
            for host in fleet.hostNames {
                let architecture = architectures[host] ?? .native
                guard let variant = image.variant(for: architecture) else {
                    throw OperationError(
                        host: host, operation: "docker load \(image.tag)",
                        reason: "the host is \(architecture.rawValue) but the probe image was built for \(image.variants.map(\.architecture.rawValue).joined(separator: ", ")) only",
                        hint: "build it for every host's architecture (`ProbeImageLoader.buildAndEnsure`, `crossnet image load`)")
                }
                group.addTask {
                    let engine = fleet.engine(host)
                    if let present = try await engine.inspectImage(image.tag), present.id == variant.imageID {
                        return (host, .alreadyPresent)
                    }
                    try await engine.loadImage(archive: variant.archive)
                    guard let loaded = try await engine.inspectImage(image.tag), loaded.id == variant.imageID else {
                        throw OperationError(
                            host: host, operation: "docker load \(image.tag)",
                            reason: "the Engine accepted the archive but has no image \(variant.imageID.prefix(19))",
                            hint: "see the host's dockerd log")
                    }
                    return (host, .loaded)
                }
            }
            var outcomes: [String: Outcome] = [:]
            for try await (host, outcome) in group { outcomes[host] = outcome }
            return outcomes
        }
    }
}
