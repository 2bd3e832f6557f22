import Crossnet
import CrossnetSuites
import Foundation
import Logging

/// One `crossnet run`: connects once to every host, builds and loads the probe image once, runs
/// the selected suites in this process, and assembles the results document from the event
/// stream (test outcomes) and the run's recorder (typed claim results and measurements).
final class SuiteRun: @unchecked Sendable {
    let inventory: Inventory
    let inventoryPath: String
    let reportsDirectory: String
    let selection: SwiftTestingEntryPoint.Configuration
    let progress: RunProgress
    let logger: Logger
    let runID = RunContext.newRunID()
    let recorder: RunRecorder
    private(set) var transcriptText = ""
    /// Why the run stopped early (a signal, the run's time limit), `nil` when it ran to the end.
    private(set) var stoppedEarly: String?
    /// Hosts that could not be connected at the start.
    private(set) var downHosts: [UnreachableHost] = []
    private let lock = NSLock()
    private var suites: Task<Bool, any Error>?

    /// Stops the run: cancels the running suites (each tears down what it deployed), after which
    /// the run sweeps whatever is left labelled with its id and writes a partial report.
    func stop(because reason: String) {
        let task = lock.withLock { () -> Task<Bool, any Error>? in
            if stoppedEarly == nil { stoppedEarly = reason }
            return suites
        }
        task?.cancel()
    }

    init(
        inventory: Inventory, inventoryPath: String, reportsDirectory: String,
        selection: SwiftTestingEntryPoint.Configuration, progress: RunProgress, logger: Logger
    ) {
        self.inventory = inventory
        self.inventoryPath = inventoryPath
        self.reportsDirectory = reportsDirectory
        self.selection = selection
        self.progress = progress
        self.logger = logger
        // Figures as they are measured.
        self.recorder = RunRecorder { record in progress.note("  " + record.progressLine) }
    }

    var runFolder: String { (reportsDirectory as NSString).appendingPathComponent(runID) }

    /// Runs the suites and returns the results document (reports are written by the caller).
    func execute(sshOptions: SSHOptions) async throws -> ResultsDocument {
        let started = Date()
        try FileManager.default.createDirectory(atPath: runFolder, withIntermediateDirectories: true)
        progress.note("run \(runID) on \(inventory.hosts.count) hosts → \(runFolder)")

        progress.begin("connect", inventory.hosts.map(\.name).joined(separator: ", "))
        // A host down at the start is named; the run goes on with the rest.
        let fleet = try await HostFleet.connect(inventory, options: sshOptions, logger: logger, tolerateDown: true)
        for down in fleet.downHosts { progress.note("✘ \(down) — its tests do not run; cross-host drivers need two hosts") }
        downHosts = fleet.downHosts
        let hosts: [ResultsDocument.Host]
        let stream: EventStreamReader.Result
        var lock: RunLock?
        do {
            // One run at a time per host (docs/concurrency.md): refused at once, naming the holder.
            lock = try await RunLock.acquire(fleet: fleet, runID: runID)
            for note in lock?.notes ?? [] { progress.note(note) }
            progress.begin("probe image", "building for each host's architecture")
            let (image, _) = try await TranscriptScope.$current.withValue("probe image") {
                try await ProbeImageLoader.buildAndEnsure(on: fleet)
            }
            progress.update("loaded \(image.tag)")
            hosts = await hostFacts(fleet)
            stream = try await runSuites(fleet: fleet, image: image)
        } catch {
            await finish(fleet, lock: lock)
            throw error
        }
        await finish(fleet, lock: lock)

        progress.begin("reports")
        return ReportBundle.document(
            stream: stream, runID: runID, startedAt: started, finishedAt: Date(), gitCommit: ProcessInfo.processInfo.environment["CROSSNET_GIT_COMMIT"],
            inventoryHash: SHA256.hex(ofFile: inventoryPath), hosts: hosts, recorder: recorder)
    }

