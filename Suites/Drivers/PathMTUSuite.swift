import Foundation
import Testing

@testable import Crossnet

/// The largest packet that crosses with DF set, per driver, beside the MTU of the host interface
/// the path leaves by. Each case deploys its driver, measures, and tears it down.
@Suite("path MTU", .tags(.lab, .measure), .needsInventory, .needsTwoHosts, .serialized)
struct PathMTUSuite {
    /// Every driver with a network path (`none` has none).
    static let drivers: [DriverID] = DriverID.allCases.filter { driver in
        driver != .none && (driver != .macvlan || SuiteInventory.hasMacvlan)
    }

    @Test("the largest DF packet that crosses equals the sender's interface MTU (no black hole below it), recorded beside the parent interface's MTU", arguments: drivers)
    func pathMTU(driver: DriverID) async throws {
        try await withDeployment(driver) { deployment in
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

/// Deploys `driver` around `body` the way ``DeployedTrait`` deploys around a suite, and tears it
/// down after, even when `body` fails.
func withDeployment(_ driver: DriverID, _ body: (Deployment) async throws -> Void) async throws {
    let environment = try await SuiteEnvironment.shared.get()
    let context = RunContext(runID: environment.runID, fleet: environment.fleet, probeImage: environment.image.tag)
    do {
        let deployment = try await TopologyDeployer(context: context).deploy(driver)
        try await CurrentDeployment.$context.withValue(context) {
            try await CurrentDeployment.$value.withValue(deployment) { try await body(deployment) }
        }
    } catch {
        await Teardown.run(context)
        await SuiteEnvironment.shared.flushTranscript()
        throw error
    }
    let problems = await Teardown.run(context)
    await SuiteEnvironment.shared.flushTranscript()
    if !problems.isEmpty { Issue.record("teardown left problems: \(problems.joined(separator: "; "))") }
}
