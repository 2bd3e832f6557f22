/// How much worse a driver does than the host network for the same pair and metric, in percent.
///
/// For throughput (higher is better) it is the shortfall `(host − driver) ÷ host × 100`; for
/// latency-like metrics (`rtt`, `dns`, `jitter`: lower is better) the excess
/// `(driver − host) ÷ host × 100`; for `loss` (percentage points; a 0% baseline would divide by
/// zero) the difference `driver − host`. `nil` when the host figure is not positive (no baseline).
public func overheadPercent(driverValue: Double, hostValue: Double, metric: String) -> Double? {
    switch metric {
    case "loss":
        return driverValue - hostValue
    case "throughput":
        guard hostValue > 0 else { return nil }
        return (hostValue - driverValue) / hostValue * 100
    default:
        guard hostValue > 0 else { return nil }
        return (driverValue - hostValue) / hostValue * 100
    }
}

/// Overhead of each record against the `host` driver's record for the same source, target, metric
/// and protocol, keyed by the record's index in `records`; records without a host baseline (and
/// the host's own records) are left out.
public func overheadVersusHost(_ records: [MeasurementRecord]) -> [Int: Double] {
    struct Key: Hashable {
        var source, target, metric, proto: String
        var streams: Int?
    }
    func key(_ r: MeasurementRecord) -> Key {
        Key(source: r.source, target: r.target, metric: r.metric, proto: r.protocol, streams: r.parameters.streams)
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
