import Foundation
import Logging

/// Who holds a host's run lock: the run and the controller process behind it.
public struct RunLockHolder: Sendable, Equatable {
    public var runID: String
    public var controller: ControllerIdentity
    /// When the run took the lock (ISO 8601, UTC).
    public var startedAt: String

    public init(runID: String, controller: ControllerIdentity, startedAt: String) {
        self.runID = runID
        self.controller = controller
        self.startedAt = startedAt
    }

    static let prefix = "crossnet.lock."

    /// The labels the lock volume carries; `crossnet.run` makes `crossnet clean --run ID` remove it.
    public var labels: [String: String] {
        [
            RunContext.runLabel: runID, Self.prefix + "run": runID, Self.prefix + "controller": controller.hostname,
            Self.prefix + "machine": controller.machineID, Self.prefix + "boot": controller.bootID,
            Self.prefix + "pid": String(controller.pid), Self.prefix + "process-start": controller.processStart,
            Self.prefix + "started": startedAt,
        ]
    }

    /// Reads a holder back from a lock volume's labels.
    public init?(labels: [String: String]) {
        let p = Self.prefix
        guard let run = labels[p + "run"], let pidText = labels[p + "pid"], let pid = Int32(pidText) else { return nil }
        self.init(
            runID: run,
            controller: ControllerIdentity(
                hostname: labels[p + "controller"] ?? "?", machineID: labels[p + "machine"] ?? "?",
                bootID: labels[p + "boot"] ?? "?", pid: pid, processStart: labels[p + "process-start"] ?? "?"),
            startedAt: labels[p + "started"] ?? "?")
    }

    /// `run 20261126T081500-3fa2 (controller ci-7, pid 4242, started 2026-11-26T08:15:00Z)`.
    public var summary: String {
        "run \(runID) (controller \(controller.hostname), pid \(controller.pid), started \(startedAt))"
    }

    /// Whether the holder's process still runs, as far as `here` can tell.
    public func liveness(
        from here: ControllerIdentity, processStart: (Int32) -> String? = ControllerIdentity.processStart(of:)
    ) -> Liveness {
        guard controller.machineID == here.machineID, controller.machineID != "unknown" else {
            return .unknown("held from another machine (\(controller.hostname)); its process cannot be checked from here")
        }
        if controller.bootID != here.bootID { return .dead("\(controller.hostname) has rebooted since") }
        guard let start = processStart(controller.pid) else { return .dead("no process \(controller.pid) on \(controller.hostname)") }
        if start != controller.processStart { return .dead("pid \(controller.pid) is now another process") }
        return .alive
    }

    public enum Liveness: Sendable, Equatable {
        case alive
        /// The holder is gone; the lock is stale and may be taken over.
        case dead(String)
        /// Another machine's process: treated as alive.
        case unknown(String)

        public var isDead: Bool { if case .dead = self { return true } else { return false } }
    }
}

/// A second run against a host that a live run holds.
public struct RunLockRefused: CrossnetError {
    public var host: String
    public var holder: RunLockHolder
    public var liveness: RunLockHolder.Liveness

    public var description: String {
        var text = "\(host) is in use by \(holder.summary); Crossnet runs one at a time per host so that measurements do not disturb each other"
        switch liveness {
        case .unknown(let why):
            text += " — \(why): wait for it to finish, or, if it is gone, run `crossnet clean --run \(holder.runID)`"
        case .alive, .dead:
            text += " — wait for it to finish, or stop it (pid \(holder.controller.pid) on \(holder.controller.hostname))"
        }
        return text
    }
}

/// One run at a time per host: a Docker volume `crossnet-lock` on every host, labelled with the
/// run and its controller process (see ``RunLockHolder``).
///
/// - Taking it: `volume create` returns the existing volume unchanged when the name exists, one
///   caller at a time, so the caller whose labels come back holds the lock.
/// - A held lock whose holder is alive (or on another machine) refuses the run at once, naming
///   the holder; a dead holder's lock is stale and taken over. Only one run may take over a given
///   stale lock: it must first create `crossnet-lock-takeover-<stale run>`, by the same rule.
/// - Released at the end of the run; `crossnet clean --run ID` removes a dead run's lock too.
public struct RunLock: Sendable {
    /// The lock volume's name on every host.
    public static let volumeName = "crossnet-lock"

    public let fleet: HostFleet
    public let holder: RunLockHolder
    /// Hosts where the lock is held, in order.
    public let hosts: [String]
    /// Notes for the report: stale locks taken over.
    public let notes: [String]

