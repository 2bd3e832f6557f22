import Foundation
import Logging

/// Everything one Crossnet run shares: its id, the hosts, the probe image and the ledger of what
/// it created. Every resource it creates carries the label `crossnet.run=<id>`.
public final class RunContext: Sendable {
    /// The label key on every resource Crossnet creates.
    public static let runLabel = "crossnet.run"

    public let runID: String
    public let fleet: HostFleet
    public let probeImage: String
    public let ledger = ResourceLedger()
    /// The run's swarm, found or created on first use by the overlay topology.
    public let swarm = SwarmCoordinator()
    /// Runs the claim probes that arrive together on one container in one exec.
    public let execBatcher: ExecBatcher

    public init(runID: String, fleet: HostFleet, probeImage: String) {
        self.runID = runID
        self.fleet = fleet
        self.probeImage = probeImage
        self.execBatcher = ExecBatcher(fleet: fleet)
    }

    /// A new run id: UTC time plus random suffix, e.g. `20261126T081500-3fa2`.
    public static func newRunID() -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyyMMdd'T'HHmmss"
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date()) + "-" + String(format: "%04x", UInt16.random(in: 0...UInt16.max))
    }

    /// Labels for a resource of this run.
    public func labels(_ extra: [String: String] = [:]) -> [String: String] {
        extra.merging([Self.runLabel: runID]) { _, run in run }
    }

    /// `label=value` filter selecting this run's resources.
    public var labelFilter: String { "\(Self.runLabel)=\(runID)" }

    /// A short name unique to this run, e.g. `cn-3fa2-ub`.
    public func name(_ suffix: String) -> String { Self.name(runID: runID, suffix) }

    /// ``name(_:)`` for `runID`.
    public static func name(runID: String, _ suffix: String) -> String {
        "cn-\(runID.suffix(4))-\(suffix)"
    }

    public var logger: Logger { fleet.logger }
}
