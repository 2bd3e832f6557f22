import Testing

import Crossnet

/// Measurements share the driver suite's deployment (one deployment per driver per run).
extension ComposeSuite {
    @Suite("compose measurements", .tags(.lab, .measure, .compose), .needsInventory, .serialized)
    struct Measurements {
    @Test("TCP throughput over compose (1 stream and the inventory's parallel streams) is measured with the configured repeats", arguments: MeasureSupport.throughputPairs(.compose))
    func tcpThroughput(pair: HostPair) async throws {
        try await MeasureSupport.tcpThroughput(.compose, pair)
    }

    @Test("UDP throughput over compose at the inventory's rate is measured with loss and jitter", arguments: MeasureSupport.throughputPairs(.compose))
    func udpThroughput(pair: HostPair) async throws {
        try await MeasureSupport.udpThroughput(.compose, pair)
    }

    @Test("ICMP, TCP and UDP round-trip times over compose are measured with warm-up samples discarded", arguments: MeasureSupport.latencyPairs(.compose))
    func latency(pair: HostPair) async throws {
        try await MeasureSupport.latency(.compose, pair)
    }

    @Test("DNS lookups on compose are timed: the Compose service name `web` resolves through Docker's embedded DNS", arguments: MeasureSupport.latencyPairs(.compose))
    func dnsTiming(pair: HostPair) async throws {
        try await MeasureSupport.dns(.compose, pair)
    }
}
}
