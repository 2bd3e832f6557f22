import Testing

import Crossnet

/// Measurements share the driver suite's deployment (one deployment per driver per run).
extension UserBridgeSuite {
    @Suite("user-bridge measurements", .tags(.lab, .measure, .userBridge), .needsInventory, .serialized)
    struct Measurements {
    @Test("TCP throughput over user-bridge (1 stream and the inventory's parallel streams) is measured with the configured repeats", arguments: MeasureSupport.throughputRounds(.userBridge))
    func tcpThroughput(round: ScheduledRound) async throws {
        try await MeasureSupport.tcpThroughput(.userBridge, round)
    }

    @Test("UDP throughput over user-bridge at the inventory's rate is measured with loss and jitter", arguments: MeasureSupport.throughputRounds(.userBridge))
    func udpThroughput(round: ScheduledRound) async throws {
        try await MeasureSupport.udpThroughput(.userBridge, round)
    }

    @Test("ICMP, TCP and UDP round-trip times over user-bridge are measured with warm-up samples discarded", arguments: MeasureSupport.latencyRounds(.userBridge))
    func latency(round: ScheduledRound) async throws {
        try await MeasureSupport.latency(.userBridge, round)
    }

    @Test("DNS lookups on user-bridge are timed: Docker's embedded DNS (127.0.0.11) resolves the target container's name", arguments: MeasureSupport.latencyRounds(.userBridge))
    func dnsTiming(round: ScheduledRound) async throws {
        try await MeasureSupport.dns(.userBridge, round)
    }

    @Test("the largest packet that crosses over user-bridge with DF set is measured (pmtu, bytes) beside the parent interface's MTU")
    func pathMTU() async throws {
        try await PathMTUSupport.measure()
    }
}
}
