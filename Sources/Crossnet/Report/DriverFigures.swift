import Foundation

/// Per-driver headline figures of one placement (across hosts, or on one host), aggregated over
/// host pairs: the mean of the pairs' values and of their interval bounds (TCP throughput, the
/// single-stream records when there are any; ICMP RTT when measured, else every RTT record), and
/// the overhead against the table's baseline, matched pair by pair.
public struct DriverFigures: Sendable {
    public var driver: String
    public var placement: MeasurementPlacement?
    public var throughput: Double?
    public var throughputCI: ClosedRange<Double>?
    public var rttP50: Double?
    public var rttP90: Double?
    public var rttP99: Double?
    public var rttCI: ClosedRange<Double>?
    /// Mean over pairs of the throughput shortfall against the baseline, percent (positive: slower).
    public var throughputOverhead: Double?
    /// Mean over pairs of the latency excess against the baseline, percent (positive: slower).
    public var latencyOverhead: Double?
    /// Flags of the figures behind the throughput column (`noisy`, `cpu-bound`).
    public var throughputFlags: [String]
    /// Flags of the figures behind the RTT columns.
    public var rttFlags: [String]
    public var passed: Int
    public var failed: Int
    public var skipped: Int

    /// `true` for the table's baseline row (`host`: the host network across hosts, the host's
    /// loopback on one host).
    public var isBaseline: Bool { driver == DriverID.host.rawValue }

    /// One entry per driver that has tests or measurements, in driver order, over every record.
    public static func collect(_ document: ResultsDocument) -> [DriverFigures] {
        let drivers = Set(document.tests.compactMap(\.driver)).union(document.measurements.filter { !$0.isSelfTest }.map(\.driver))
        return drivers.sorted(by: ReportOrdering.driverLess).map { driver in
            figures(driver: driver, placement: nil, records: document.measurements.filter { !$0.isSelfTest }, tests: document.tests)
        }
    }

    /// The drivers measured with `placement`, baseline first, then the fastest throughput first
    /// (drivers without throughput last, by RTT).
    public static func table(_ document: ResultsDocument, placement: MeasurementPlacement) -> [DriverFigures] {
        let records = document.measurements.filter { $0.resolvedPlacement == placement && !$0.isSelfTest }
        let drivers = Set(records.map(\.driver))
        return drivers.map { figures(driver: $0, placement: placement, records: records, tests: document.tests) }
            .sorted(by: tableOrder)
    }

    static func tableOrder(_ a: DriverFigures, _ b: DriverFigures) -> Bool {
        if a.isBaseline != b.isBaseline { return a.isBaseline }
        switch (a.throughput, b.throughput) {
        case (let x?, let y?) where x != y: return x > y
        case (.some, nil): return true
        case (nil, .some): return false
        default: break
        }
        switch (a.rttP50, b.rttP50) {
        case (let x?, let y?) where x != y: return x < y
        case (.some, nil): return true
        case (nil, .some): return false
        default: return ReportOrdering.driverLess(a.driver, b.driver)
        }
    }

    static func figures(
        driver: String, placement: MeasurementPlacement?, records all: [MeasurementRecord], tests allTests: [ResultsDocument.Test]
    ) -> DriverFigures {
        let tests = allTests.filter { $0.driver == driver }
        let overheads = placement == nil ? [:] : overheadVersusHost(all)
        let records = all.enumerated().filter { $0.element.driver == driver }
        var tput = records.filter { $0.element.metric == "throughput" && $0.element.protocol == "tcp" }
        let single = tput.filter { ($0.element.parameters.streams ?? 1) == 1 }
        if !single.isEmpty { tput = single }
        // ICMP RTT when there is any (ping between containers); otherwise every RTT record.
        var rtt = records.filter { $0.element.metric == "rtt" }
        let icmp = rtt.filter { $0.element.protocol == "icmp" }
        if !icmp.isEmpty { rtt = icmp }
        return DriverFigures(
            driver: driver,
            placement: placement,
            throughput: mean(tput.map(\.element.value)),
            throughputCI: interval(tput.map(\.element)),
            rttP50: mean(rtt.map { $0.element.stats.p50 ?? $0.element.value }),
            rttP90: mean(rtt.compactMap(\.element.stats.p90)),
            rttP99: mean(rtt.compactMap(\.element.stats.p99)),
            rttCI: interval(rtt.map(\.element)),
            throughputOverhead: mean(tput.compactMap { overheads[$0.offset] }),
            latencyOverhead: mean(rtt.compactMap { overheads[$0.offset] }),
            throughputFlags: Array(Set(tput.flatMap(\.element.flags))).sorted(),
            rttFlags: Array(Set(rtt.flatMap(\.element.flags))).sorted(),
            passed: tests.filter { $0.status == .passed }.count,
            failed: tests.filter { $0.status == .failed }.count,
            skipped: tests.filter { $0.status == .skipped }.count)
    }

    static func mean(_ values: [Double]) -> Double? {
        values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
    }

    /// Mean of the pairs' headline interval bounds; `nil` unless every pair has an interval.
    static func interval(_ records: [MeasurementRecord]) -> ClosedRange<Double>? {
        let intervals = records.compactMap { $0.stats.interval("p50") }
        guard !records.isEmpty, intervals.count == records.count, let low = mean(intervals.map(\.low)),
            let high = mean(intervals.map(\.high)), low <= high
        else { return nil }
        return low...high
    }
}
