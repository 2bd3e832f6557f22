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
            var line = "[\(elapsed)] \(step)" + (detail.isEmpty ? "" : " · \(detail)")
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
