import Foundation
import Testing

import Crossnet

/// Crossnet removes exactly what it created: the user's containers, networks and swarm are left as
/// they were, and nothing labelled `crossnet.run` survives a run or a `crossnet clean`.
@Suite("nothing lost", .tags(.lab), .needsInventory, .needsCrossnetLab, .needsTwoHosts, .serialized)
struct NothingLostSuite {
    /// What a host has that is not Crossnet's.
    struct HostSnapshot: Equatable {
        var containers: Set<String>
        var networks: Set<String>
        var swarmState: String
        var swarmNodeID: String
    }

    static func snapshot(_ fleet: HostFleet, _ host: String) async throws -> HostSnapshot {
        let engine = fleet.engine(host)
        let containers = try await engine.allContainers()
            .filter { $0.labels?[RunContext.runLabel] == nil && $0.labels?["com.docker.swarm.service.id"] == nil }
        let networks = try await engine.allNetworks().filter { $0.labels?[RunContext.runLabel] == nil }
        let swarm = try await engine.info().swarm
        return HostSnapshot(
            containers: Set(containers.map(\.id)), networks: Set(networks.map { "\($0.name)/\($0.id)" }),
            swarmState: swarm.localNodeState, swarmNodeID: swarm.nodeID)
    }

    static func labelledLeft(_ fleet: HostFleet, runID: String) async throws -> [String] {
        var left: [String] = []
        for host in fleet.hostNames {
            let engine = fleet.engine(host)
            let filter = "\(RunContext.runLabel)=\(runID)"
            left += try await engine.containers(label: filter).map { "\(host) container \($0.names)" }
            left += try await engine.networks(label: filter).map { "\(host) network \($0.name)" }
            left += try await engine.volumes(label: filter).map { "\(host) volume \($0.name)" }
        }
        return left
    }

    /// The user's own container and network on every host, made without Crossnet's label.
    static func makeUserResources(_ fleet: HostFleet, image: String) async throws -> [(String, String, String)] {
        var made: [(String, String, String)] = []
        for host in fleet.hostNames {
            let engine = fleet.engine(host)
            let network = try await engine.createNetwork(NetworkSpec(name: "users-net-\(UUID().uuidString.prefix(6))", driver: "bridge", labels: ["owner": "user"]))
            let container = try await engine.runContainer(ContainerSpec(
                name: "users-app-\(UUID().uuidString.prefix(6))", image: image, command: ["sleep", "infinity"],
                labels: ["owner": "user"], networkMode: "bridge", capAdd: []))
            made.append((host, container, network))
        }
        return made
    }

    static func removeUserResources(_ fleet: HostFleet, _ made: [(String, String, String)]) async {
        for (host, container, network) in made {
            try? await fleet.engine(host).removeContainer(container)
            try? await fleet.engine(host).removeNetwork(network)
        }
    }

    @Test("a run leaves the user's containers and networks as they were, no swarm behind, and nothing labelled")
    func runLeavesUserResources() async throws {
        let environment = try await SuiteEnvironment.shared.get()
        let fleet = environment.fleet
        let made = try await Self.makeUserResources(fleet, image: environment.image.tag)
        var before: [String: HostSnapshot] = [:]
        for host in fleet.hostNames { before[host] = try await Self.snapshot(fleet, host) }
        #expect(before.values.allSatisfy { $0.swarmState == "inactive" }, "the hosts must start outside any swarm")

        let context = RunContext(runID: RunContext.newRunID(), fleet: fleet, probeImage: environment.image.tag)
        do {
            for driver in [DriverID.bridge, .userBridge, .compose, .overlay] {
                _ = try await TopologyDeployer(context: context).deploy(driver)
            }
        } catch {
            Issue.record(error)
        }
        let problems = await Teardown.run(context)
        #expect(problems.isEmpty, "\(problems)")

        for host in fleet.hostNames {
            let after = try await Self.snapshot(fleet, host)
            #expect(after == before[host], "\(host) changed: before \(String(describing: before[host])), after \(after)")
        }
        #expect(try await Self.labelledLeft(fleet, runID: context.runID).isEmpty)
        await Self.removeUserResources(fleet, made)
    }

