import Foundation

/// What an iperf3 throughput test sends.
public enum ThroughputTest: Sendable, Equatable, CustomStringConvertible {
    /// TCP with `streams` parallel streams (`-P`).
    case tcp(streams: Int)
    /// UDP at a target rate (`-u -b`), bit/s.
    case udp(rateBitsPerSecond: Double)

    public var description: String {
        switch self {
        case .tcp(let streams): "TCP \(streams) stream\(streams == 1 ? "" : "s")"
        case .udp(let rate): "UDP \(Int(rate / 1e6)) Mbit/s"
        }
    }
}

/// Measures throughput with iperf3 between two probe containers: a one-off server
/// (`iperf3 -s -1 -D`) in the target, the client with JSON output in the source, repeated; the
/// figure is the median over repeats.
public struct ThroughputRunner: Sendable {
    /// TCP/UDP port of the iperf3 server (away from common services; also used on the host network).
    public static let port = ProbePorts.iperf3

    public let shell: ProbeShell
    public let options: MeasurementOptions

    public init(fleet: HostFleet, options: MeasurementOptions) {
        self.shell = ProbeShell(fleet: fleet)
        self.options = options
    }

    /// Runs one iperf3 test and returns its report (`omit` seconds are left out of the figure).
    public func runOnce(_ test: ThroughputTest, between endpoints: MeasurementEndpoints, duration: Int? = nil) async throws -> IperfReport {
        let duration = duration ?? options.durationSeconds
        // Through a published port the client connects to the host port: iperf3 opens its data
        // connections (and UDP flow) to the same port as its control connection, so one `-p` covers both.
        let clientPort = String(endpoints.clientPort(Self.port))
        // A server left by an earlier failed run would hold the port: end it first.
        try await shell.check(
            endpoints.target,
            ["sh", "-c", "pkill -x iperf3 2>/dev/null; sleep 0.1; iperf3 -s -1 -D -p \(Self.port)"], timeout: .seconds(20))
        var client = ["iperf3", "-c", endpoints.targetAddress, "-p", clientPort, "-J", "-t", String(duration),
                      "--connect-timeout", "5000"]
        switch test {
        case .tcp(let streams) where streams > 1: client += ["-O", "1", "-P", String(streams)]
        case .tcp: client += ["-O", "1"]
        // No omitted second for UDP: iperf3 3.12 leaves the omitted datagrams out of the count but
        // not out of the sequence numbers, so the receiver counts them lost (loss over 100 % seen
        // with 1 s runs).
        case .udp(let rate): client += ["-u", "-b", String(Int(rate))]
        }
        let operation = ProbeShell.display(client, in: endpoints.source)
        var lastError: (any Error)?
        for attempt in 0..<3 {
            if attempt > 0 { try await Task.sleep(for: .milliseconds(300)) }
            let output = try await shell.run(endpoints.source, client, timeout: .seconds(duration + 40))
            do {
                return try IperfReport.parse(output.stdout, host: endpoints.source.host, operation: operation)
            } catch MeasurementError.toolReported(let host, let operation, let message)
                where message.contains("Connection refused") && attempt < 2
            {
                // The daemonised server may not listen yet.
                lastError = MeasurementError.toolReported(host: host, operation: operation, message: message)
                continue
            } catch MeasurementError.unparsable(let host, let operation, let reason, _) where output.stdout.isEmpty {
                throw MeasurementError.commandFailed(
                    host: host, operation: operation + " (\(reason))", exitStatus: output.exitStatus, output: output.stderrText)
            }
        }
        throw lastError ?? MeasurementError.noSamples(host: endpoints.source.host, operation: operation)
    }

    /// Measures `test` `options.repeats` times and returns its records: `throughput`, plus `loss`
    /// and `jitter` for UDP.
    public func measure(_ test: ThroughputTest, between endpoints: MeasurementEndpoints, testName: String) async throws -> [MeasurementRecord] {
        var reports: [IperfReport] = []
        for _ in 0..<Swift.max(1, options.repeats) {
            reports.append(try await runOnce(test, between: endpoints))
        }
        let mtu = await shell.pathMTU(from: endpoints.source, to: endpoints.targetAddress)
        return records(from: reports, test: test, endpoints: endpoints, testName: testName, mtu: mtu)
    }

    /// Builds the records of one figure from its repeats (pure; unit-tested).
    public func records(
        from reports: [IperfReport], test: ThroughputTest, endpoints: MeasurementEndpoints, testName: String, mtu: Int?
    ) -> [MeasurementRecord] {
        Self.buildRecords(from: reports, test: test, endpoints: endpoints, testName: testName, mtu: mtu, options: options)
    }