    /// After an early stop: removes everything labelled with this run's id (and a swarm it made)
    /// that the suites' own teardown did not reach; not cancellable.
    private func sweep(_ fleet: HostFleet) async {
        let runID = runID
        let outcome = await Task {
            await TranscriptScope.$current.withValue("interrupted: clean --run \(runID)") {
                await Cleaner(fleet: fleet, runID: runID).clean()
            }
        }.value
        for line in outcome.removed { progress.note("removed \(line)") }
        for line in outcome.left.lines { progress.note("not removed: \(line) — run `crossnet clean --run \(runID)`") }
    }

    /// Releases the run lock, keeps the transcript, and closes every session.
    private func finish(_ fleet: HostFleet, lock: RunLock?) async {
        if let lock {
            for problem in await lock.release() { progress.note(problem) }
        }
        transcriptText = Self.transcript(fleet.transcript)
        await fleet.close()
    }

    /// Kernel, Docker version and CPUs of every host, asked in parallel.
    private func hostFacts(_ fleet: HostFleet) async -> [ResultsDocument.Host] {
        progress.begin("host facts")
        return await withTaskGroup(of: ResultsDocument.Host.self) { group in
            for host in inventory.hosts {
                group.addTask {
                    let info = try? await fleet.engine(host.name).info()
                    return ResultsDocument.Host(
                        name: host.name, address: host.address, dataAddress: host.dataAddress,
                        dataAddressName: host.dataAddressName, architecture: info?.architecture,
                        kernel: info?.kernelVersion, dockerVersion: info?.serverVersion, cpus: info?.cpuCount,
                        apiVersion: fleet.apiVersion(host.name)?.description)
                }
            }
            var facts: [ResultsDocument.Host] = []
            for await fact in group { facts.append(fact) }
            let order = inventory.hosts.map(\.name)
            return facts.sorted { order.firstIndex(of: $0.name)! < order.firstIndex(of: $1.name)! }
        }
    }

    /// Runs the selected suites in this process; the event stream is kept as `events.jsonl`.
    private func runSuites(fleet: HostFleet, image: ProbeImage) async throws -> EventStreamReader.Result {
        SuiteHost.install(InProcessRun(inventory: inventory, fleet: fleet, image: image, runID: runID, recorder: recorder))
        progress.begin("tests")
        let eventsPath = (runFolder as NSString).appendingPathComponent("events.jsonl")
        FileManager.default.createFile(atPath: eventsPath, contents: nil)
        let events = try FileHandle(forWritingTo: URL(fileURLWithPath: eventsPath))
        defer { try? events.close() }
        let options = MeasurementOptions(inventory: inventory, toolVersions: [:])
        let settings = RunTally.Settings(
            durationSeconds: options.durationSeconds, repeats: options.repeats, latencySamples: options.latencySamples,
            dnsLookups: options.dnsLookups, concurrentPairs: options.concurrency == .rounds)
        let sink = EventSink(
            file: events, progress: TestEventProgress(progress: progress, settings: settings, showsEstimate: !selection.parallel))
        let selection = selection
        let task = Task { try await SwiftTestingEntryPoint.run(selection) { sink.write($0) } }
        let alreadyStopped = lock.withLock { () -> Bool in
            suites = task
            return stoppedEarly != nil
        }
        if alreadyStopped { task.cancel() }
        _ = try? await task.value
        if let reason = lock.withLock({ stoppedEarly }) {
            progress.note("stopped early (\(reason)): removing whatever is left labelled crossnet.run=\(runID)")
            await sweep(fleet)
        }
        return try EventStreamReader(attachmentsDirectory: nil).read(path: eventsPath)
    }

    /// The transcript of every remote step, attributed to its driver and phase.
    static func transcript(_ transcript: Transcript) -> String {
        transcript.all.map(\.line).joined(separator: "\n") + "\n"
    }
}

/// Appends event records to the run's `events.jsonl` and shows progress (thread-safe).
final class EventSink: @unchecked Sendable {
    private let lock = NSLock()
    private let file: FileHandle
    private let progress: TestEventProgress

    init(file: FileHandle, progress: TestEventProgress) {
        self.file = file
        self.progress = progress
    }

    func write(_ record: Data) {
        lock.withLock {
            file.write(record)
            file.write(Data("\n".utf8))
        }
        progress.handle(record)
    }
}
