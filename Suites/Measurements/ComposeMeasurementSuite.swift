import Testing

import Crossnet

/// Measurements share the driver suite's deployment (one deployment per driver per run).
extension ComposeSuite {
    @Suite("compose measurements", .tags(.lab, .measure, .compose), .needsInventory, .serialized)
    struct Measurements {
    @Test("TCP throughput over compose (1 stream and the inventory's parallel streams) is measured with the configured repeats", arguments: MeasureSupport.throughputRounds(.compose))
    func tcpThroughput(round: ScheduledRound) async throws {
        try await MeasureSupport.tcpThroughput(.compose, round)
    }

    @Test("UDP throughput over compose at the inventory's rate is measured with loss and jitter", arguments: MeasureSupport.throughputRounds(.compose))
    func udpThroughput(round: ScheduledRound) async throws {
        try await MeasureSupport.udpThroughput(.compose, round)
    }

    @Test("ICMP, TCP and UDP round-trip times over compose are measured with warm-up samples discarded", arguments: MeasureSupport.latencyRounds(.compose))
    func latency(round: ScheduledRound) async throws {
        try await MeasureSupport.latency(.compose, round)
    }

    @Test("DNS lookups on compose are timed: the Compose service name `web` resolves through Docker's embedded DNS", arguments: MeasureSupport.latencyRounds(.compose))
    func dnsTiming(round: ScheduledRound) async throws {
        try await MeasureSupport.dns(.compose, round)
    }

    @Test("the largest packet that crosses over compose with DF set is measured (pmtu, bytes) beside the parent interface's MTU")
    func pathMTU() async throws {
        try await PathMTUSupport.measure()
    }
}
}
