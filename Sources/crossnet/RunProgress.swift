import Crossnet
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Live progress on standard error: on a terminal one line rewritten in place (step, host or
/// test, elapsed time); otherwise plain timestamped lines.
final class RunProgress: @unchecked Sendable {
    private let lock = NSLock()
    private let isTTY = isatty(STDERR_FILENO) == 1
    private let started = ContinuousClock.now
    private var step = "starting"
    private var detail = ""
    private var ticker: Thread?
    private var stopped = false
    private var status: (@Sendable () -> String)?

    init() {
        if isTTY {
            let thread = Thread { [weak self] in
                while let self, !self.isStopped {
                    self.redraw()
                    Thread.sleep(forTimeInterval: 0.5)
                }
            }
            thread.name = "crossnet.progress"
            ticker = thread
            thread.start()
        }
    }

    private var isStopped: Bool { lock.withLock { stopped } }

    /// Seconds since the run started (the clock the tally's times are on).
    var secondsSinceStart: Double { (ContinuousClock.now - started).seconds }

    /// A short status drawn after the elapsed time on a terminal (test counts and time left).
    func setStatus(_ provider: @escaping @Sendable () -> String) {
        lock.withLock { status = provider }
    }

    /// A new step (`probe image`, `host facts`, `tests`, `reports`).
    func begin(_ step: String, _ detail: String = "") {
        lock.withLock {
            self.step = step
            self.detail = detail
        }
        if isTTY { redraw() } else { log("\(step)\(detail.isEmpty ? "" : ": \(detail)")") }
    }

    /// What is happening within the step (a host, a test).
    func update(_ detail: String) {
        lock.withLock { self.detail = detail }
        if isTTY { redraw() } else { log("  \(detail)") }
    }

    /// A line that must stay visible (a failure, a warning).
    func note(_ line: String) {
        if isTTY {
            lock.withLock { write("\r\u{1B}[2K" + line + "\n") }
            redraw()
        } else {
            log(line)
        }
    }

    func finish() {
        lock.withLock {
            stopped = true
            if isTTY { write("\r\u{1B}[2K") }
        }
    }

    private var elapsed: String {
        let seconds = Int((ContinuousClock.now - started).components.seconds)
        return String(format: "%02d:%02d", seconds / 60, seconds % 60)
    }

    private func redraw() {
        lock.withLock {
            guard !stopped else { return }
            let columns = terminalColumns()
            let counts = status?() ?? ""
            var line = "[\(elapsed)] \(step)" + (counts.isEmpty ? "" : " \(counts)") + (detail.isEmpty ? "" : " · \(detail)")
            if line.count > columns - 1 { line = String(line.prefix(max(10, columns - 2))) + "…" }
            write("\r\u{1B}[2K" + line)
        }
    }

    private func log(_ line: String) {
        let stamp = ReportOrderingTime.now()
        lock.withLock { write("\(stamp) [\(elapsed)] \(line)\n") }
    }

    private func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }

    private func terminalColumns() -> Int {
        var size = winsize()
        if ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        return 100
    }
}

enum ReportOrderingTime {
    static func now() -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "HH:mm:ss"
        return formatter.string(from: Date())
    }
}

/// Turns Swift Testing's event records (as the in-process run produces them) into progress: each
/// test case as it starts, each issue as it is recorded, each skip.
final class TestEventProgress: @unchecked Sendable {
    private let progress: RunProgress
    private let lock = NSLock()
    private var names: [String: String] = [:]
    private var tally: RunTally
    private let showsEstimate: Bool

    /// `showsEstimate`: whether the time left is worth showing (not when suites run at once, as
    /// `--quick` does: the priors add up one after another).
    init(progress: RunProgress, settings: RunTally.Settings, showsEstimate: Bool) {
        self.progress = progress
        self.tally = RunTally(settings: settings)
        self.showsEstimate = showsEstimate
        progress.setStatus { [weak self] in self?.status ?? "" }
    }

    private var status: String {
        let now = progress.secondsSinceStart
        return lock.withLock { tally.total == 0 ? "" : tally.summary(now: now, withEstimate: showsEstimate) }
    }

    /// Handles one JSON record of the event stream.
    func handle(_ record: Data) {
        guard let object = try? JSONSerialization.jsonObject(with: record) as? [String: Any],
            let kind = object["kind"] as? String, let payload = object["payload"] as? [String: Any]
        else { return }
        let now = progress.secondsSinceStart
        if kind == "test", let id = payload["id"] as? String {
            lock.withLock {
                names[id] = payload["displayName"] as? String ?? payload["name"] as? String
                if payload["kind"] as? String == "function" {
                    let cases = (payload["_testCases"] as? [[String: Any]] ?? []).compactMap { $0["displayName"] as? String }
                    tally.plan(testID: id, caseNames: cases)
                }
            }
            return
        }
        guard kind == "event", let event = payload["kind"] as? String, let testID = payload["testID"] as? String else { return }
        let name = lock.withLock { names[testID] } ?? testID
        let rawArgument = (payload["_testCase"] as? [String: Any])?["displayName"] as? String
        let argument = rawArgument.map { $0.replacingOccurrences(of: "\"", with: "") }
        let label = argument.map { "\(name) (\($0))" } ?? name
        switch event {
        case "testCaseStarted":
            lock.withLock { tally.started(testID: testID, caseName: rawArgument, at: now) }
            progress.update(label)
        case "testCaseEnded": lock.withLock { tally.ended(testID: testID, caseName: rawArgument, at: now) }
        case "testStarted":
            lock.withLock { tally.started(testID: testID, caseName: nil, at: now) }
            progress.update(testID.contains("/") ? label : "suite \(name)")
        case "testEnded": lock.withLock { tally.ended(testID: testID, caseName: nil, at: now) }
        case "issueRecorded":
            let messages = (payload["messages"] as? [[String: Any]] ?? []).compactMap { $0["text"] as? String }
            progress.note("✘ \(label): \(messages.joined(separator: " — "))")
        case "testSkipped":
            lock.withLock { tally.skipped(testID: testID, at: now) }
            progress.note("⏭ \(label): skipped")
        default: break
        }
    }
}
