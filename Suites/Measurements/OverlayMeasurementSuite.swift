import Testing

import Crossnet

/// Measurements share the driver suite's deployment (one deployment per driver per run).
extension OverlaySuite {
    @Suite("overlay measurements", .tags(.lab, .measure, .overlay), .needsInventory, .needsTwoHosts, .serialized)
    struct Measurements {
    @Test("TCP throughput over overlay (1 stream and the inventory's parallel streams) is measured with the configured repeats", arguments: MeasureSupport.throughputRounds(.overlay))
    func tcpThroughput(round: ScheduledRound) async throws {
        try await MeasureSupport.tcpThroughput(.overlay, round)
    }

    @Test("UDP throughput over overlay at the inventory's rate is measured with loss and jitter", arguments: MeasureSupport.throughputRounds(.overlay))
    func udpThroughput(round: ScheduledRound) async throws {
        try await MeasureSupport.udpThroughput(.overlay, round)
    }

    @Test("ICMP, TCP and UDP round-trip times over overlay are measured with warm-up samples discarded", arguments: MeasureSupport.latencyRounds(.overlay))
    func latency(round: ScheduledRound) async throws {
        try await MeasureSupport.latency(.overlay, round)
    }

    @Test("DNS lookups on overlay are timed: the swarm service name `web` resolves through Docker's embedded DNS", arguments: MeasureSupport.latencyRounds(.overlay))
    func dnsTiming(round: ScheduledRound) async throws {
        try await MeasureSupport.dns(.overlay, round)
    }

    @Test("the largest packet that crosses over overlay with DF set is measured (pmtu, bytes) beside the parent interface's MTU")
    func pathMTU() async throws {
        try await PathMTUSupport.measure()
    }
}
}