    /// Takes the lock on every host of `fleet`, or throws ``RunLockRefused`` (after releasing what
    /// it took).
    public static func acquire(
        fleet: HostFleet, runID: String, identity: ControllerIdentity = .current(), startedAt: Date = Date()
    ) async throws -> RunLock {
        let holder = RunLockHolder(runID: runID, controller: identity, startedAt: ISO8601DateFormatter().string(from: startedAt))
        var taken: [String] = []
        var notes: [String] = []
        do {
            for host in fleet.hostNames {
                if let note = try await take(host: host, holder: holder, engine: fleet.engine(host)) { notes.append(note) }
                taken.append(host)
            }
        } catch {
            _ = await RunLock(fleet: fleet, holder: holder, hosts: taken, notes: []).release()
            throw error
        }
        fleet.logger.info("run lock taken", metadata: ["run": "\(runID)", "hosts": "\(taken.joined(separator: ","))"])
        return RunLock(fleet: fleet, holder: holder, hosts: taken, notes: notes)
    }

    /// Takes `host`'s lock; returns a note when a stale lock was taken over.
    static func take(host: String, holder: RunLockHolder, engine: DockerEngine) async throws -> String? {
        let current = try await engine.createVolume(volumeName, labels: holder.labels)
        if current.labels?[RunLockHolder.prefix + "run"] == holder.runID { return nil }
        guard let other = RunLockHolder(labels: current.labels ?? [:]) else {
            throw OperationError(
                host: host, operation: "docker volume create \(volumeName)",
                reason: "a volume \(volumeName) exists that is not a Crossnet run lock",
                hint: "Crossnet uses that name to keep runs apart: rename or remove that volume")
        }
        let liveness = other.liveness(from: holder.controller)
        guard case .dead(let why) = liveness else { throw RunLockRefused(host: host, holder: other, liveness: liveness) }
        // Stale: exactly one run may take it over. A takeover volume left by a run that died
        // half-way through its own takeover is stale too: removed and tried once more.
        var takeover = try await engine.createVolume(takeoverName(other.runID), labels: holder.labels)
        if takeover.labels?[RunLockHolder.prefix + "run"] != holder.runID, let rival = RunLockHolder(labels: takeover.labels ?? [:]),
            rival.liveness(from: holder.controller).isDead
        {
            try await engine.removeVolume(takeoverName(other.runID))
            takeover = try await engine.createVolume(takeoverName(other.runID), labels: holder.labels)
        }
        if takeover.labels?[RunLockHolder.prefix + "run"] != holder.runID, let rival = RunLockHolder(labels: takeover.labels ?? [:]) {
            throw RunLockRefused(host: host, holder: rival, liveness: rival.liveness(from: holder.controller))
        }
        try await engine.removeVolume(volumeName)
        let mine = try await engine.createVolume(volumeName, labels: holder.labels)
        if mine.labels?[RunLockHolder.prefix + "run"] != holder.runID, let rival = RunLockHolder(labels: mine.labels ?? [:]) {
            throw RunLockRefused(host: host, holder: rival, liveness: rival.liveness(from: holder.controller))
        }
        return "\(host): took over the stale lock of \(other.summary): \(why)"
    }

    static func takeoverName(_ staleRunID: String) -> String { "\(volumeName)-takeover-\(staleRunID)" }

    /// Gives the lock back on every host where this run holds it (never another run's lock).
    /// Returns the problems, one line per host that could not be reached.
    public func release() async -> [String] { await release(using: fleet) }

    /// ``release()`` over another connection to the same hosts (the one that took the lock may
    /// have been closed while the suites ran).
    public func release(using fleet: HostFleet) async -> [String] {
        var problems: [String] = []
        for host in hosts {
            let engine = fleet.engine(host)
            do {
                for volume in try await engine.volumes(label: "\(RunContext.runLabel)=\(holder.runID)")
                where volume.name.hasPrefix(Self.volumeName + "-takeover-") {
                    try await engine.removeVolume(volume.name)
                }
                if let lock = try await engine.inspectVolume(Self.volumeName), lock.labels?[RunLockHolder.prefix + "run"] == holder.runID {
                    try await engine.removeVolume(Self.volumeName)
                }
            } catch {
                problems.append("\(host): releasing the run lock: \(error)")
            }
        }
        return problems
    }

    /// The holder of each host's lock, for hosts that have one.
    public static func holders(fleet: HostFleet) async throws -> [String: RunLockHolder] {
        var result: [String: RunLockHolder] = [:]
        for host in fleet.hostNames {
            if let volume = try await fleet.engine(host).inspectVolume(volumeName), let holder = RunLockHolder(labels: volume.labels ?? [:]) {
                result[host] = holder
            }
        }
        return result
    }
}