    /// Builds the records of one figure from its repeats with `options`' thresholds (pure).
    public static func buildRecords(
        from reports: [IperfReport], test: ThroughputTest, endpoints: MeasurementEndpoints, testName: String, mtu: Int?,
        options: MeasurementOptions
    ) -> [MeasurementRecord] {
        guard let throughput = SampleStatistics(reports.map(\.receivedBitsPerSecond)) else { return [] }
        let version = reports.compactMap(\.toolVersion).first ?? options.version("iperf3")
        var parameters = MeasurementRecord.Parameters(
            tool: "iperf3", version: version, durationSeconds: Double(options.durationSeconds), mtu: mtu,
            repeats: reports.count)
        let proto: String
        switch test {
        case .tcp(let streams):
            proto = "tcp"
            parameters.streams = streams
        case .udp(let rate):
            proto = "udp"
            parameters.streams = 1
            parameters.rateBitsPerSecond = rate
        }
        var flags: [String] = []
        if reports.contains(where: { $0.maxCPUPercent > options.cpuBoundPercent }) { flags.append("cpu-bound") }
        if throughput.coefficientOfVariationPercent > options.noisyCoefficientOfVariationPercent { flags.append("noisy") }
        func record(_ metric: String, unit: String, _ stats: SampleStatistics, flags: [String]) -> MeasurementRecord {
            MeasurementRecord(
                test: testName, driver: endpoints.driver.rawValue, metric: metric, protocol: proto,
                source: endpoints.source.host, target: endpoints.target.host, unit: unit, value: stats.median,
                stats: .init(repeats: stats), parameters: parameters, flags: flags, placement: endpoints.placement)
        }
        var records = [record("throughput", unit: "bit/s", throughput, flags: flags)]
        if case .udp = test {
            if let loss = SampleStatistics(reports.compactMap(\.lostPercent)) {
                var lossRecord = record("loss", unit: "%", loss, flags: flags.filter { $0 == "cpu-bound" })
                // Repeats that all lost the same share (most often none) give the order statistic
                // a zero-width interval, which would read as certainty: the interval is widened to
                // what the count can tell apart, one datagram of the shortest run either way.
                if var interval = lossRecord.stats.intervals?["p50"], interval.low >= interval.high,
                    let fewest = reports.compactMap(\.packets).filter({ $0 > 0 }).min()
                {
                    let resolution = 100 / Double(fewest)
                    interval.low = Swift.max(0, interval.low - resolution)
                    interval.high += resolution
                    interval.method = "order-statistic+resolution"
                    lossRecord.stats.intervals?["p50"] = interval
                }
                records.append(lossRecord)
            }
            if let jitter = SampleStatistics(reports.compactMap(\.jitterSeconds)) {
                var jitterFlags = flags.filter { $0 == "cpu-bound" }
                if jitter.coefficientOfVariationPercent > options.noisyCoefficientOfVariationPercent { jitterFlags.append("noisy") }
                records.append(record("jitter", unit: "s", jitter, flags: jitterFlags))
            }
        }
        return records
    }
}

extension MeasurementRecord.Stats {
    /// Stats of a figure summarised over repeats: median as p50 with its order-statistic interval
    /// (none below 3 repeats), mean and spread.
    public init(repeats stats: SampleStatistics) {
        self.init(
            p50: stats.median, min: stats.min, max: stats.max, mean: stats.mean, stddev: stats.standardDeviation,
            intervals: stats.medianInterval.map { ["p50": $0] }, samples: stats.count)
    }

    /// Stats of a latency distribution (percentiles from the HdrHistogram, exact mean and stddev),
    /// with order-statistic intervals of each percentile from the raw `samples` when given.
    ///
    /// With `runs` (the distributions of the same samples, one per run of the tool, at least 2), each interval
    /// is also widened to span the runs' own values of that percentile: the order-statistic
    /// interval assumes independent samples, but samples of one run share that run's conditions
    /// (the scheduler's placement of client and server, the connection), so runs of an unchanged
    /// path differ by more than one run's interval. The method then reads
    /// `order-statistic+repeat-range`; the level stays the order statistic's (widening only adds
    /// confidence).
    public init(distribution d: LatencyDistribution, samples: [Double] = [], runs: [LatencyDistribution] = []) {
        self.init(
            p50: d.percentile(50), p90: d.percentile(90), p99: d.percentile(99), p999: d.percentile(99.9), min: d.min,
            max: d.max, mean: d.mean, stddev: d.standardDeviation, samples: d.count)
        let sorted = samples.sorted()
        let runs = runs.count > 1 ? runs : []
        var intervals: [String: ConfidenceInterval] = [:]
        for (name, q, value) in [("p50", 0.5, p50), ("p90", 0.9, p90), ("p99", 0.99, p99), ("p999", 0.999, p999)] {
            guard let value, var interval = ConfidenceInterval.quantile(q, sorted: sorted) else { continue }
            interval = interval.including(value)
            if !runs.isEmpty {
                let perRun = runs.map { $0.percentile(q * 100) }
                interval = interval.including(perRun.min()!).including(perRun.max()!)
                interval.method = "order-statistic+repeat-range"
            }
            intervals[name] = interval
        }
        self.intervals = intervals.isEmpty ? nil : intervals
    }
}
