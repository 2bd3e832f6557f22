import Foundation
import Testing

import Crossnet

/// Shares the driver suite's deployment (one deployment per driver per run).
extension HostNetworkSuite {
/// The same-host baseline: the host's loopback (driver `host`, placement same-host), client and
/// server in one host-network probe over 127.0.0.1, on the hosts the bridge types are measured on.
@Suite("host loopback baseline", .tags(.lab, .measure, .hostNetwork), .needsInventory, .serialized)
struct LoopbackBaseline {
    static func endpoints(_ pair: HostPair) throws -> MeasurementEndpoints {
        try CurrentDeployment.get().loopbackEndpoints(on: pair.source)
    }

    @Test("TCP throughput over the host's loopback (1 stream and the inventory's parallel streams) is measured with the configured repeats", arguments: MeasureSupport.throughputPairs(.bridge))
    func tcpThroughput(pair: HostPair) async throws {
        try await withTranscript {
            let options = try await MeasureSupport.options()
            let records = try await MeasureSupport.tcpRecords(between: try Self.endpoints(pair), options: options) { streams in
                MeasureSupport.tcpFigureName(streams) + " over the host's loopback on \(pair.source)"
            }
            try MeasureSupport.attach(records)
            for record in records {
                MeasureSupport.expectThroughputSane(record, options: options)
                #expect(record.driver == "host" && record.placement == .sameHost)
            }
        }
    }

    @Test("ICMP, TCP and UDP round-trip times over the host's loopback are measured", arguments: MeasureSupport.latencyPairs(.bridge))
    func latency(pair: HostPair) async throws {
        try await withTranscript {
            let runner = LatencyRunner(fleet: try CurrentDeployment.runContext().fleet, options: try await MeasureSupport.options())
            let endpoints = try Self.endpoints(pair)
            var records: [MeasurementRecord] = []
            for proto in LatencyProtocol.allCases {
                let name = "\(proto.rawValue.uppercased()) RTT over the host's loopback on \(pair.source)"
                records.append(try await runner.measure(proto, between: endpoints, testName: name))
            }
            try MeasureSupport.attach(records)
            for record in records {
                MeasureSupport.expectLatencySane(record)
                #expect(record.driver == "host" && record.placement == .sameHost)
            }
        }
    }
}
}
