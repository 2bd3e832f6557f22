import ArgumentParser
import Crossnet
import Foundation
import Logging

/// `crossnet run`: the whole thing — lab or inventory, probe image, the suites, the reports.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the lab suites on the hosts and write junit.xml, results.json, summary.md, report.html, metrics.prom.",
        discussion: """
            Without --inventory the virtual lab in .lab is used (brought up with defaults when it is \
            not up). The suites run with `swift test` from the package root; the reports go to \
            DIR/<run id>/ and DIR/latest points at them. Exit 0 when every test passed and there is \
            no regression, 1 when a test failed or a figure regressed, 2 on bad input.

            EXAMPLES:
              crossnet run                                    # every suite on the virtual lab in .lab
              crossnet run --inventory lab.yaml --baseline Reports/baseline
              crossnet run --filter 'Overlay' --duration 3 --repeats 3
              crossnet run --inventory lab.yaml --push http://pushgateway:9091
            """)

    @OptionGroup var options: InventoryOptions

    @Option(name: .long, help: "Folder for the run folders.")
    var reports: String = "Reports"

    @Option(name: .long, help: "Only tests whose id matches this regular expression (within Suites).")
    var filter: String?

    @Option(name: .long, help: "Baseline to compare with: a results.json or a run folder.")
    var baseline: String?

    @Option(name: .long, help: "Allowed relative change in percent for the baseline comparison.")
    var tolerance: Double = 10

    @Option(name: .long, help: "Push metrics to this Prometheus Pushgateway (base URL or …/metrics/job/NAME).")
    var push: String?

    @Option(name: .long, help: "Seconds per throughput measurement (overrides the inventory's measurement.duration).")
    var duration: Int?

    @Option(name: .long, help: "Repeats per figure (overrides the inventory's measurement.repeats).")
    var repeats: Int?

    @Option(name: .long, help: "Host pairs to measure: mesh or star (overrides the inventory's measurement.pairs).")
    var pairs: String?

    /// Measurement overrides handed to the suites.
    func measurementEnvironment() throws -> [String: String] {
        var environment: [String: String] = [:]
        if let duration {
            guard (1...3600).contains(duration) else { throw InputError("--duration must be 1…3600 seconds, got \(duration)") }
            environment["CROSSNET_MEASURE_DURATION"] = String(duration)
        }
        if let repeats {
            guard (1...100).contains(repeats) else { throw InputError("--repeats must be 1…100, got \(repeats)") }
            environment["CROSSNET_MEASURE_REPEATS"] = String(repeats)
        }
        if let pairs {
            guard PairMode(rawValue: pairs) != nil else { throw InputError("--pairs must be mesh or star, got \"\(pairs)\"") }
            environment["CROSSNET_MEASURE_PAIRS"] = pairs
        }
        return environment
    }

    func run() async throws {
        CLILogging.bootstrap
        try await withExitCodes { try await execute() }
    }

    private func execute() async throws -> Int32 {
        let fm = FileManager.default
        let root = try Self.packageRoot()
        // Bad input first, before anything starts.
        let baselineDocument = try baseline.map { try ResultsDocument.load(path: $0) }
        guard tolerance >= 0 else { throw InputError("--tolerance must be a percentage ≥ 0") }
        let measurementEnvironment = try measurementEnvironment()
        if let push, URL(string: push)?.scheme?.hasPrefix("http") != true {
            throw InputError("--push takes an http(s) URL, got \"\(push)\"")
        }
        let progress = RunProgress()
        defer { progress.finish() }
        var logger = options.makeLogger("run")
        if !options.verbose { logger.logLevel = .warning }

        if options.inventory == nil {
            progress.begin("lab", "bringing the virtual lab in .lab up")
            do {
                _ = try await VirtualLab(directory: ".lab").up(logger: logger)
            } catch is LabAlreadyUp {}
        }
        let inventoryPath = Self.absolute(options.inventoryPath)
        let inventory = try options.loadInventory()
        let runID = RunContext.newRunID()
        let started = Date()
        let reportsDirectory = Self.absolute(reports)
        let runFolder = (reportsDirectory as NSString).appendingPathComponent(runID)
        let attachments = (runFolder as NSString).appendingPathComponent("attachments")
        try fm.createDirectory(atPath: attachments, withIntermediateDirectories: true)
        progress.note("run \(runID) on \(inventory.hosts.count) hosts → \(runFolder)")

        progress.begin("probe image", "building")
        let image = try await ProbeImage.build(cacheDirectory: ProbeImageLoader.defaultCacheDirectory)
        progress.update("connecting to \(inventory.hosts.map(\.name).joined(separator: ", "))")
        let fleet = try await HostFleet.connect(inventory, options: options.sshOptions, logger: logger)
        var hosts: [ResultsDocument.Host] = []
        do {
            progress.update("loading \(image.tag)")
            _ = try await ProbeImageLoader.ensure(image, on: fleet)
            progress.begin("host facts")
            for host in inventory.hosts {
                progress.update(host.name)
                let info = try? await fleet.engine(host.name).info()
                hosts.append(.init(name: host.name, address: host.address, kernel: info?.kernelVersion,
                                   dockerVersion: info?.serverVersion, cpus: info?.cpuCount))
            }
        } catch {
            await fleet.close()
            throw error
        }
        await fleet.close()

        progress.begin("tests", "swift test")
        let events = (runFolder as NSString).appendingPathComponent("events.jsonl")
        var pattern = #"Suites\."#
        if let filter, !filter.isEmpty { pattern = filter.hasPrefix("Suites") ? filter : #"Suites\..*"# + filter }
        let arguments = [
            "swift", "test", "--no-parallel", "--filter", pattern, "--event-stream-output-path", events,
            "--event-stream-version", "0", "--attachments-path", attachments,
        ]
        let output = OutputCollector(progress: progress)
        output.append("$ " + arguments.joined(separator: " "))
        let follower = EventStreamFollower(path: events, progress: progress)
        follower.start()
        let status: Int32
        do {
            status = try await StreamingCommand.run(
                arguments, directory: root,
                environment: measurementEnvironment.merging(["CROSSNET_INVENTORY": inventoryPath, "CROSSNET_RUN_ID": runID]) { _, fixed in fixed },
                onLine: { output.line($0) })
        } catch {
            follower.stop()
            throw error
        }
        follower.stop()
        output.append("swift test exited with status \(status)")

        progress.begin("reports")
        guard fm.fileExists(atPath: events) else {
            try output.text.write(toFile: (runFolder as NSString).appendingPathComponent("transcript.log"), atomically: true, encoding: .utf8)
            throw OperationError(
                host: "local", operation: "swift test", reason: "exited with status \(status) and wrote no event stream",
                hint: "see \(runFolder)/transcript.log (a build error?)")
        }
        let stream = try EventStreamReader(attachmentsDirectory: attachments).read(path: events)
        // `<sha>-dirty` when the package had uncommitted changes (the suites that ran are not HEAD's).
        let commit = try? await LocalCommand.run(
            ["git", "-C", root, "describe", "--always", "--dirty", "--abbrev=40", "--match=NONE"], timeout: .seconds(10))
        let document = ReportBundle.document(
            stream: stream, runID: runID, startedAt: started, finishedAt: Date(),
            gitCommit: commit?.exitStatus == 0 ? commit?.trimmedStdout : nil,
            inventoryHash: SHA256.hex(ofFile: inventoryPath), hosts: hosts)
        let comparison = baselineDocument.map {
            RunComparison(base: $0, new: document, tolerance: .init(defaultPercent: tolerance))
        }
        let written = try ReportBundle(document: document, comparison: comparison).write(to: runFolder, transcript: output.text)
        try ReportBundle.pointLatest(in: reportsDirectory, to: runID)
        progress.finish()

        for path in written {
            let size = (try? fm.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
            print(String(format: "%@  %8d bytes", path, size))
        }
        print("\(document.passedCount) passed, \(document.failedCount) failed, \(document.skippedCount) skipped")
        if let comparison {
            print("\nagainst \(baseline!):\n" + comparison.table)
        }
        if let push {
            let url = PushgatewayClient.url(base: push, instance: runID)
            _ = try await PushgatewayClient.push(PrometheusWriter().render(document), to: url)
            print("metrics pushed to \(url)")
        }
        if document.tests.isEmpty && status != 0 {
            throw OperationError(host: "local", operation: "swift test", reason: "exited with status \(status) and ran no test",
                                 hint: "see \(runFolder)/transcript.log")
        }
        if status != 0 && document.failedCount == 0 {
            FileHandle.standardError.write(Data("swift test exited with status \(status) without a failed test (crash or build error?): see \(runFolder)/transcript.log\n".utf8))
            return 1
        }
        return document.failedCount > 0 || comparison?.hasRegression == true ? 1 : 0
    }

    /// The folder holding this package's Package.swift and Suites/, from the working directory up.
    static func packageRoot() throws -> String {
        var url = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        while true {
            let manifest = url.appendingPathComponent("Package.swift").path
            if FileManager.default.fileExists(atPath: manifest), FileManager.default.fileExists(atPath: url.appendingPathComponent("Suites").path) {
                return url.path
            }
            if url.path == "/" { break }
            url.deleteLastPathComponent()
        }
        throw InputError("run `crossnet run` inside the Crossnet package (no Package.swift with Suites/ above \(FileManager.default.currentDirectoryPath))")
    }

    static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(path)
    }
}

