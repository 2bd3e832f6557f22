import Foundation

/// One measured figure as it appears in `results.json` → `measurements[]`.
public struct MeasurementRecord: Codable, Sendable, Equatable {
    /// The test that produced it (the Swift Testing test id or display name).
    public var test: String
    /// Driver id (`bridge`, `user-bridge`, `compose`, `host`, `none`, `overlay`, `macvlan`).
    public var driver: String
    /// `throughput`, `rtt`, `dns`, `loss`, `jitter`, `pmtu`.
    public var metric: String
    /// `tcp`, `udp`, `icmp`.
    public var `protocol`: String
    /// Host that sends the payload.
    public var source: String
    /// Host that receives it.
    public var target: String
    /// `bit/s`, `s`, `%`, `bytes`.
    public var unit: String
    /// The headline: median for throughput, p50 for latency.
    public var value: Double
    public var stats: Stats
    public var parameters: Parameters
    /// `noisy`, `cpu-bound`; `self-test` on a figure a self-test measured under conditions it set
    /// (the accuracy check's tbf-capped link), which drivers' tables and `compare` leave out.
    public var flags: [String]

    /// The flag of a figure measured by a self-test.
    public static let selfTestFlag = "self-test"

    /// Whether a self-test measured it (not a driver's own figure).
    public var isSelfTest: Bool { flags.contains(Self.selfTestFlag) }
    /// Where the two ends sit: across hosts or on one host. `nil` in files written before it existed.
    public var placement: MeasurementPlacement?

    public struct Stats: Codable, Sendable, Equatable {
        public var p50: Double?
        public var p90: Double?
        public var p99: Double?
        public var p999: Double?
        public var min: Double?
        public var max: Double?
        public var mean: Double?
        public var stddev: Double?
        /// 95% interval of the *mean*, written by schema version 1 (read, no longer written: the
        /// headline is a median, and ``intervals`` describes it).
        public var ci95Low: Double?
        public var ci95High: Double?
        /// Confidence intervals by statistic (`p50` — the headline —, `p90`, `p99`, `p999`), each
        /// with its real level; a statistic without one (too few samples) has no entry.
        public var intervals: [String: ConfidenceInterval]?
        /// Number of samples the figure summarises (repeats for throughput, RTT samples for latency).
        public var samples: Int

        public init(
            p50: Double? = nil, p90: Double? = nil, p99: Double? = nil, p999: Double? = nil, min: Double? = nil,
            max: Double? = nil, mean: Double? = nil, stddev: Double? = nil, ci95Low: Double? = nil,
            ci95High: Double? = nil, intervals: [String: ConfidenceInterval]? = nil, samples: Int
        ) {
            self.p50 = p50
            self.p90 = p90
            self.p99 = p99
            self.p999 = p999
            self.min = min
            self.max = max
            self.mean = mean
            self.stddev = stddev
            self.ci95Low = ci95Low
            self.ci95High = ci95High
            self.intervals = intervals
            self.samples = samples
        }

        /// The interval of `statistic` (`p50` for the headline, `p99`, …): from ``intervals``, or
        /// for a schema-1 file's headline its 95% interval when it had at least 2 samples and a
        /// width (one repeat gave a zero-width interval that meant nothing). `nil`: no interval.
        public func interval(_ statistic: String) -> ConfidenceInterval? {
            if let interval = intervals?[statistic] { return interval }
            guard statistic == "p50", intervals == nil, samples >= 2, let low = ci95Low, let high = ci95High, low < high
            else { return nil }
            return ConfidenceInterval(low: low, high: high, level: 0.95, method: "student-t-mean")
        }
    }

    public struct Parameters: Codable, Sendable, Equatable {
        /// `iperf3`, `sockperf`, `ping`, `nslookup`.
        public var tool: String
        /// The tool's version, e.g. `3.12`.
        public var version: String
        public var durationSeconds: Double?
        public var streams: Int?
        /// Target rate for UDP, bit/s.
        public var rateBitsPerSecond: Double?
        /// MTU of the source container's interface towards the target.
        public var mtu: Int?
        public var repeats: Int?
        /// The source host's interface the path leaves by (`eth0` across hosts, the bridge on one
        /// host); recorded with `pmtu`.
        public var parentInterface: String?
        /// That interface's MTU, beside `pmtu` (e.g. 1500 under an overlay's 1450).
        public var parentMTU: Int?

        public init(
            tool: String, version: String, durationSeconds: Double? = nil, streams: Int? = nil,
            rateBitsPerSecond: Double? = nil, mtu: Int? = nil, repeats: Int? = nil, parentInterface: String? = nil,
            parentMTU: Int? = nil
        ) {
            self.tool = tool
            self.version = version
            self.durationSeconds = durationSeconds
            self.streams = streams
            self.rateBitsPerSecond = rateBitsPerSecond
            self.mtu = mtu
            self.repeats = repeats
            self.parentInterface = parentInterface
            self.parentMTU = parentMTU
        }
    }

    public init(
        test: String, driver: String, metric: String, protocol: String, source: String, target: String, unit: String,
        value: Double, stats: Stats, parameters: Parameters, flags: [String] = [],
        placement: MeasurementPlacement? = nil
    ) {
        self.test = test
        self.driver = driver
        self.metric = metric
        self.protocol = `protocol`
        self.source = source
        self.target = target
        self.unit = unit
        self.value = value
        self.stats = stats
        self.parameters = parameters
        self.flags = flags
        self.placement = placement
    }
}

/// Where a measurement's two ends sit. The driver comparison only compares figures of one
/// placement: across hosts (`host`, `bridge` through a published port, `overlay`, `macvlan`) or on
/// one host (`bridge`, `user-bridge`, `compose`, `macvlan`, `overlay`, against the host's loopback).
public enum MeasurementPlacement: String, Codable, Sendable, CaseIterable {
    /// Source and target containers on different hosts.
    case crossHost = "cross-host"
    /// Source and target on the same host.
    case sameHost = "same-host"
}
