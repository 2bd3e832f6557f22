import Testing

import Crossnet

/// Measurements share the driver suite's deployment (one deployment per driver per run).
extension HostNetworkSuite {
    @Suite("host measurements", .tags(.lab, .measure, .hostNetwork), .needsInventory, .needsTwoHosts, .serialized)
    struct Measurements {
    @Test("TCP throughput over host (1 stream and the inventory's parallel streams) is measured with the configured repeats", arguments: MeasureSupport.throughputRounds(.host))
    func tcpThroughput(round: ScheduledRound) async throws {
        try await MeasureSupport.tcpThroughput(.host, round)
    }

    @Test("UDP throughput over host at the inventory's rate is measured with loss and jitter", arguments: MeasureSupport.throughputRounds(.host))
    func udpThroughput(round: ScheduledRound) async throws {
        try await MeasureSupport.udpThroughput(.host, round)
    }

    @Test("ICMP, TCP and UDP round-trip times over host are measured with warm-up samples discarded", arguments: MeasureSupport.latencyRounds(.host))
    func latency(round: ScheduledRound) async throws {
        try await MeasureSupport.latency(.host, round)
    }

    @Test("the largest packet that crosses over host with DF set is measured (pmtu, bytes) beside the parent interface's MTU")
    func pathMTU() async throws {
        try await PathMTUSupport.measure()
    }
}
}
