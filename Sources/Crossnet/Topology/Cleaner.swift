import Foundation
import Logging

/// `crossnet clean`: removes only resources labelled `crossnet.run` (of one run, or of any), and a
/// swarm only when Crossnet created it. What the user made is never touched.
///
/// Best-effort per host: a host that does not answer is recorded and skipped, the others are
/// cleaned all the same.
///
/// Without a run id, a run whose lock (``RunLock``) is held by a live process, or by a process on
/// another machine that cannot be checked, is kept whole: only dead runs are cleaned.
public struct Cleaner: Sendable {
    public let fleet: HostFleet
    /// Only this run's resources, or every Crossnet run's when `nil`.
    public let runID: String?
    /// Live runs found by ``clean()`` (run id → holder), kept when cleaning without `--run`.
    private var live: [String: String] { liveBox.value }
    private let liveBox = LiveRunsBox()

    /// What a clean removed and what it could not.
    public struct Outcome: Sendable {
        /// What was removed, one line each (`h1: container cn-3fa2-ub-a`).
        public var removed: [String] = []
        /// What was not removed, and the hosts that did not answer (those the fleet could not
        /// connect at the start included).
        public var left: TeardownReport = TeardownReport()
        /// One line per live run left alone, naming its holder.
        public var kept: [String] = []
    }

    /// Clean did not finish on every host; lists what was left and why.
    public struct Incomplete: CrossnetError {
        public var outcome: Outcome
        public var description: String {
            "clean removed \(outcome.removed.count) resource(s) but could not finish:\n"
                + outcome.left.lines.map { "  - \($0)" }.joined(separator: "\n")
                + "\nrun `crossnet clean` again once the host(s) \(outcome.left.unreachableHosts.joined(separator: ", ")) answer"
        }
    }

    public init(fleet: HostFleet, runID: String?) {
        self.fleet = fleet
        self.runID = runID
    }

    var filter: String { runID.map { "\(RunContext.runLabel)=\($0)" } ?? RunContext.runLabel }

    /// What was removed, one line each.
    /// - Throws: ``Incomplete`` when something could not be removed or a host did not answer
    ///   (after trying everything else).
    public func run() async throws -> [String] {
        let outcome = await clean()
        guard outcome.left.isComplete else { throw Incomplete(outcome: outcome) }
        return outcome.removed
    }

    /// Removes what it can on every host that answers; never stops at a host that does not.
    public func clean() async -> Outcome {
        var outcome = Outcome()
        outcome.left.unreachable = fleet.downHosts
        if runID == nil {
            do {
                liveBox.value = try await liveRuns()
            } catch {
                // Without knowing which runs are alive, nothing may be removed.
                outcome.left.record(error, host: fleet.hostNames.first ?? "?", operation: "read the run locks")
                return outcome
            }
        }
        outcome.kept = live.keys.sorted().map { "\(live[$0]!) — `crossnet clean --run \($0)` removes it anyway" }
        let managers = await findManagers(&outcome)
        if let manager = managers.first { await removeServices(on: manager, &outcome) }
        for host in fleet.hostNames where !outcome.left.isDown(host) {
            await removeContainers(on: host, &outcome)
        }
        for host in fleet.hostNames where !outcome.left.isDown(host) {
            await removeNetworksAndVolumes(on: host, managers: managers, &outcome)
        }
        if let manager = managers.first { await leaveSwarmIfOurs(manager: manager, &outcome) }
        return outcome
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

    /// Whether `labels` belong to a live run (kept when cleaning without `--run`).
    private func isLive(_ labels: [String: String]?) -> Bool {
        labels?[RunContext.runLabel].map { live[$0] != nil } ?? false
    }

    private func findManagers(_ outcome: inout Outcome) async -> [String] {
        var managers: [String] = []
        for host in fleet.hostNames {
            do {
                let info = try await fleet.engine(host).info().swarm
                if info.localNodeState == "active" && info.controlAvailable { managers.append(host) }
            } catch {
                outcome.left.record(error, host: host, operation: "read swarm state")
            }
        }
        return managers
    }

    private func removeServices(on manager: String, _ outcome: inout Outcome) async {
        let engine = fleet.engine(manager)
        do {
            for service in try await engine.services(label: filter) where !isLive(service.spec.labels) {
                do {
                    try await engine.removeService(service.id)
                    await Teardown.waitForServiceContainersGone(service.id, fleet: fleet, report: &outcome.left)
                    outcome.removed.append("\(manager): service \(service.spec.name)")
                } catch {
                    outcome.left.record(error, host: manager, operation: "remove service \(service.spec.name)")
                }
            }
        } catch {
            outcome.left.record(error, host: manager, operation: "list services")
        }
    }

    private func removeContainers(on host: String, _ outcome: inout Outcome) async {
        let engine = fleet.engine(host)
        do {
            for container in try await engine.containers(label: filter) where !isLive(container.labels) {
                let name = container.names.first ?? container.id
                do {
                    try await engine.removeContainer(container.id)
                    outcome.removed.append("\(host): container \(name)")
                } catch {
                    outcome.left.record(error, host: host, operation: "remove container \(name)")
                    if outcome.left.isDown(host) { return }
                }
            }
        } catch {
            outcome.left.record(error, host: host, operation: "list containers")
        }
    }

    private func removeNetworksAndVolumes(on host: String, managers: [String], _ outcome: inout Outcome) async {
        let engine = fleet.engine(host)
        do {
            for network in try await engine.networks(label: filter)
            where (network.scope != "swarm" || managers.contains(host)) && !isLive(network.labels) {
                do {
                    try await Teardown.removeNetworkRetrying(network.id, engine: engine)
                    outcome.removed.append("\(host): network \(network.name)")
                } catch {
                    outcome.left.record(error, host: host, operation: "remove network \(network.name)")
                    if outcome.left.isDown(host) { return }
                }
            }
            for volume in try await engine.volumes(label: filter) where !isLive(volume.labels) {
                do {
                    try await engine.removeVolume(volume.name)
                    outcome.removed.append("\(host): volume \(volume.name)")
                } catch {
                    outcome.left.record(error, host: host, operation: "remove volume \(volume.name)")
                    if outcome.left.isDown(host) { return }
                }
            }
        } catch {
            outcome.left.record(error, host: host, operation: "list networks and volumes")
        }
    }

    private func leaveSwarmIfOurs(manager: String, _ outcome: inout Outcome) async {
        guard !outcome.left.isDown(manager) else { return }
        do {
            let swarm = try await fleet.engine(manager).swarmInspect()
            let label = swarm.spec?.labels?[RunContext.runLabel]
            guard let label, runID == nil ? live[label] == nil : runID == label else { return }
            let before = outcome.left.unreachable.count + outcome.left.problems.count
            await SwarmCoordinator.leave(manager: manager, fleet: fleet, report: &outcome.left)
            let complete = outcome.left.unreachable.count + outcome.left.problems.count == before
            outcome.removed.append(
                "\(manager): swarm created by run \(label) (\(complete ? "all hosts left it" : "the hosts that answered left it"))")
        } catch {
            outcome.left.record(error, host: manager, operation: "inspect the swarm")
        }
    }
}

/// Holds the live runs one ``Cleaner/clean()`` found (set once at its start).
final class LiveRunsBox: @unchecked Sendable {
    private let lock = NSLock()
    private var runs: [String: String] = [:]
    var value: [String: String] {
        get { lock.withLock { runs } }
        set { lock.withLock { runs = newValue } }
    }
}
