import Foundation
import Logging

/// `crossnet clean`: removes only resources labelled `crossnet.run` (of one run, or of any), and a
/// swarm only when Crossnet created it. What the user made is never touched.
///
/// Without a run id, a run whose lock (``RunLock``) is held by a live process, or by a process on
/// another machine that cannot be checked, is kept whole: only dead runs are cleaned.
public struct Cleaner: Sendable {
    public let fleet: HostFleet
    /// Only this run's resources, or every Crossnet run's when `nil`.
    public let runID: String?

    public init(fleet: HostFleet, runID: String?) {
        self.fleet = fleet
        self.runID = runID
    }

    var filter: String { runID.map { "\(RunContext.runLabel)=\($0)" } ?? RunContext.runLabel }

    /// What was removed, one line each.
    public func run() async throws -> [String] { try await clean().removed }

    /// What `clean` did: removed resources, and runs kept because they are alive.
    public struct Outcome: Sendable {
        public var removed: [String] = []
        /// One line per live run left alone, naming its holder.
        public var kept: [String] = []
    }

    /// Runs that must not be cleaned without `--run`: their lock holder is alive or unknown.
    func liveRuns() async throws -> [String: String] {
        let here = ControllerIdentity.current()
        var live: [String: String] = [:]
        for (host, holder) in try await RunLock.holders(fleet: fleet) {
            switch holder.liveness(from: here) {
            case .alive: live[holder.runID] = "\(holder.summary): holds \(host)'s lock and is alive"
            case .unknown(let why): live[holder.runID] = "\(holder.summary): holds \(host)'s lock; \(why)"
            case .dead: continue
            }
        }
        return live
    }

    /// Removes what `runID` (or every dead run) left; see ``Outcome``.
    public func clean() async throws -> Outcome {
        let live = runID == nil ? try await liveRuns() : [:]
        func isLive(_ labels: [String: String]?) -> Bool { labels?[RunContext.runLabel].map { live[$0] != nil } ?? false }
        var outcome = Outcome()
        outcome.kept = live.keys.sorted().map { "\(live[$0]!) — `crossnet clean --run \($0)` removes it anyway" }
        var removed: [String] = []
        var managers: [String] = []
        for host in fleet.hostNames {
            let info = try await fleet.engine(host).info().swarm
            if info.localNodeState == "active" && info.controlAvailable { managers.append(host) }
        }
        if let manager = managers.first {
            let engine = fleet.engine(manager)
            for service in try await engine.services(label: filter) where !isLive(service.spec.labels) {
                try await engine.removeService(service.id)
                try await Teardown.waitForServiceContainersGone(service.id, context: nil, fleet: fleet)
                removed.append("\(manager): service \(service.spec.name)")
            }
        }
        for host in fleet.hostNames {
            let engine = fleet.engine(host)
            for container in try await engine.containers(label: filter) where !isLive(container.labels) {
                try await engine.removeContainer(container.id)
                removed.append("\(host): container \(container.names.first ?? container.id)")
            }
        }
        for host in fleet.hostNames {
            let engine = fleet.engine(host)
            for network in try await engine.networks(label: filter)
            where (network.scope != "swarm" || managers.contains(host)) && !isLive(network.labels) {
                try await Teardown.removeNetworkRetrying(network.id, engine: engine)
                removed.append("\(host): network \(network.name)")
            }
            for volume in try await engine.volumes(label: filter) where !isLive(volume.labels) {
                try await engine.removeVolume(volume.name)
                removed.append("\(host): volume \(volume.name)")
            }
        }
        if let manager = managers.first {
            let swarm = try await fleet.engine(manager).swarmInspect()
            let label = swarm.spec?.labels?[RunContext.runLabel]
            if let label, runID == nil ? live[label] == nil : runID == label {
                for host in fleet.hostNames where host != manager {
                    let info = try await fleet.engine(host).info().swarm
                    if info.localNodeState != "inactive" { try await fleet.engine(host).swarmLeave() }
                }
                try await fleet.engine(manager).swarmLeave()
                removed.append("\(manager): swarm created by run \(label) (all hosts left it)")
            }
        }
        outcome.removed = removed
        return outcome
    }
}
