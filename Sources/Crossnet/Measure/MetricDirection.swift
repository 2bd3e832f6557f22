/// Which way a metric gets better: the one rule every comparison in Crossnet uses (overhead
/// against a baseline, driver tables, run comparison).
public enum MetricDirection: String, Sendable, Equatable {
    /// Larger values are better: `throughput`, `pmtu`.
    case higherIsBetter = "higher-is-better"
    /// Smaller values are better: `rtt`, `dns`, `jitter`, `loss` and anything else.
    case lowerIsBetter = "lower-is-better"

    /// The direction of `metric` (a record's `metric` field).
    public init(metric: String) {
        switch metric {
        case "throughput", "pmtu": self = .higherIsBetter
        default: self = .lowerIsBetter
        }
    }

    /// `true` when `metric`'s larger values are better.
    public static func higherIsBetter(_ metric: String) -> Bool { MetricDirection(metric: metric) == .higherIsBetter }

    /// How much worse `value` is than `baseline`, as a signed amount in `baseline`'s units:
    /// positive when worse, negative when better.
    public func worsening(from baseline: Double, to value: Double) -> Double {
        self == .higherIsBetter ? baseline - value : value - baseline
    }

    /// Whether `value` is worse than `baseline`.
    public func isWorse(_ value: Double, than baseline: Double) -> Bool { worsening(from: baseline, to: value) > 0 }
}
