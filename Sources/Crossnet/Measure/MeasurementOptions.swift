import Foundation

/// How long, how often and how hard to measure, with the limits used to flag figures: the
/// inventory's `measurement` and `thresholds`, optionally overridden by environment variables
/// (`CROSSNET_MEASURE_DURATION` seconds, `CROSSNET_MEASURE_REPEATS`, `CROSSNET_MEASURE_SAMPLES`,
/// `CROSSNET_MEASURE_PAIRS` = `mesh`|`star`) for short CI runs.
public struct MeasurementOptions: Sendable, Equatable {
    /// Seconds per iperf3 run (`-t`), after one omitted second (`-O 1`); also sockperf's `-t`.
    public var durationSeconds: Int
    /// iperf3 runs per throughput figure.
    public var repeats: Int
    public var parallelStreams: Int
    public var udpRateBitsPerSecond: Double
    /// ICMP echo requests per latency figure (after warm-up).
    public var latencySamples: Int
    /// Leading samples discarded as warm-up (ARP, caches, conntrack); sockperf drops its own first.
    public var warmUpSamples: Int
    /// Name lookups per DNS figure.
    public var dnsLookups: Int
    /// sockperf messages per second.
    public var sockperfMessagesPerSecond: Int
    public var pairs: PairMode
    /// Whether a round's pairs run at once or one after another.
    public var concurrency: MeasurementConcurrency = .rounds
    public var cpuBoundPercent: Double
    public var noisyCoefficientOfVariationPercent: Double
    /// Tool versions inside the probe image (`iperf3`, `sockperf`, `busybox`).
    public var toolVersions: [String: String]

    public init(
        durationSeconds: Int = 10, repeats: Int = 3, parallelStreams: Int = 4, udpRateBitsPerSecond: Double = 1e9,
        latencySamples: Int = 200, warmUpSamples: Int = 10, dnsLookups: Int = 50, sockperfMessagesPerSecond: Int = 2000,
        pairs: PairMode = .mesh, cpuBoundPercent: Double = 90, noisyCoefficientOfVariationPercent: Double = 10,
        toolVersions: [String: String] = [:]
    ) {
        self.durationSeconds = durationSeconds
        self.repeats = repeats
        self.parallelStreams = parallelStreams
        self.udpRateBitsPerSecond = udpRateBitsPerSecond
        self.latencySamples = latencySamples
        self.warmUpSamples = warmUpSamples
        self.dnsLookups = dnsLookups
        self.sockperfMessagesPerSecond = sockperfMessagesPerSecond
        self.pairs = pairs
        self.cpuBoundPercent = cpuBoundPercent
        self.noisyCoefficientOfVariationPercent = noisyCoefficientOfVariationPercent
        self.toolVersions = toolVersions
    }

    /// The inventory's settings with the environment's overrides applied.
    public init(
        inventory: Inventory, toolVersions: [String: String],
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) {
        let m = inventory.measurement
        self.init(
            durationSeconds: m.durationSeconds, repeats: m.repeats, parallelStreams: m.parallelStreams,
            udpRateBitsPerSecond: m.udpRateBitsPerSecond, latencySamples: m.latencySamples,
            dnsLookups: Swift.min(50, m.latencySamples), pairs: m.pairs,
            cpuBoundPercent: inventory.thresholds.cpuBoundPercent,
            noisyCoefficientOfVariationPercent: inventory.thresholds.noisyCoefficientOfVariationPercent,
            toolVersions: toolVersions)
        if let value = environment["CROSSNET_MEASURE_DURATION"].flatMap(Int.init), value > 0 { durationSeconds = value }
        if let value = environment["CROSSNET_MEASURE_REPEATS"].flatMap(Int.init), value > 0 { repeats = value }
        if let value = environment["CROSSNET_MEASURE_SAMPLES"].flatMap(Int.init), value > 0 {
            latencySamples = value
            dnsLookups = Swift.min(dnsLookups, value)
        }
        if let value = environment["CROSSNET_MEASURE_PAIRS"].flatMap(PairMode.init(rawValue:)) { pairs = value }
        concurrency = environment["CROSSNET_MEASURE_CONCURRENCY"].flatMap(MeasurementConcurrency.init(rawValue:)) ?? m.concurrency
    }

    func version(_ tool: String) -> String { toolVersions[tool] ?? "unknown" }
}
