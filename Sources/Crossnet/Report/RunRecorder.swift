import Foundation

/// Results recorded, typed, where they are produced: claim results and measurement records, each
/// with the test that produced it. `crossnet run` builds the report from these; nothing is
/// reconstructed from test names. Thread-safe.
public final class RunRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var claims: [ClaimResult] = []
    private var records: [MeasurementRecord] = []

    public init() {}

    /// Records claim results.
    public func record(_ results: [ClaimResult]) {
        lock.withLock { claims += results }
    }

    /// Records measurement records.
    public func record(_ measurements: [MeasurementRecord]) {
        lock.withLock { records += measurements }
    }

    /// Claim results so far, in the order recorded.
    public var claimResults: [ClaimResult] { lock.withLock { claims } }

    /// Measurement records so far, in the order recorded.
    public var measurements: [MeasurementRecord] { lock.withLock { records } }
}
