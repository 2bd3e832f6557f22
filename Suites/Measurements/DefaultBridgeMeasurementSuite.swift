import Testing

import Crossnet

/// Measurements share the driver suite's deployment (one deployment per driver per run).
extension DefaultBridgeSuite {
    @Suite("bridge measurements", .tags(.lab, .measure, .bridge), .needsInventory, .serialized)
    struct Measurements {
    @Test("TCP throughput over bridge (1 stream and the inventory's parallel streams) is measured with the configured repeats", arguments: MeasureSupport.throughputPairs(.bridge))
    func tcpThroughput(pair: HostPair) async throws {
        try await MeasureSupport.tcpThroughput(.bridge, pair)
    }

    @Test("UDP throughput over bridge at the inventory's rate is measured with loss and jitter", arguments: MeasureSupport.throughputPairs(.bridge))
    func udpThroughput(pair: HostPair) async throws {
        try await MeasureSupport.udpThroughput(.bridge, pair)
    }

    @Test("ICMP, TCP and UDP round-trip times over bridge are measured with warm-up samples discarded", arguments: MeasureSupport.latencyPairs(.bridge))
    func latency(pair: HostPair) async throws {
        try await MeasureSupport.latency(.bridge, pair)
    }
}
}
