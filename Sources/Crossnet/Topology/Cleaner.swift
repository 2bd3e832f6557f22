import Foundation
import Logging

/// `crossnet clean`: removes only resources labelled `crossnet.run` (of one run, or of any), and a
/// swarm only when Crossnet created it. What the user made is never touched.
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
    public func run() async throws -> [String] {
        var removed: [String] = []
        var managers: [String] = []
        for host in fleet.hostNames {
            let info = try await fleet.engine(host).info().swarm
            if info.localNodeState == "active" && info.controlAvailable { managers.append(host) }
        }
        if let manager = managers.first {
            let engine = fleet.engine(manager)
            for service in try await engine.services(label: filter) {
                try await engine.removeService(service.id)
                try await Teardown.waitForServiceContainersGone(service.id, context: nil, fleet: fleet)
                removed.append("\(manager): service \(service.spec.name)")
            }
        }
        for host in fleet.hostNames {
            let engine = fleet.engine(host)
            for container in try await engine.containers(label: filter) {
                try await engine.removeContainer(container.id)
                removed.append("\(host): container \(container.names.first ?? container.id)")
            }
        }
        for host in fleet.hostNames {
            let engine = fleet.engine(host)
            for network in try await engine.networks(label: filter) where network.scope != "swarm" || managers.contains(host) {
                try await Teardown.removeNetworkRetrying(network.id, engine: engine)
                removed.append("\(host): network \(network.name)")
            }
            for volume in try await engine.volumes(label: filter) {
                try await engine.removeVolume(volume.name)
                removed.append("\(host): volume \(volume.name)")
            }
        }
        if let manager = managers.first {
            let swarm = try await fleet.engine(manager).swarmInspect()
            let label = swarm.spec?.labels?[RunContext.runLabel]
            if let label, runID == nil || runID == label {
                for host in fleet.hostNames where host != manager {
                    let info = try await fleet.engine(host).info().swarm
                    if info.localNodeState != "inactive" { try await fleet.engine(host).swarmLeave() }
                }
                try await fleet.engine(manager).swarmLeave()
                removed.append("\(manager): swarm created by run \(label) (all hosts left it)")
            }
        }
        return removed
    }
}