/// Collects `swift test` output and turns interesting lines into progress.
final class OutputCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    private let progress: RunProgress

    init(progress: RunProgress) { self.progress = progress }

    func append(_ line: String) { lock.withLock { lines.append(line) } }

    var text: String { lock.withLock { lines.joined(separator: "\n") + "\n" } }

    func line(_ raw: String) {
        let line = raw.replacingOccurrences(of: #"\u{1B}\[[0-9;]*m"#, with: "", options: .regularExpression)
        append(line)
        if line.hasPrefix("◇ Test case passing") || line.hasPrefix("◇ Test \""), line.hasSuffix("started.") {
            progress.update(Self.describe(line))
        } else if line.hasPrefix("✘ Test") && line.contains("recorded an issue") {
            progress.note(line)
        } else if line.hasPrefix("[") && line.contains("Compiling") {
            progress.update("building suites " + (line.split(separator: "]").first.map { String($0) + "]" } ?? ""))
        } else if line.contains("error:") {
            progress.note(line)
        }
    }

    /// `◇ Test case passing 1 argument host → "h1" to "claim" started.` → `claim (h1)`.
    static func describe(_ line: String) -> String {
        if line.hasPrefix("◇ Test case passing"), let toRange = line.range(of: " to \"", options: .backwards) {
            let claim = line[toRange.upperBound...].replacingOccurrences(of: "\" started.", with: "")
            var argument = ""
            if let arrow = line.range(of: "→ ") {
                argument = String(line[arrow.upperBound..<toRange.lowerBound]).replacingOccurrences(of: "\"", with: "")
            }
            return "\(claim) (\(argument))"
        }
        return line.replacingOccurrences(of: "◇ Test \"", with: "").replacingOccurrences(of: "\" started.", with: "")
    }
}
