import Testing

import Crossnet

/// Measurements share the driver suite's deployment (one deployment per driver per run).
extension DefaultBridgeSuite {
    @Suite("bridge measurements", .tags(.lab, .measure, .bridge), .needsInventory, .serialized)
    struct Measurements {
    @Test("TCP throughput over bridge (1 stream and the inventory's parallel streams) is measured with the configured repeats", arguments: MeasureSupport.throughputRounds(.bridge))
    func tcpThroughput(round: ScheduledRound) async throws {
        try await MeasureSupport.tcpThroughput(.bridge, round)
    }

    @Test("UDP throughput over bridge at the inventory's rate is measured with loss and jitter", arguments: MeasureSupport.throughputRounds(.bridge))
    func udpThroughput(round: ScheduledRound) async throws {
        try await MeasureSupport.udpThroughput(.bridge, round)
    }

    @Test("ICMP, TCP and UDP round-trip times over bridge are measured with warm-up samples discarded", arguments: MeasureSupport.latencyRounds(.bridge))
    func latency(round: ScheduledRound) async throws {
        try await MeasureSupport.latency(.bridge, round)
    }

    @Test("the largest packet that crosses over bridge with DF set is measured (pmtu, bytes) beside the parent interface's MTU")
    func pathMTU() async throws {
        try await PathMTUSupport.measure()
    }
}
}
