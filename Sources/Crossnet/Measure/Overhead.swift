/// How much worse a driver does than its baseline for the same pair and metric, in percent
/// (positive: worse, negative: better); the direction comes from ``MetricDirection``.
///
/// For throughput it is the shortfall `(base − driver) ÷ base × 100`; for latency-like metrics
/// (`rtt`, `dns`, `jitter`) the excess `(driver − base) ÷ base × 100`; for `loss` (percentage
/// points; a 0% baseline would divide by zero) the difference `driver − base`. `nil` when the
/// baseline figure is not positive.
public func overheadPercent(driverValue: Double, hostValue: Double, metric: String) -> Double? {
    let direction = MetricDirection(metric: metric)
    if metric == "loss" { return direction.worsening(from: hostValue, to: driverValue) }
    guard hostValue > 0 else { return nil }
    return direction.worsening(from: hostValue, to: driverValue) / hostValue * 100
}

extension MeasurementRecord {
    /// The record's placement, inferred for files written before `placement` existed: one host
    /// when source and target are the same host, across hosts otherwise.
    public var resolvedPlacement: MeasurementPlacement {
        placement ?? (source == target ? .sameHost : .crossHost)
    }
}

/// Overhead of each record against its baseline, keyed by the record's index in `records`.
///
/// Overhead is only computed within one placement: across hosts against the `host` driver's
/// record for the same source, target, metric, protocol and streams; on one host against the
/// host's loopback (the `host` driver's same-host record of that host). Records without a
/// baseline (and the baselines themselves) are left out.
public func overheadVersusHost(_ records: [MeasurementRecord]) -> [Int: Double] {
    struct Key: Hashable {
        var placement: MeasurementPlacement
        var source, target, metric, proto: String
        var streams: Int?
    }
    func key(_ r: MeasurementRecord) -> Key {
        Key(
            placement: r.resolvedPlacement, source: r.source, target: r.target, metric: r.metric, proto: r.protocol,
            streams: r.parameters.streams)
    }
    var baseline: [Key: Double] = [:]
    for record in records where record.driver == DriverID.host.rawValue { baseline[key(record)] = record.value }
    var result: [Int: Double] = [:]
    for (index, record) in records.enumerated() where record.driver != DriverID.host.rawValue {
        if let host = baseline[key(record)],
            let overhead = overheadPercent(driverValue: record.value, hostValue: host, metric: record.metric)
        {
            result[index] = overhead
        }
    }
    return result
}
