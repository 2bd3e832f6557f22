import Testing

@testable import Crossnet

@Suite("user-defined bridge", .tags(.lab, .userBridge), .needsInventory, .serialized, .deployed(.userBridge))
struct UserBridgeSuite {
    @Test("containers on a user-defined bridge reach each other by name through Docker's DNS", arguments: SuiteInventory.hostNames)
    func reachByName(host: String) async throws {
        try await withTranscript {
            let pair = try CurrentDeployment.get().endpoints(on: host)
            try #require(pair.count == 2)
            let probe = ReachabilityProbe(context: try CurrentDeployment.runContext())
            expectResult(try await probe.check(.userBridge, from: pair[0], .dnsLookup(pair[1].name), expect: .reachable))
            expectResult(try await probe.check(.userBridge, from: pair[0], .pingName(pair[1].name), expect: .reachable))
            expectResult(try await probe.check(.userBridge, from: pair[0], .tcp(target: pair[1].name, port: ProbeCommand.httpPort), expect: .reachable))
        }
    }

    @Test("a name that no container has does not resolve on a user-defined bridge", arguments: SuiteInventory.hostNames)
    func unknownNameFails(host: String) async throws {
        try await withTranscript {
            let pair = try CurrentDeployment.get().endpoints(on: host)
            try #require(pair.count == 2)
            let probe = ReachabilityProbe(context: try CurrentDeployment.runContext())
            expectResult(try await probe.check(.userBridge, from: pair[0], .dnsLookup("no-such-container-crossnet"), expect: .unreachable))
        }
    }
}

@Suite("compose", .tags(.lab, .compose), .needsInventory, .serialized, .deployed(.compose))
struct ComposeSuite {
    @Test("Compose services reach each other by service name on the project network", arguments: SuiteInventory.hostNames)
    func reachByServiceName(host: String) async throws {
        try await withTranscript {
            let endpoints = try CurrentDeployment.get().endpoints(on: host)
            let client = try #require(endpoints.first { $0.aliases.contains("client") })
            let probe = ReachabilityProbe(context: try CurrentDeployment.runContext())
            expectResult(try await probe.check(.compose, from: client, .dnsLookup("web"), expect: .reachable))
            expectResult(try await probe.check(.compose, from: client, .pingName("web"), expect: .reachable))
            expectResult(try await probe.check(.compose, from: client, .tcp(target: "web", port: ProbeCommand.httpPort), expect: .reachable))
        }
    }

    @Test("the Compose project network is named <project>_default", arguments: SuiteInventory.hostNames)
    func projectNetworkName(host: String) async throws {
        try await withTranscript {
            let deployment = try CurrentDeployment.get()
            let context = try CurrentDeployment.runContext()
            let project = TopologyDeployer(context: context).composeProject
            #expect(deployment.networkName == "\(project)_default")
            let networks = try await context.fleet.engine(host).networks(label: "com.docker.compose.project=\(project)")
            #expect(networks.map(\.name) == ["\(project)_default"])
        }
    }
}
