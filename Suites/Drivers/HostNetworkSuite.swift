import Testing

@testable import Crossnet

@Suite("host network", .tags(.lab, .hostNetwork), .needsInventory, .serialized, .deployed(.host))
struct HostNetworkSuite {
    @Test("a container on the host network sees the host's interfaces and address", arguments: SuiteInventory.hostNames)
    func seesHostStack(host: String) async throws {
        try await withTranscript {
            let context = try CurrentDeployment.runContext()
            let endpoint = try #require(try CurrentDeployment.get().endpoint(on: host))
            let probe = ReachabilityProbe(context: context)
            let inContainer = try await probe.run(endpoint, ["ip", "-o", "-4", "addr"])
            let onHost = try await context.fleet.exec(host, "ip -o -4 addr")
            let address = context.fleet.config(host).dataAddress
            #expect(inContainer.stdoutText.contains(" \(address)/"), "container does not see \(address): \(inContainer.stdoutText)")
            #expect(Self.interfaces(inContainer.stdoutText) == Self.interfaces(onHost.stdoutText))
        }
    }

    @Test("a server on the host network is reachable at the host's address with no port mapping", arguments: SuiteInventory.hostPairs)
    func reachableAtHostAddress(pair: HostPair) async throws {
        try await withTranscript {
            let context = try CurrentDeployment.runContext()
            let deployment = try CurrentDeployment.get()
            let source = try #require(deployment.endpoint(on: pair.source))
            let targetAddress = context.fleet.config(pair.target).dataAddress
            let probe = ReachabilityProbe(context: context)
            expectResult(try await probe.check(.host, from: source, .tcp(target: targetAddress, port: ProbeCommand.hostNetworkHTTPPort), expect: .reachable))
        }
    }

    /// Interface names from `ip -o addr` output.
    static func interfaces(_ text: String) -> Set<String> {
        Set(text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ")
            return fields.count > 1 ? String(fields[1]) : nil
        })
    }
}

@Suite("none network", .tags(.lab, .noneNetwork), .needsInventory, .serialized, .deployed(.none))
struct NoneNetworkSuite {
    @Test("a container on the none network has only loopback and no route", arguments: SuiteInventory.hostNames)
    func loopbackOnly(host: String) async throws {
        try await withTranscript {
            let endpoint = try #require(try CurrentDeployment.get().endpoint(on: host))
            let probe = ReachabilityProbe(context: try CurrentDeployment.runContext())
            let links = try await probe.run(endpoint, ["ip", "-o", "link"])
            let names = links.stdoutText.split(separator: "\n").compactMap { $0.split(separator: ":").dropFirst().first?.trimmingCharacters(in: .whitespaces) }
            #expect(names == ["lo"], "interfaces: \(names)")
            let routes = try await probe.run(endpoint, ["ip", "-4", "route"])
            #expect(routes.trimmedStdout.isEmpty, "routes: \(routes.stdoutText)")
            expectResult(try await probe.check(.none, from: endpoint, .pingAddress("127.0.0.1"), expect: .reachable))
        }
    }

    @Test("nothing gets out of a container on the none network", arguments: SuiteInventory.hostPairs)
    func nothingGetsOut(pair: HostPair) async throws {
        try await withTranscript {
            let context = try CurrentDeployment.runContext()
            let endpoint = try #require(try CurrentDeployment.get().endpoint(on: pair.source))
            let probe = ReachabilityProbe(context: context)
            let own = context.fleet.config(pair.source).dataAddress
            let other = context.fleet.config(pair.target).dataAddress
            expectResult(try await probe.check(.none, from: endpoint, .pingAddress(own), expect: .unreachable))
            expectResult(try await probe.check(.none, from: endpoint, .pingAddress(other), expect: .unreachable))
            expectResult(try await probe.check(.none, from: endpoint, .tcp(target: other, port: 22), expect: .unreachable))
        }
    }
}
