import ArgumentParser
import Crossnet
import CrossnetSuites
import Foundation
import Logging

/// `crossnet run`: the whole thing — lab or inventory, probe image, the suites, the reports — in
/// one process with one SSH session per host.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the lab suites on the hosts and write junit.xml, results.json, summary.md, report.html, metrics.prom.",
        discussion: """
            Without --inventory the virtual lab in .lab is used (brought up with defaults when it is \
            not up). The suites run inside this process (Swift Testing's ABI entry point): one SSH \
            session per host for the whole run, each driver deployed once. The reports go to \
            DIR/<run id>/ and DIR/latest points at them. Exit 0 when every test passed and there is \
            no regression, 1 when a test failed, none ran, a figure regressed or --timeout ran out, \
            2 on bad input, 130/143 when interrupted by SIGINT/SIGTERM (partial report written).

            EXAMPLES:
              crossnet run                                   # every suite on the virtual lab in .lab
              crossnet run --quick                           # reachability claims only (pull-request check)
              crossnet run --inventory lab.yaml --baseline Reports/baseline
              crossnet run --filter overlay --list           # what a filter selects, without connecting
              crossnet run --filter 'Overlay' --duration 3 --repeats 3 --timeout 1800
              crossnet run --inventory lab.yaml --push http://pushgateway:9091
            """)

    @OptionGroup var options: InventoryOptions

    @Option(name: .long, help: "Folder for the run folders.")
    var reports: String = "Reports"

    @Option(name: .long, help: "Only tests whose id matches this regular expression (within the suites).")
    var filter: String?

    @Flag(name: .long, help: "Every driver's reachability claims only: no measurements, no self-tests (a pull-request check).")
    var quick = false

    @Flag(name: .long, help: "Print the tests the filter (or --quick) selects, without connecting.")
    var list = false

    @Option(name: .long, help: "Baseline to compare with: a results.json or a run folder.")
    var baseline: String?

    @Option(name: .long, help: "Allowed relative change in percent for the baseline comparison.")
    var tolerance: Double = 10

    @Option(name: .long, help: "Push metrics to this Prometheus Pushgateway (base URL or …/metrics/job/NAME).")
    var push: String?

    @Option(name: .long, help: "Stop the run after this many seconds: the suites are cancelled, what they made is torn down, and a partial report is written (exit 1).")
    var timeout: Int?

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

    /// The Swift Testing selection: `--filter` within the suites, `--quick` the claim tests only.
    func selection() throws -> SwiftTestingEntryPoint.Configuration {
        var patterns = [#"CrossnetSuites\."#]
        if quick { patterns = [#"CrossnetSuites\.[A-Za-z]+Suite/claim\("#] }
        if let filter, !filter.isEmpty {
            do { _ = try NSRegularExpression(pattern: filter) } catch {
                throw InputError("--filter '\(filter)' is not a valid regular expression: \(error.localizedDescription)")
            }
            let own = filter.hasPrefix("CrossnetSuites") ? filter : #"(?i)CrossnetSuites\..*"# + filter
            patterns = quick ? [#"(?=CrossnetSuites\.[A-Za-z]+Suite/claim\()"# + own] : [own]
        }
        // Claims of different drivers may run side by side; measurements never overlap.
        return SwiftTestingEntryPoint.Configuration(filter: patterns, parallel: quick)
    }

    func run() async throws {
        CLILogging.bootstrap
        try await withExitCodes { try await execute() }
    }

    private func execute() async throws -> Int32 {
        // Bad input first, before anything starts.
        let selection = try selection()
        let baselineDocument = try baseline.map { try ResultsDocument.load(path: $0) }
        guard tolerance >= 0 else { throw InputError("--tolerance must be a percentage ≥ 0") }
        for (name, value) in try measurementEnvironment() { setenv(name, value, 1) }
        if let push, URL(string: push)?.scheme?.hasPrefix("http") != true {
            throw InputError("--push takes an http(s) URL, got \"\(Redaction.url(push))\"")
        }
        if let timeout, !(10...86_400).contains(timeout) {
            throw InputError("--timeout must be 10…86400 seconds, got \(timeout)")
        }
        if list { return try await listTests(selection) }
        let interruption = RunInterruption()
        let current = CurrentRun()
        interruption.install { current.stop(because: "interrupted by a signal") }
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
        let inventory = try options.loadInventory()
        let run = SuiteRun(
            inventory: inventory, inventoryPath: Self.absolute(options.inventoryPath), reportsDirectory: Self.absolute(reports),
            selection: selection, progress: progress, logger: logger)
        interruption.setRunID(run.runID)
        current.set(run)
        if interruption.signal != nil { run.stop(because: "interrupted by a signal") }
        let limit = timeout.map { seconds in
            Task {
                try await Task.sleep(for: .seconds(seconds))
                run.stop(because: "the run's time limit (--timeout \(seconds) s) ran out")
            }
        }
        let document = try await run.execute(sshOptions: options.sshOptions)
        limit?.cancel()

        let comparison = baselineDocument.map {
            RunComparison(base: $0, new: document, tolerance: .init(defaultPercent: tolerance))
        }
        let bundle = ReportBundle(document: document, comparison: comparison, interrupted: run.stoppedEarly != nil)
        let written = try bundle.write(to: run.runFolder, transcript: run.transcriptText)
        try ReportBundle.pointLatest(in: run.reportsDirectory, to: run.runID)
        progress.finish()

        for path in written {
            let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
            print(String(format: "%@  %8d bytes", path, size))
        }
        // The night's answer last on the console: verdict, regressions, failures by cause.
        print("\n" + ConsoleSummary.render(bundle.document, comparison: comparison, reportsFolder: run.runFolder))
        print("\(document.passedCount) passed, \(document.failedCount) failed, \(document.skippedCount) skipped")
        try CIIntegration.publish(document: bundle.document, comparison: comparison)
        if let push {
            let url = PushgatewayClient.url(base: push, inventory: PushgatewayClient.inventoryLabel(path: run.inventoryPath))
            _ = try await PushgatewayClient.push(PrometheusWriter().render(bundle.document, comparison: comparison), to: url)
            print("metrics pushed to \(Redaction.url(url))")
        }
        if let status = interruption.exitStatus {
            FileHandle.standardError.write(Data("run \(run.runID) interrupted: partial report in \(run.runFolder)\n".utf8))
            return status
        }
        if let reason = run.stoppedEarly {
            FileHandle.standardError.write(Data("run \(run.runID) stopped early: \(reason); partial report in \(run.runFolder)\n".utf8))
            return 1
        }
        let ran = document.passedCount + document.failedCount
        if ran == 0 {
            FileHandle.standardError.write(Data("no test ran (\(document.skippedCount) skipped): check --filter and the inventory\n".utf8))
            return 1
        }
        return bundle.document.verdict?.isSuccess == false || document.failedCount > 0 || comparison?.hasRegression == true ? 1 : 0
    }

    /// `--list`: the selected tests' ids and names, without connecting.
    private func listTests(_ selection: SwiftTestingEntryPoint.Configuration) async throws -> Int32 {
        if FileManager.default.fileExists(atPath: options.inventoryPath) {
            _ = try options.loadInventory()
            setenv("CROSSNET_INVENTORY", Self.absolute(options.inventoryPath), 1)
        }
        var configuration = selection
        configuration.listTests = true
        let names = TestList(patterns: try (selection.filter ?? []).map { try NSRegularExpression(pattern: $0) })
        _ = try await SwiftTestingEntryPoint.run(configuration) { names.add($0) }
        let tests = names.functions
        for test in tests { print(test) }
        print("\(tests.count) tests selected")
        return tests.isEmpty ? 1 : 0
    }

    static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(path)
    }
}

/// The run a signal or the time limit stops (set once the run exists).
final class CurrentRun: @unchecked Sendable {
    private let lock = NSLock()
    private var run: SuiteRun?
    private var pending: String?

    func set(_ run: SuiteRun) {
        let reason = lock.withLock { () -> String? in
            self.run = run
            return pending
        }
        if let reason { run.stop(because: reason) }
    }

    func stop(because reason: String) {
        let run = lock.withLock { () -> SuiteRun? in
            if self.run == nil { pending = reason }
            return self.run
        }
        run?.stop(because: reason)
    }
}

/// Collects the test records `--list` prints.
final class TestList: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    /// The selection's patterns (Swift Testing lists every test whatever the filter).
    private let patterns: [NSRegularExpression]

    init(patterns: [NSRegularExpression]) { self.patterns = patterns }

    func add(_ record: Data) {
        guard let object = try? JSONSerialization.jsonObject(with: record) as? [String: Any], object["kind"] as? String == "test",
            let payload = object["payload"] as? [String: Any], payload["kind"] as? String == "function",
            let id = payload["id"] as? String
        else { return }
        let range = NSRange(id.startIndex..., in: id)
        guard patterns.isEmpty || patterns.contains(where: { $0.firstMatch(in: id, range: range) != nil }) else { return }
        let name = payload["displayName"] as? String ?? payload["name"] as? String ?? ""
        let path = id.split(separator: "/").filter { !$0.contains(".swift:") }.joined(separator: "/")
        lock.withLock { lines.append("\(path)  \(name)") }
    }

    var functions: [String] { lock.withLock { lines.sorted() } }
}
