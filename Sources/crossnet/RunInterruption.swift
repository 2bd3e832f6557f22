import Dispatch
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// SIGINT and SIGTERM during `crossnet run`. The first signal cancels the run's work (which then
/// tears down what it made and writes a partial report marked interrupted); a second signal exits
/// at once, printing the run id and the `crossnet clean --run ID` line that finishes the job. If
/// the orderly stop takes longer than ``gracePeriod``, Crossnet exits anyway with that same line,
/// so an interrupted run always ends within 30 s.
final class RunInterruption: @unchecked Sendable {
    /// How long the orderly stop may take before Crossnet exits regardless.
    static let gracePeriod: Duration = .seconds(27)

    private let lock = NSLock()
    private var received: Int32?
    private var sources: [DispatchSourceSignal] = []
    private var onInterrupt: (@Sendable () -> Void)?
    private var runID: String?

    /// The first signal received (`SIGINT`, `SIGTERM`), if any.
    var signal: Int32? { lock.withLock { received } }

    /// The exit status for the signal: 128 + its number (130 for SIGINT, 143 for SIGTERM).
    var exitStatus: Int32? { signal.map { 128 + $0 } }

    /// Starts handling SIGINT and SIGTERM; `onInterrupt` runs once, on the first signal.
    func install(onInterrupt: @escaping @Sendable () -> Void) {
        lock.withLock { self.onInterrupt = onInterrupt }
        for number in [SIGINT, SIGTERM] {
            Glibc.signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [weak self] in self?.handle(number) }
            source.resume()
            sources.append(source)
        }
    }

    /// The run id the exit message names.
    func setRunID(_ id: String) { lock.withLock { runID = id } }

    private func handle(_ number: Int32) {
        let (first, action, id) = lock.withLock { () -> (Bool, (@Sendable () -> Void)?, String?) in
            if received == nil {
                received = number
                return (true, onInterrupt, runID)
            }
            return (false, nil, runID)
        }
        let name = number == SIGINT ? "SIGINT" : "SIGTERM"
        guard first else {
            Self.exitNow(status: 128 + number, because: "\(name) again", runID: id)
        }
        FileHandle.standardError.write(Data(
            "\n\(name): stopping the run — tearing down what it created and writing a partial report (signal again to exit at once)\n".utf8))
        action?()
        DispatchQueue.global().asyncAfter(deadline: .now() + .seconds(Int(Self.gracePeriod.components.seconds))) { [weak self] in
            Self.exitNow(status: 128 + number, because: "the orderly stop took longer than \(Self.gracePeriod)", runID: self?.lock.withLock { self?.runID })
        }
    }

    private static func exitNow(status: Int32, because reason: String, runID: String?) -> Never {
        var message = "\ncrossnet: exiting at once (\(reason))"
        if let runID {
            message += "; run \(runID) may have left containers, networks or a swarm behind: `crossnet clean --run \(runID)` removes them"
        }
        FileHandle.standardError.write(Data((message + "\n").utf8))
        _exit(status)
    }
}
