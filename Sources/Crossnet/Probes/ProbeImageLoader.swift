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
        let image = try await ProbeImage.build(cacheDirectory: defaultCacheDirectory)
        let fleet = try await HostFleet.connect(inventory, options: options, logger: logger)
        do {
            let outcomes = try await ensure(image, on: fleet)
            await fleet.close()
            return (image, outcomes)
        } catch {
            await fleet.close()
            throw error
        }
    }

    /// Ensures every host of `fleet` has `image` (checked by image ID), loading it in parallel.
    public static func ensure(_ image: ProbeImage, on fleet: HostFleet) async throws -> [String: Outcome] {
        try await withThrowingTaskGroup(of: (String, Outcome).self) { group in
            for host in fleet.hostNames {
                group.addTask {
                    let engine = fleet.engine(host)
                    if let present = try await engine.inspectImage(image.tag), present.id == image.imageID {
                        return (host, .alreadyPresent)
                    }
                    try await engine.loadImage(archive: image.archive)
                    guard let loaded = try await engine.inspectImage(image.tag), loaded.id == image.imageID else {
                        throw OperationError(
                            host: host, operation: "docker load \(image.tag)",
                            reason: "the Engine accepted the archive but has no image \(image.imageID.prefix(19))",
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
