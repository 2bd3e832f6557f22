/// A measurement that could not be taken: names the host, the operation (the command line or step)
/// and why, so the reader knows where to look.
public enum MeasurementError: CrossnetError, Equatable {
    /// The tool itself reported an error (for example iperf3's JSON `error` field).
    case toolReported(host: String, operation: String, message: String)
    /// The tool's output could not be read.
    case unparsable(host: String, operation: String, reason: String, excerpt: String)
    /// The command exited unsuccessfully without a report the tool explains.
    case commandFailed(host: String, operation: String, exitStatus: Int32, output: String)
    /// The tool ran but produced no usable samples.
    case noSamples(host: String, operation: String)
    /// An endpoint has no address to measure against (e.g. the `none` network).
    case noAddress(host: String, operation: String, endpoint: String)
    /// Setting up or removing a traffic-control qdisc on a host failed.
    case trafficControl(host: String, operation: String, reason: String)

    /// The host the failure happened on.
    public var host: String {
        switch self {
        case .toolReported(let host, _, _), .unparsable(let host, _, _, _), .commandFailed(let host, _, _, _),
            .noSamples(let host, _), .noAddress(let host, _, _), .trafficControl(let host, _, _):
            host
        }
    }

    /// The operation that failed.
    public var operation: String {
        switch self {
        case .toolReported(_, let operation, _), .unparsable(_, let operation, _, _),
            .commandFailed(_, let operation, _, _), .noSamples(_, let operation), .noAddress(_, let operation, _),
            .trafficControl(_, let operation, _):
            operation
        }
    }

    public var description: String {
        switch self {
        case .toolReported(let host, let operation, let message):
            "\(host): \(operation) failed: the tool reported \"\(message)\""
        case .unparsable(let host, let operation, let reason, let excerpt):
            "\(host): \(operation): cannot read its output (\(reason)): \(excerpt.prefix(300))"
        case .commandFailed(let host, let operation, let exitStatus, let output):
            "\(host): \(operation) exited with status \(exitStatus): \(output.prefix(400))"
        case .noSamples(let host, let operation):
            "\(host): \(operation) produced no samples"
        case .noAddress(let host, let operation, let endpoint):
            "\(host): \(operation): endpoint \(endpoint) has no address on the topology's network"
        case .trafficControl(let host, let operation, let reason):
            "\(host): \(operation) failed: \(reason) — check that the host has `tc` (iproute2) and the interface exists"
        }
    }
}
