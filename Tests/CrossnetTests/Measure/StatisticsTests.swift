import Foundation
import Testing

@testable import Crossnet

@Suite("sample statistics")
struct StatisticsTests {
    @Test("CI95 of a known sample matches the hand-computed Student t interval")
    func confidenceInterval() throws {
        // x = 10, 12, 14, 16, 18: mean 14, s = sqrt(10) = 3.1623, t(4) = 2.776,
        // half-width = 2.776 × 3.1623 / sqrt(5) = 3.9259.
        let stats = try #require(SampleStatistics([10, 12, 14, 16, 18]))
        #expect(stats.mean == 14)
        #expect(abs(stats.standardDeviation - 10.0.squareRoot()) < 1e-12)
        #expect(abs(stats.ci95Low - (14 - 3.92591)) < 1e-4)
        #expect(abs(stats.ci95High - (14 + 3.92591)) < 1e-4)
        #expect(abs(stats.coefficientOfVariationPercent - 10.0.squareRoot() / 14 * 100) < 1e-9)
    }

    @Test("Student t critical values at the table's edges", arguments: [(1, 12.706), (2, 4.303), (10, 2.228), (30, 2.042), (40, 2.021), (1000, 1.960)])
    func studentT(df: Int, t: Double) {
        #expect(SampleStatistics.studentT95(degreesOfFreedom: df) == t)
    }

    @Test("median of odd and even counts", arguments: [([3.0, 1, 2], 2.0), ([4.0, 1, 3, 2], 2.5), ([7.0], 7.0), ([5.0, 5], 5.0)])
    func median(samples: [Double], median: Double) throws {
        #expect(try #require(SampleStatistics(samples)).median == median)
    }

    @Test("one sample: zero spread and a degenerate interval; none: nil")
    func edges() throws {
        let one = try #require(SampleStatistics([42]))
        #expect(one.standardDeviation == 0 && one.ci95Low == 42 && one.ci95High == 42 && one.coefficientOfVariationPercent == 0)
        #expect(SampleStatistics([]) == nil)
    }

    @Test("the median's interval is order statistics with its exact level: none below 3 repeats, [min, max] at 75% for 3, 95% from 6")
    func medianInterval() throws {
        #expect(try #require(SampleStatistics([5])).medianInterval == nil)
        #expect(try #require(SampleStatistics([5, 6])).medianInterval == nil)
        let three = try #require(SampleStatistics([12, 10, 11]))
        #expect(three.medianInterval == ConfidenceInterval(low: 10, high: 12, level: 0.75))
        #expect(try #require(SampleStatistics([1, 2, 3, 4, 5])).medianInterval?.level == 0.9375)
        // n = 6: [x(1), x(6)] holds 1 − 2 × 2⁻⁶ = 96.875%; n = 10: [x(2), x(9)] holds 97.85%.
        #expect(try #require(SampleStatistics((1...6).map(Double.init))).medianInterval?.level == 0.9687)
        let ten = try #require(SampleStatistics((1...10).map(Double.init))?.medianInterval)
        #expect(ten.low == 2 && ten.high == 9 && ten.level == 0.9785)
    }

    @Test("tail percentiles: p99 of ~1100 sockperf samples gets a 95% interval, p99.9 of 200 pings gets none")
    func tailIntervals() throws {
        let log = try SockperfLog.parse(try MeasureFixtures.text("sockperf/udp-full-log.csv"), droppingFirst: 0)
        let sorted = log.rtts.sorted()
        let p99 = try #require(ConfidenceInterval.quantile(0.99, sorted: sorted))
        #expect(p99.level >= 0.95)
        let d = LatencyDistribution(seconds: log.rtts)
        #expect(p99.low <= d.percentile(99) * 1.001 && d.percentile(99) <= p99.high * 1.001)
        // Binomial(200, 0.999): at most 1 − 0.999²⁰⁰ = 18% can be covered — no interval.
        #expect(ConfidenceInterval.quantile(0.999, sorted: Array(sorted.prefix(200))) == nil)
        // Binomial(200, 0.99): the widest interval [x(l), max] covers at most 1 − 0.99²⁰⁰ = 86.6%.
        let p99of200 = try #require(ConfidenceInterval.quantile(0.99, sorted: Array(sorted.prefix(200))))
        #expect(p99of200.level < 0.95 && p99of200.level > 0.75)
        #expect(p99of200.high == sorted.prefix(200).last)
    }

    @Test("binomial CDF matches hand-computed values")
    func binomial() {
        let cdf = ConfidenceInterval.binomialCDF(n: 3, p: 0.5)
        #expect(zip(cdf, [0.125, 0.5, 0.875, 1.0]).allSatisfy { abs($0 - $1) < 1e-12 })
        let big = ConfidenceInterval.binomialCDF(n: 20000, p: 0.5)
        #expect(abs(big[10000] - 0.502821) < 1e-5)
    }

