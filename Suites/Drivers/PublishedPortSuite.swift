import Foundation
import Testing

import Crossnet

/// Shares the driver suite's deployment (one deployment per driver per run).
extension DefaultBridgeSuite {
/// The default bridge across hosts: its only path is a port published on the host (DNAT), so that
/// is what is claimed and measured, on the same pairs as the host network.
@Suite("bridge across hosts through a published port", .tags(.lab, .bridge), .needsInventory, .needsTwoHosts, .serialized)
struct PublishedPort {
    static func endpoints(_ pair: HostPair) throws -> MeasurementEndpoints {
        try CurrentDeployment.get().publishedPortEndpoints(for: HostPairOrder(source: pair.source, target: pair.target))
    }

    @Test("a container on another host reaches the bridge probe at <host address>:<published port>", arguments: SuiteInventory.hostPairs)
    func reachesPublishedPort(pair: HostPair) async throws {
        try await withTranscript {
            let endpoints = try Self.endpoints(pair)
            let port = try #require(endpoints.target.hostPort(for: ProbeCommand.httpPort))
            let probe = ReachabilityProbe(context: try CurrentDeployment.runContext())
            let result = try await probe.check(
                .bridge, from: endpoints.source,
                .httpAnsweredBy(target: endpoints.targetAddress, port: port, name: endpoints.target.name), expect: .reachable)
            Attachment.record(result.evidence, named: "evidence.txt")
            expectResult(result)
        }
    }

    @Test("a container on another host does not reach the bridge probe by its bridge IP", arguments: SuiteInventory.hostPairs)
    func doesNotReachBridgeIP(pair: HostPair) async throws {
        try await withTranscript {
            let endpoints = try Self.endpoints(pair)
            let bridgeIP = try #require(endpoints.target.address)
            let probe = ReachabilityProbe(context: try CurrentDeployment.runContext())
            // Every host's default bridge has the same subnet, so the address may answer, from a
            // container on the source's own host: only the page tells whose it is.
            let result = try await probe.check(
                .bridge, from: endpoints.source,
                .httpAnsweredBy(target: bridgeIP, port: ProbeCommand.httpPort, name: endpoints.target.name), expect: .unreachable)
            Attachment.record(result.evidence, named: "evidence.txt")
            expectResult(result)
        }
    }

    @Test("TCP throughput over bridge across hosts through the published port is measured with the configured repeats", arguments: MeasureSupport.throughputPairs(.host))
    func tcpThroughput(pair: HostPair) async throws {
        try await withTranscript {
            let options = try await MeasureSupport.options()
            let records = try await MeasureSupport.tcpRecords(between: try Self.endpoints(pair), options: options) { streams in
                MeasureSupport.tcpFigureName(streams) + " over bridge through a published port \(pair.source)→\(pair.target)"
            }
            try MeasureSupport.attach(records)
            for record in records {
                MeasureSupport.expectThroughputSane(record, options: options)
                #expect(record.driver == "bridge" && record.placement == .crossHost)
            }
        }
    }

    @Test("TCP and UDP round-trip times over bridge across hosts through the published port are measured", arguments: MeasureSupport.latencyPairs(.host))
    func latency(pair: HostPair) async throws {
        try await withTranscript {
            let runner = LatencyRunner(fleet: try CurrentDeployment.runContext().fleet, options: try await MeasureSupport.options())
            let endpoints = try Self.endpoints(pair)
            var records: [MeasurementRecord] = []
            for proto in [LatencyProtocol.tcp, .udp] {
                let name = "\(proto.rawValue.uppercased()) RTT over bridge through a published port \(pair.source)→\(pair.target)"
                records.append(try await runner.measure(proto, between: endpoints, testName: name))
            }
            try MeasureSupport.attach(records)
            for record in records {
                MeasureSupport.expectLatencySane(record)
                #expect(record.driver == "bridge" && record.placement == .crossHost)
            }
        }
    }
}
}