    @Test("a swarm the user made is used as it is and left exactly as it was")
    func usersSwarmIsKept() async throws {
        let environment = try await SuiteEnvironment.shared.get()
        let fleet = environment.fleet
        let manager = fleet.hostNames[0]
        let managerAddress = fleet.config(manager).dataAddress
        // The user's swarm, made without Crossnet.
        _ = try await fleet.engine(manager).swarmInit(advertiseAddress: managerAddress, defaultAddressPool: fleet.inventory.network.swarmAddressPool, labels: ["owner": "user"])
        do {
            let token = try await fleet.engine(manager).swarmInspect().joinTokens.worker
            for host in fleet.hostNames.dropFirst() {
                try await fleet.engine(host).swarmJoin(advertiseAddress: fleet.config(host).dataAddress, managerAddress: managerAddress, token: token)
            }
            let swarmID = try await fleet.engine(manager).swarmInspect().id
            // Workers receive the swarm's `ingress` network a moment after joining: let the user's
            // swarm settle before taking the "before" picture.
            let settled = ContinuousClock.now + .seconds(30)
            for host in fleet.hostNames {
                while try await !fleet.engine(host).allNetworks().contains(where: { $0.name == "ingress" }), ContinuousClock.now < settled {
                    try await Task.sleep(for: .milliseconds(300))
                }
            }
            var before: [String: HostSnapshot] = [:]
            for host in fleet.hostNames { before[host] = try await Self.snapshot(fleet, host) }

            let context = RunContext(runID: RunContext.newRunID(), fleet: fleet, probeImage: environment.image.tag)
            var notes: [String] = []
            do {
                let deployment = try await TopologyDeployer(context: context).deploy(.overlay)
                notes = deployment.notes
                #expect(notes.contains { $0.contains("existing swarm") })
            } catch {
                Issue.record(error)
            }
            let problems = await Teardown.run(context)
            #expect(problems.isEmpty, "\(problems)")

            #expect(try await fleet.engine(manager).swarmInspect().id == swarmID)
            // The one change Docker itself makes, and Crossnet reports: docker_gwbridge on nodes
            // that ran no overlay container before.
            let gatewayNote = notes.first { $0.contains("docker_gwbridge") } ?? ""
            for host in fleet.hostNames {
                var after = try await Self.snapshot(fleet, host)
                if gatewayNote.contains(" \(host)") || gatewayNote.contains("\(host),") {
                    after.networks = after.networks.filter { !$0.hasPrefix("docker_gwbridge/") }
                }
                #expect(after == before[host], "\(host) changed")
            }
            #expect(try await Self.labelledLeft(fleet, runID: context.runID).isEmpty)
        } catch {
            Issue.record(error)
        }
        for host in fleet.hostNames.dropFirst() { try? await fleet.engine(host).swarmLeave() }
        try await fleet.engine(manager).swarmLeave()
    }

    @Test("`crossnet clean` after an interrupted run removes only what that run labelled, and its swarm")
    func cleanAfterInterruption() async throws {
        let environment = try await SuiteEnvironment.shared.get()
        let fleet = environment.fleet
        let made = try await Self.makeUserResources(fleet, image: environment.image.tag)
        var before: [String: HostSnapshot] = [:]
        for host in fleet.hostNames { before[host] = try await Self.snapshot(fleet, host) }

        // A run that stops half-way: its resources are deployed and never torn down.
        let interrupted = RunContext(runID: RunContext.newRunID(), fleet: fleet, probeImage: environment.image.tag)
        do {
            for driver in [DriverID.userBridge, .macvlan, .overlay] where driver != .macvlan || SuiteInventory.hasMacvlan {
                _ = try await TopologyDeployer(context: interrupted).deploy(driver)
            }
        } catch {
            Issue.record(error)
        }
        #expect(try await Self.labelledLeft(fleet, runID: interrupted.runID).isEmpty == false)
        _ = interrupted.ledger.drainNewestFirst()  // forgotten, as a killed process would forget it

        let removed = try await Cleaner(fleet: fleet, runID: interrupted.runID).run()
        #expect(removed.contains { $0.contains("swarm created by run \(interrupted.runID)") })
        #expect(try await Self.labelledLeft(fleet, runID: interrupted.runID).isEmpty)
        for host in fleet.hostNames {
            let after = try await Self.snapshot(fleet, host)
            #expect(after == before[host], "\(host) changed after clean")
        }
        await Self.removeUserResources(fleet, made)
    }
}