    @Test("HdrHistogram percentiles of uniform 1…10000 µs are within 0.1%", arguments: [50.0, 90, 99, 99.9])
    func uniformPercentiles(p: Double) {
        let d = LatencyDistribution(seconds: (1...10000).map { Double($0) * 1e-6 })
        let expected = p / 100 * 10000e-6
        #expect(abs(d.percentile(p) - expected) / expected < 0.001, "p\(p): \(d.percentile(p)) vs \(expected)")
        #expect(d.count == 10000)
        #expect(abs(d.mean - 5000.5e-6) < 1e-12)
        #expect(abs(d.min - 1e-6) < 1e-9)
        #expect(abs(d.max - 10000e-6) / 10000e-6 < 0.001)
    }

    @Test("the exact stddev of a distribution matches the sample formula")
    func distributionStddev() {
        let values = [1.0, 2, 3, 4, 5].map { $0 * 1e-3 }
        let d = LatencyDistribution(seconds: values)
        #expect(abs(d.standardDeviation - 2.5.squareRoot() * 1e-3) < 1e-12)
    }
}

@Suite("records from repeats")
struct RecordBuildingTests {
    static let endpoints = MeasurementEndpoints(
        driver: .userBridge,
        source: ProbeEndpoint(host: "h1", containerID: "a", name: "a", address: "10.0.0.2"),
        target: ProbeEndpoint(host: "h2", containerID: "b", name: "b", address: "10.0.0.3"),
        targetAddress: "10.0.0.3", dnsName: "b")

    @Test("throughput value is the median over repeats; CPU over the threshold flags cpu-bound, CV over the threshold flags noisy")
    func flags() throws {
        let one = try IperfReport.parse(try MeasureFixtures.data("iperf3/tcp-1stream.json"))
        let four = try IperfReport.parse(try MeasureFixtures.data("iperf3/tcp-4streams.json"))
        let runner = { (cpu: Double, cv: Double) in
            ThroughputRunner.recordsForTest(options: MeasurementOptions(repeats: 3, cpuBoundPercent: cpu, noisyCoefficientOfVariationPercent: cv))
        }
        let quiet = runner(90, 50)([one, one, four], .tcp(streams: 1), Self.endpoints)
        let record = try #require(quiet.first)
        #expect(record.value == one.receivedBitsPerSecond)
        #expect(record.stats.samples == 3)
        // The headline's interval is the median's ([min, max] of 3 repeats, 75%), not the mean's.
        let ci = try #require(record.stats.interval("p50"))
        #expect(ci.level == 0.75 && ci.low <= record.value && record.value <= ci.high && record.stats.ci95Low == nil)
        #expect(record.flags.isEmpty)
        #expect(record.parameters.version == "3.12")
        #expect(record.source == "h1" && record.target == "h2" && record.unit == "bit/s")
        let flagged = runner(50, 5)([one, one, four], .tcp(streams: 1), Self.endpoints)
        #expect(flagged.first?.flags == ["cpu-bound", "noisy"])
    }

    @Test("UDP gives throughput, loss and jitter records")
    func udp() throws {
        let udp = try IperfReport.parse(try MeasureFixtures.data("iperf3/udp-100M.json"))
        let records = ThroughputRunner.recordsForTest(options: MeasurementOptions())([udp, udp], .udp(rateBitsPerSecond: 1e8), Self.endpoints)
        #expect(records.map(\.metric) == ["throughput", "loss", "jitter"])
        #expect(records.map(\.unit) == ["bit/s", "%", "s"])
        #expect(records[0].parameters.rateBitsPerSecond == 1e8)
        // Three repeats that all lost nothing: the loss interval is not [0, 0] (certainty) but one
        // datagram of the run either way (the captured run: 763 datagrams, 0 lost).
        let three = ThroughputRunner.recordsForTest(options: MeasurementOptions())([udp, udp, udp], .udp(rateBitsPerSecond: 1e8), Self.endpoints)
        let loss = try #require(three.first { $0.metric == "loss" }?.stats.interval("p50"))
        #expect(loss.low == 0 && abs(loss.high - 100.0 / 763) < 1e-12 && loss.method == "order-statistic+resolution")
    }

    @Test("a latency record carries intervals for p50, p90 and p99 from its samples (sockperf fixture)")
    func latencyIntervals() throws {
        let log = try SockperfLog.parse(try MeasureFixtures.text("sockperf/tcp-full-log.csv"), droppingFirst: 0)
        let record = LatencyRunner.record(
            samples: log.rtts, metric: "rtt", protocol: "tcp", endpoints: Self.endpoints, testName: "t",
            parameters: .init(tool: "sockperf", version: "3.10"), noisyCV: 10)
        for name in ["p50", "p90", "p99"] {
            let ci = try #require(record.stats.interval(name), "\(name)")
            let value = name == "p50" ? record.value : (name == "p90" ? record.stats.p90! : record.stats.p99!)
            #expect(ci.low <= value && value <= ci.high && ci.level >= 0.95, "\(name): \(ci) vs \(value)")
        }
    }

