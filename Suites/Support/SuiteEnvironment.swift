import Foundation
import Logging
import Testing

import Crossnet

/// What `crossnet run` hands the suites when it runs them in its own process: the fleet it
/// connected (one SSH session per host for the whole run), the probe image it built and loaded
/// once, the run id, and where typed results go.
public struct InProcessRun: Sendable {
    public var inventory: Inventory
    public var fleet: HostFleet
    public var image: ProbeImage
    public var runID: String
    public var recorder: RunRecorder

    public init(inventory: Inventory, fleet: HostFleet, image: ProbeImage, runID: String, recorder: RunRecorder) {
        self.inventory = inventory
        self.fleet = fleet
        self.image = image
        self.runID = runID
        self.recorder = recorder
    }
}

/// Where the suites find their run when `crossnet run` hosts them.
public enum SuiteHost {
    /// Set once by ``install(_:)`` before Swift Testing starts; read-only afterwards.
    nonisolated(unsafe) static var installed: InProcessRun?

    /// Installs the run the suites use. Call before running the suites, once per process.
    public static func install(_ run: InProcessRun) { installed = run }

    /// Where typed results go: the hosting run's recorder, or this process's own.
    static let ownRecorder = RunRecorder()
    static var recorder: RunRecorder { installed?.recorder ?? ownRecorder }

    /// `true` when `crossnet run` hosts the suites (results are recorded typed, not attached).
    static var isHosted: Bool { installed != nil }
}

/// The inventory the suites run against: the hosting run's, else `CROSSNET_INVENTORY`, else the
/// virtual lab's `.lab/inventory.yaml` when present. Loaded once, synchronously, so test
/// arguments and enablement traits can use it.
enum SuiteInventory {
    static let path: String? = {
        if let installed = SuiteHost.installed { return installed.inventory.sourcePath }
        if let path = ProcessInfo.processInfo.environment["CROSSNET_INVENTORY"], !path.isEmpty { return path }
        return FileManager.default.fileExists(atPath: ".lab/inventory.yaml") ? ".lab/inventory.yaml" : nil
    }()

    static let loaded: Result<Inventory, any Error>? = {
        if let installed = SuiteHost.installed { return .success(installed.inventory) }
        return path.map { path in Result { try InventoryLoader.load(path: path) } }
    }()

    /// `true` when the inventory is a virtual lab Crossnet made (`virtual_lab:` plus its state
    /// file): the only place self-tests may change hosts.
    static var isCrossnetLab: Bool { inventory.map(VirtualLabOwnership.isCrossnetLab) ?? false }

    /// The inventory, or `nil` when there is none (suites are then skipped with a reason).
    static var inventory: Inventory? { try? loaded?.get() }

    static var isAvailable: Bool { inventory != nil }

    static let unavailableReason: Comment = {
        switch loaded {
        case nil: "no inventory: set CROSSNET_INVENTORY or run `crossnet lab up` first"
        case .failure(let error): "the inventory does not load: \(error)"
        case .success: "inventory loaded"
        }
    }()

    /// The hosts the suites run on: under `crossnet run`, those its fleet connected (a host down
    /// at the start is named by the run and left out); else every inventory host.
    static var hostNames: [String] {
        if let installed = SuiteHost.installed { return installed.fleet.hostNames }
        return inventory?.hosts.map(\.name) ?? []
    }

    /// Ordered pairs of distinct hosts (full mesh).
    static var hostPairs: [HostPair] {
        let names = hostNames
        return names.flatMap { a in names.filter { $0 != a }.map { HostPair(source: a, target: $0) } }
    }

    /// The virtual lab's folder when the inventory is one `crossnet lab up` wrote, else `nil`.
    static var labDirectory: String? {
        guard let path, isCrossnetLab else { return nil }
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        return FileManager.default.fileExists(atPath: folder + "/state.json") ? folder : nil
    }

    static var hasMacvlan: Bool {
        guard let inventory, let macvlan = inventory.network.macvlan else { return false }
        return inventory.hosts.allSatisfy { $0.interface != nil && macvlan.ranges[$0.name] != nil }
    }
}

/// An ordered pair of hosts: probes go from `source` to `target`.
struct HostPair: Sendable, CustomTestStringConvertible, Hashable {
    var source: String
    var target: String
    var testDescription: String { "\(source)→\(target)" }
}

/// What all suites of one `swift test` process share: one SSH session per host, the probe image
/// loaded everywhere, one run id.
actor SuiteEnvironment {
    static let shared = SuiteEnvironment()

    struct Ready: Sendable {
        var fleet: HostFleet
        var image: ProbeImage
        var runID: String
    }

    private var ready: Task<Ready, any Error>?
    private var readyValue: Ready?
    private var flushed = 0

    /// Appends the transcript lines recorded since the last call to `CROSSNET_TRANSCRIPT` (a
    /// file `crossnet run` reads for `transcript.log`), when that variable is set.
    func flushTranscript() {
        guard let path = ProcessInfo.processInfo.environment["CROSSNET_TRANSCRIPT"], let value = readyValue else { return }
        let entries = value.fleet.transcript.entries(since: flushed)
        flushed += entries.count
        guard !entries.isEmpty else { return }
        let text = entries.map(\.line).joined(separator: "\n") + "\n"
        if let handle = FileHandle(forWritingAtPath: path) {
            handle.seekToEndOfFile()
            handle.write(Data(text.utf8))
            try? handle.close()
        } else {
            FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        }
    }

    /// Connects (once) and loads the probe image (once); under `crossnet run`, the run's own.
    func get() async throws -> Ready {
        if let installed = SuiteHost.installed {
            return Ready(fleet: installed.fleet, image: installed.image, runID: installed.runID)
        }
        if let ready { return try await ready.value }
        let task = Task<Ready, any Error> {
            guard let inventory = SuiteInventory.inventory else {
                throw InputError(SuiteInventory.unavailableReason.rawValue)
            }
            var logger = Logger(label: "crossnet.suites")
            logger.logLevel = .warning
            let fleet = try await HostFleet.connect(inventory, logger: logger)
            let (image, _) = try await ProbeImageLoader.buildAndEnsure(on: fleet)
            let runID = ProcessInfo.processInfo.environment["CROSSNET_RUN_ID"] ?? RunContext.newRunID()
            return Ready(fleet: fleet, image: image, runID: runID)
        }
        ready = task
        let value = try await task.value
        readyValue = value
        return value
    }
}
