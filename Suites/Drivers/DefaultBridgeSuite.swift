import Testing

@testable import Crossnet

@Suite("default bridge", .tags(.lab, .bridge), .needsInventory, .serialized, .deployed(.bridge))
struct DefaultBridgeSuite {
    @Test("containers on the default bridge reach each other by IP", arguments: SuiteInventory.hostNames)
    func reachByIP(host: String) async throws {
        try await withTranscript {
            let deployment = try CurrentDeployment.get()
            let pair = deployment.endpoints(on: host)
            try #require(pair.count == 2)
            let target = try #require(pair[1].address)
            let probe = ReachabilityProbe(context: try CurrentDeployment.runContext())
            expectResult(try await probe.check(.bridge, from: pair[0], .pingAddress(target), expect: .reachable))
            expectResult(try await probe.check(.bridge, from: pair[0], .tcp(target: target, port: ProbeCommand.httpPort), expect: .reachable))
        }
    }

    @Test("containers on the default bridge cannot resolve each other by name", arguments: SuiteInventory.hostNames)
    func noNameResolution(host: String) async throws {
        try await withTranscript {
            let deployment = try CurrentDeployment.get()
            let pair = deployment.endpoints(on: host)
            try #require(pair.count == 2)
            let probe = ReachabilityProbe(context: try CurrentDeployment.runContext())
            expectResult(try await probe.check(.bridge, from: pair[0], .dnsLookup(pair[1].name), expect: .unreachable))
            expectResult(try await probe.check(.bridge, from: pair[0], .pingName(pair[1].name), expect: .unreachable))
        }
    }
}