    @Test("latency from several runs: intervals span every run's percentile, the method says so, and disagreeing runs flag noisy")
    func latencyRepeats() throws {
        // The captured sockperf log cut into 3 consecutive runs: the runs agree, so no flag, and
        // every percentile's interval still holds each run's own value.
        let rtts = try SockperfLog.parse(try MeasureFixtures.text("sockperf/tcp-full-log.csv"), droppingFirst: 0).rtts
        let third = rtts.count / 3
        let runs = [Array(rtts[0..<third]), Array(rtts[third..<(2 * third)]), Array(rtts[(2 * third)...])]
        let steady = LatencyRunner.record(
            repeats: runs, metric: "rtt", protocol: "tcp", endpoints: Self.endpoints, testName: "t",
            parameters: .init(tool: "sockperf", version: "3.7", repeats: 3), noisyCV: 10)
        #expect(steady.flags.isEmpty)
        #expect(steady.stats.samples == rtts.count)
        for (name, q) in [("p50", 50.0), ("p90", 90.0), ("p99", 99.0)] {
            let ci = try #require(steady.stats.interval(name))
            #expect(ci.method == "order-statistic+repeat-range")
            for run in runs {
                let value = LatencyDistribution(seconds: run).percentile(q)
                #expect(ci.low <= value && value <= ci.high, "\(name): \(value) outside \(ci)")
            }
        }
        // Runs that sit in different scheduler modes (the virtual lab's same-host bridge TCP RTT:
        // 15.9 µs in one run, 265.7 µs in the next): the one run's tight interval would call the
        // next a regression; the runs' range does not, and the figure is flagged noisy.
        let fast = rtts.map { $0 * 15.9e-6 / steady.value }, slow = rtts.map { $0 * 265.7e-6 / steady.value }
        let mixed = LatencyRunner.record(
            repeats: [fast, slow, fast], metric: "rtt", protocol: "tcp", endpoints: Self.endpoints, testName: "t",
            parameters: .init(tool: "sockperf", version: "3.7", repeats: 3), noisyCV: 10)
        let single = LatencyRunner.record(
            samples: fast, metric: "rtt", protocol: "tcp", endpoints: Self.endpoints, testName: "t",
            parameters: .init(tool: "sockperf", version: "3.7"), noisyCV: 10)
        let mixedCI = try #require(mixed.stats.interval("p50")), singleCI = try #require(single.stats.interval("p50"))
        #expect(mixed.flags == ["noisy"])
        #expect(mixedCI.high >= 265e-6 && mixedCI.low <= 16e-6)
        #expect(singleCI.high < 20e-6 && singleCI.method == "order-statistic")
        // ping's samples are shared between the runs and add up to the figure's count.
        #expect(LatencyRunner.pingCounts(total: 200, repeats: 3) == [67, 67, 66])
        #expect(LatencyRunner.pingCounts(total: 50, repeats: 3) == [25, 25])
        #expect(LatencyRunner.pingCounts(total: 10, repeats: 3) == [10])
    }

    @Test("overhead within one placement: across hosts against host, on one host against loopback")
    func overheadPlacement() {
        func record(_ driver: String, _ source: String, _ target: String, _ gbps: Double, _ placement: MeasurementPlacement?) -> MeasurementRecord {
            MeasurementRecord(
                test: "t", driver: driver, metric: "throughput", protocol: "tcp", source: source, target: target, unit: "bit/s",
                value: gbps, stats: .init(samples: 3), parameters: .init(tool: "iperf3", version: "3.12", streams: 1), placement: placement)
        }
        let records = [
            record("host", "h1", "h2", 10, .crossHost), record("host", "h1", "h1", 40, .sameHost),
            record("bridge", "h1", "h2", 8, .crossHost), record("bridge", "h1", "h1", 30, nil), record("overlay", "h1", "h1", 20, .sameHost),
        ]
        let overhead = overheadVersusHost(records)
        #expect(overhead == [2: 20, 3: 25, 4: 50])
        #expect(MetricDirection(metric: "throughput") == .higherIsBetter && MetricDirection(metric: "pmtu") == .higherIsBetter)
        #expect(MetricDirection(metric: "rtt") == .lowerIsBetter && RunComparison.higherIsBetter("loss") == false)
    }

    @Test("overhead against the host network", arguments: [
        (900.0, 1000.0, "throughput", 10.0), (0.00015, 0.0001, "rtt", 50.0), (2.0, 0.5, "loss", 1.5), (1.0, 0.0, "rtt", nil as Double?),
    ])
    func overhead(driver: Double, host: Double, metric: String, expected: Double?) {
        let value = overheadPercent(driverValue: driver, hostValue: host, metric: metric)
        if let expected { #expect(abs(value! - expected) < 1e-9) } else { #expect(value == nil) }
    }
}

extension ThroughputRunner {
    /// The pure record building, without a fleet.
    static func recordsForTest(options: MeasurementOptions) -> ([IperfReport], ThroughputTest, MeasurementEndpoints) -> [MeasurementRecord] {
        { reports, test, endpoints in
            ThroughputRunner.buildRecords(from: reports, test: test, endpoints: endpoints, testName: "t", mtu: 1500, options: options)
        }
    }
}
