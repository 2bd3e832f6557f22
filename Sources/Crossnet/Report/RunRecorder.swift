import Foundation

/// Results recorded, typed, where they are produced: claim results and measurement records, each
/// with the test that produced it. `crossnet run` builds the report from these; nothing is
/// reconstructed from test names. Thread-safe.
public final class RunRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var claims: [ClaimResult] = []
    private var records: [MeasurementRecord] = []
    private let onMeasurement: (@Sendable (MeasurementRecord) -> Void)?

    /// - Parameter onMeasurement: called with each record as it is recorded (progress lines).
    public init(onMeasurement: (@Sendable (MeasurementRecord) -> Void)? = nil) {
        self.onMeasurement = onMeasurement
    }

    /// Records claim results.
    public func record(_ results: [ClaimResult]) {
        lock.withLock { claims += results }
    }

    /// Records measurement records.
    public func record(_ measurements: [MeasurementRecord]) {
        lock.withLock { records += measurements }
        if let onMeasurement { measurements.forEach(onMeasurement) }
    }

    /// Claim results so far, in the order recorded.
    public var claimResults: [ClaimResult] { lock.withLock { claims } }

    /// Measurement records so far, in the order recorded.
    public var measurements: [MeasurementRecord] { lock.withLock { records } }
}

extension MeasurementRecord {
    /// One progress line: `overlay h1→h2 tcp throughput 12.4 Gbit/s ±3%` (± half the interval,
    /// relative), `rtt p50 61 µs`, `pmtu 1450 bytes`.
    public var progressLine: String {
        let figure: String
        switch unit {
        case "bit/s": figure = String(format: "%.2f Gbit/s", value / 1e9)
        case "s": figure = String(format: "%.0f µs", value * 1e6)
        default: figure = (value == value.rounded() ? String(Int(value)) : String(format: "%.3g", value)) + " " + unit
        }
        var spread = ""
        if let interval = stats.interval("p50"), value > 0 {
            spread = String(format: " ±%.0f%% (%.0f%%)", (interval.high - interval.low) / 2 / value * 100, interval.level * 100)
        }
        let flagText = flags.isEmpty ? "" : " [" + flags.joined(separator: ", ") + "]"
        return "\(driver) \(source)→\(target) \(`protocol`) \(metric) \(figure)\(spread)\(flagText)"
    }
}
