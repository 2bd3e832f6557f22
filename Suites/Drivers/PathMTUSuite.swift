import Foundation
import Testing

import Crossnet

/// The largest packet that crosses with DF set, per driver, beside the MTU of the host interface
/// the path leaves by. Each driver's measurement suite calls ``measure()`` on its own deployment
/// (one deployment per driver per run).
enum PathMTUSupport {
    static func measure() async throws {
        let deployment = try CurrentDeployment.get()
        try await withTranscript {
                let options = try await MeasureSupport.options()
                let probe = PathMTUProbe(fleet: try CurrentDeployment.runContext().fleet, options: options)
                var records: [MeasurementRecord] = []
                var evidence: [String] = []
                for (endpoints, what) in try Self.paths(deployment) {
                    let name = "path MTU over \(what) \(endpoints.source.host)→\(endpoints.target.host)"
                    let (record, result) = try await probe.measure(between: endpoints, testName: name)
                    records.append(record)
                    evidence.append("\(name): \(result.bytes) bytes; interface MTU \(result.interfaceMTU.map(String.init) ?? "?"); "
                        + "parent \(result.parent.map { "\($0.name) \($0.mtu)" } ?? "?")\n"
                        + result.trail.map { "  -s \($0.payload) (\($0.packetBytes) bytes): \($0.evidence)" }.joined(separator: "\n"))
                    let interfaceMTU = try #require(result.interfaceMTU, "\(name): no interface MTU")
                    #expect(result.bytes == interfaceMTU, "\(name): \(result.bytes) bytes cross, the interface's MTU is \(interfaceMTU)")
                    if let refused = result.firstRefused {
                        #expect(refused.outcome == .tooLargeLocally(mtu: interfaceMTU), "\(name): one byte more: \(refused.evidence)")
                    }
                    let parent = try #require(result.parent, "\(name): no parent interface")
                    #expect(parent.mtu >= result.bytes, "\(name): parent \(parent.name) MTU \(parent.mtu) below the path's \(result.bytes)")
                    #expect(record.placement == endpoints.placement)
                }
                Attachment.record(evidence.joined(separator: "\n"), named: "pmtu-evidence.txt")
                try MeasureSupport.attach(records)
                #expect(!records.isEmpty)
        }
    }

    /// The paths measured on a deployment: across hosts for host, overlay and macvlan; on one host
    /// for the bridge types, plus bridge through a published port (ICMP to the other host's address).
    static func paths(_ deployment: Deployment) throws -> [(MeasurementEndpoints, String)] {
        let driver = deployment.driver
        var paths = try MeasureSupport.latencyPairs(driver).map {
            (try deployment.measurementEndpoints(for: HostPairOrder(source: $0.source, target: $0.target)), driver.rawValue)
        }
        if driver == .bridge {
            paths += try MeasureSupport.latencyPairs(.host).map {
                (try deployment.publishedPortEndpoints(for: HostPairOrder(source: $0.source, target: $0.target)),
                 "bridge to the published port's host")
            }
        }
        return paths
    }
}
