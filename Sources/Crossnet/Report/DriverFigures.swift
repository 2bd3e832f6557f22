import Foundation

/// Per-driver headline figures, aggregated over host pairs: the mean of the pairs' values and of
/// their CI bounds (TCP throughput, the single-stream records when there are any; ICMP RTT when
/// measured, else every RTT record).
public struct DriverFigures: Sendable {
    public var driver: String
    public var throughput: Double?
    public var throughputCI: ClosedRange<Double>?
    public var rttP50: Double?
    public var rttP90: Double?
    public var rttP99: Double?
    public var rttCI: ClosedRange<Double>?
    public var passed: Int
    public var failed: Int
    public var skipped: Int

    /// One entry per driver that has tests or measurements, in driver order.
    public static func collect(_ document: ResultsDocument) -> [DriverFigures] {
        let drivers = Set(document.tests.compactMap(\.driver)).union(document.measurements.map(\.driver))
        return drivers.sorted(by: ReportOrdering.driverLess).map { driver in
            let tests = document.tests.filter { $0.driver == driver }
            let records = document.measurements.filter { $0.driver == driver }
            var tput = records.filter { $0.metric == "throughput" && $0.protocol == "tcp" }
            let single = tput.filter { ($0.parameters.streams ?? 1) == 1 }
            if !single.isEmpty { tput = single }
            // ICMP RTT when there is any (ping between containers); otherwise every RTT record.
            var rtt = records.filter { $0.metric == "rtt" }
            let icmp = rtt.filter { $0.protocol == "icmp" }
            if !icmp.isEmpty { rtt = icmp }
            return DriverFigures(
                driver: driver,
                throughput: mean(tput.map(\.value)),
                throughputCI: interval(tput),
                rttP50: mean(rtt.map { $0.stats.p50 ?? $0.value }),
                rttP90: mean(rtt.compactMap(\.stats.p90)),
                rttP99: mean(rtt.compactMap(\.stats.p99)),
                rttCI: interval(rtt),
                passed: tests.filter { $0.status == .passed }.count,
                failed: tests.filter { $0.status == .failed }.count,
                skipped: tests.filter { $0.status == .skipped }.count)
        }
    }

    static func mean(_ values: [Double]) -> Double? {
        values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
    }

    static func interval(_ records: [MeasurementRecord]) -> ClosedRange<Double>? {
        let lows = records.compactMap(\.stats.ci95Low)
        let highs = records.compactMap(\.stats.ci95High)
        guard lows.count == records.count, highs.count == records.count, let low = mean(lows), let high = mean(highs), low <= high
        else { return nil }
        return low...high
    }

    /// Throughput lost vs the host network, percent (positive = slower than host).
    public func throughputOverhead(host: DriverFigures?) -> Double? {
        guard let mine = throughput, let base = host?.throughput, base > 0 else { return nil }
        return (base - mine) / base * 100
    }

    /// Latency added vs the host network, percent (positive = slower than host).
    public func latencyOverhead(host: DriverFigures?) -> Double? {
        guard let mine = rttP50, let base = host?.rttP50, base > 0 else { return nil }
        return (mine - base) / base * 100
    }
}
