import Testing

@testable import Crossnet

/// Figures for the bridge driver (two containers on each host: this driver does not cross hosts).
@Suite("bridge measurements", .tags(.lab, .measure, .bridge), .needsInventory, .serialized, .deployed(.bridge))
struct DefaultBridgeMeasurementSuite {
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
