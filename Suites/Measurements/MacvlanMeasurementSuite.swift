import Testing

import Crossnet

/// Measurements share the driver suite's deployment (one deployment per driver per run).
extension MacvlanSuite {
    @Suite("macvlan measurements", .tags(.lab, .measure, .macvlan), .needsInventory, .needsMacvlan, .serialized)
    struct Measurements {
    @Test("TCP throughput over macvlan (1 stream and the inventory's parallel streams) is measured with the configured repeats", arguments: MeasureSupport.throughputPairs(.macvlan))
    func tcpThroughput(pair: HostPair) async throws {
        try await MeasureSupport.tcpThroughput(.macvlan, pair)
    }

    @Test("UDP throughput over macvlan at the inventory's rate is measured with loss and jitter", arguments: MeasureSupport.throughputPairs(.macvlan))
    func udpThroughput(pair: HostPair) async throws {
        try await MeasureSupport.udpThroughput(.macvlan, pair)
    }

    @Test("ICMP, TCP and UDP round-trip times over macvlan are measured with warm-up samples discarded", arguments: MeasureSupport.latencyPairs(.macvlan))
    func latency(pair: HostPair) async throws {
        try await MeasureSupport.latency(.macvlan, pair)
    }

    @Test("DNS lookups on macvlan are timed: a container's own name resolves through Docker's embedded DNS on macvlan", arguments: MeasureSupport.latencyPairs(.macvlan))
    func dnsTiming(pair: HostPair) async throws {
        try await MeasureSupport.dns(.macvlan, pair)
    }
}
}
