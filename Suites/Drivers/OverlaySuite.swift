import Testing

@testable import Crossnet

@Suite("overlay", .tags(.lab, .overlay), .needsInventory, .needsTwoHosts, .serialized, .deployed(.overlay))
struct OverlaySuite {
    @Test("a container on another host of the swarm reaches `web` by service name", arguments: SuiteInventory.hostNames)
    func pingWebByServiceName(host: String) async throws {
        try await withTranscript {
            let deployment = try CurrentDeployment.get()
            let probe = ReachabilityProbe(context: try CurrentDeployment.runContext())
            let source = try #require(deployment.probes(on: host).first)
            expectResult(try await probe.check(.overlay, from: source, .dnsLookup("web"), expect: .reachable))
            expectResult(try await probe.check(.overlay, from: source, .pingName("web"), expect: .reachable))
            expectResult(try await probe.check(.overlay, from: source, .tcp(target: "web", port: ProbeCommand.httpPort), expect: .reachable))
        }
    }

    @Test("`tasks.web` resolves to one task address per host", arguments: SuiteInventory.hostNames)
    func tasksResolveEverywhere(host: String) async throws {
        try await withTranscript {
            let deployment = try CurrentDeployment.get()
            let probe = ReachabilityProbe(context: try CurrentDeployment.runContext())
            let source = try #require(deployment.probes(on: host).first)
            let lookup = try await probe.run(source, ["nslookup", "tasks.web"])
            let tasks = deployment.serviceTasks
            #expect(tasks.count == SuiteInventory.hostNames.count)
            for task in tasks {
                let address = try #require(task.address)
                #expect(lookup.stdoutText.contains(address), "tasks.web misses \(task.name) at \(address): \(lookup.stdoutText)")
            }
        }
    }

    @Test("service task containers reach each other across hosts", arguments: SuiteInventory.hostPairs)
    func tasksReachAcrossHosts(pair: HostPair) async throws {
        try await withTranscript {
            let deployment = try CurrentDeployment.get()
            let probe = ReachabilityProbe(context: try CurrentDeployment.runContext())
            let tasks = deployment.serviceTasks
            let source = try #require(tasks.first { $0.host == pair.source })
            let target = try #require(tasks.first { $0.host == pair.target }?.address)
            expectResult(try await probe.check(.overlay, from: source, .pingAddress(target), expect: .reachable))
            expectResult(try await probe.check(.overlay, from: source, .tcp(target: target, port: ProbeCommand.httpPort), expect: .reachable))
        }
    }

    @Test("attachable containers on different hosts reach each other by name over the overlay", arguments: SuiteInventory.hostPairs)
    func attachableByName(pair: HostPair) async throws {
        try await withTranscript {
            let deployment = try CurrentDeployment.get()
            let probe = ReachabilityProbe(context: try CurrentDeployment.runContext())
            let source = try #require(deployment.probes(on: pair.source).first)
            let target = try #require(deployment.probes(on: pair.target).first)
            expectResult(try await probe.check(.overlay, from: source, .pingName(target.name), expect: .reachable))
        }
    }
}

@Suite("macvlan", .tags(.lab, .macvlan), .needsInventory, .needsMacvlan, .serialized, .deployed(.macvlan))
struct MacvlanSuite {
    @Test("a macvlan container has an address in the physical subnet, in its host's range", arguments: SuiteInventory.hostNames)
    func addressInPhysicalSubnet(host: String) async throws {
        try await withTranscript {
            let context = try CurrentDeployment.runContext()
            let settings = try #require(context.fleet.inventory.network.macvlan)
            let endpoint = try #require(try CurrentDeployment.get().endpoint(on: host))
            let address = try #require(endpoint.address)
            let subnet = try #require(try? IPNetwork.parse(settings.subnet).get())
            let rangeText = try #require(settings.ranges[host])
            let range = try #require(try? IPNetwork.parse(rangeText).get())
            let ip = try #require(IPAddress(address))
            #expect(subnet.contains(ip), "\(address) is not in \(settings.subnet)")
            #expect(range.contains(ip), "\(address) is not in \(host)'s range \(settings.ranges[host] ?? "")")
        }
    }

    @Test("a macvlan container reaches containers and the host address of other hosts directly", arguments: SuiteInventory.hostPairs)
    func reachesOtherHosts(pair: HostPair) async throws {
        try await withTranscript {
            let context = try CurrentDeployment.runContext()
            let deployment = try CurrentDeployment.get()
            let source = try #require(deployment.endpoint(on: pair.source))
            let target = try #require(deployment.endpoint(on: pair.target)?.address)
            let probe = ReachabilityProbe(context: context)
            expectResult(try await probe.check(.macvlan, from: source, .pingAddress(target), expect: .reachable))
            expectResult(try await probe.check(.macvlan, from: source, .tcp(target: target, port: ProbeCommand.httpPort), expect: .reachable))
            expectResult(try await probe.check(.macvlan, from: source, .pingAddress(context.fleet.config(pair.target).dataAddress), expect: .reachable))
        }
    }

    /// The kernel does not deliver frames between a macvlan interface and its own parent: the
    /// parent's traffic leaves through the physical port and never loops back into the macvlan
    /// ports on the same device, so a container cannot reach the host it runs on at the host's
    /// address (the usual fix is a macvlan interface on the host too).
    @Test("a macvlan container does not reach its own parent host's address", arguments: SuiteInventory.hostNames)
    func doesNotReachOwnHost(host: String) async throws {
        try await withTranscript {
            let context = try CurrentDeployment.runContext()
            let source = try #require(try CurrentDeployment.get().endpoint(on: host))
            let probe = ReachabilityProbe(context: context)
            expectResult(try await probe.check(.macvlan, from: source, .pingAddress(context.fleet.config(host).dataAddress), expect: .unreachable))
        }
    }
}
