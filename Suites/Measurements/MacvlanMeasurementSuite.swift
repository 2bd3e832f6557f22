import Testing

import Crossnet

/// Measurements share the driver suite's deployment (one deployment per driver per run).
extension MacvlanSuite {
    @Suite("macvlan measurements", .tags(.lab, .measure, .macvlan), .needsInventory, .needsMacvlan, .serialized)
    struct Measurements {
    @Test("TCP throughput over macvlan (1 stream and the inventory's parallel streams) is measured with the configured repeats", arguments: MeasureSupport.throughputRounds(.macvlan))
    func tcpThroughput(round: ScheduledRound) async throws {
        try await MeasureSupport.tcpThroughput(.macvlan, round)
    }

    @Test("UDP throughput over macvlan at the inventory's rate is measured with loss and jitter", arguments: MeasureSupport.throughputRounds(.macvlan))
    func udpThroughput(round: ScheduledRound) async throws {
        try await MeasureSupport.udpThroughput(.macvlan, round)
    }

    @Test("ICMP, TCP and UDP round-trip times over macvlan are measured with warm-up samples discarded", arguments: MeasureSupport.latencyRounds(.macvlan))
    func latency(round: ScheduledRound) async throws {
        try await MeasureSupport.latency(.macvlan, round)
    }

    @Test("DNS lookups on macvlan are timed: a container's own name resolves through Docker's embedded DNS on macvlan", arguments: MeasureSupport.latencyRounds(.macvlan))
    func dnsTiming(round: ScheduledRound) async throws {
        try await MeasureSupport.dns(.macvlan, round)
    }

    @Test("the largest packet that crosses over macvlan with DF set is measured (pmtu, bytes) beside the parent interface's MTU")
    func pathMTU() async throws {
        try await PathMTUSupport.measure()
    }
}
}
