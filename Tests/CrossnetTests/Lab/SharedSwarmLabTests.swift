import Foundation
import Logging
import Testing

@testable import Crossnet

/// Crossnet's overlay in a swarm that belongs to the user: a real lab (needs root, dockerd,
/// sshd). Subnet 198.18.160.0/24 only.
@Suite("Shared swarm on a virtual lab", .serialized, .tags(.lab), .enabled(if: getuid() == 0, "needs root"))
struct SharedSwarmLabTests {
    let logger: Logger = {
        var logger = Logger(label: "shared-swarm-test")
        logger.logLevel = .warning
        return logger
    }()

    /// What the user's swarm looks like, to compare before and after Crossnet.
    struct UserState: Equatable {
        var nodes: [String]
        var services: [String]
        var webTasks: [String]
        var networks: [String]
    }

    func userState(_ fleet: HostFleet) async throws -> UserState {
        let manager = fleet.engine("h1")
        let nodes = try await manager.nodes().map { "\($0.description.hostname) \($0.id) \($0.status.state)" }.sorted()
        let services = try await manager.allServices()
        let web = try #require(services.first { $0.spec.name == "web" })
        let tasks = try await manager.tasks(service: web.id).filter { $0.status.state == "running" }
            .map { "\($0.nodeID ?? "?") \($0.status.containerStatus?.containerID ?? "?")" }
        var networks: [String] = []
        for host in fleet.hostNames {
            networks += try await fleet.engine(host).allNetworks().filter { $0.scope == "swarm" }.map { "\(host) \($0.name) \($0.id)" }
        }
        return UserState(
            nodes: nodes, services: services.map { "\($0.id) \($0.spec.name) \($0.spec.labels ?? [:])" }.sorted(),
            webTasks: tasks.sorted(), networks: networks.sorted())
    }

    @Test("Crossnet's overlay in the user's swarm: tasks only on inventory nodes, `web` is Crossnet's alias, the user's swarm and `web` are left as they were")
    func sharedSwarm() async throws {
        let dir = "/tmp/cnlab-swarm-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let lab = VirtualLab(directory: dir)
        defer { _ = try? LocalCommand.runBlocking(["rm", "-rf", dir]) }
        do {
            let description = try await lab.up(hostCount: 3, subnet: "198.18.160.0/24", logger: logger)
            let full = try InventoryLoader.load(path: description.inventoryPath)
            try await runScenario(full: full)
            try await lab.down(logger: logger)
        } catch {
            try? await lab.down(logger: logger)
            throw error
        }
    }

    @Test("a second run against the same hosts is refused at once naming the first; clean without --run keeps the live run; a dead holder's lock is taken over")
    func concurrentRuns() async throws {
        let dir = "/tmp/cnlab-lock-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let lab = VirtualLab(directory: dir)
        defer { _ = try? LocalCommand.runBlocking(["rm", "-rf", dir]) }
        do {
            let description = try await lab.up(hostCount: 2, subnet: "198.18.160.0/24", logger: logger)
            let fleet = try await HostFleet.connect(try InventoryLoader.load(path: description.inventoryPath), logger: logger)
            do {
                try await lockScenario(fleet)
            } catch {
                await fleet.close()
                throw error
            }
            await fleet.close()
            try await lab.down(logger: logger)
        } catch {
            try? await lab.down(logger: logger)
            throw error
        }
    }

    func lockScenario(_ fleet: HostFleet) async throws {
        let (image, _) = try await ProbeImageLoader.buildAndEnsure(on: fleet)
        let first = RunContext(runID: "20261126T150000-aaaa", fleet: fleet, probeImage: image.tag)
        let lock = try await RunLock.acquire(fleet: fleet, runID: first.runID)
        _ = try await TopologyDeployer(context: first).deploy(.userBridge)

        // The second run: refused at once, naming run id, controller, pid and start time.
        let started = ContinuousClock.now
        let refusal = await #expect(throws: RunLockRefused.self) {
            try await RunLock.acquire(fleet: fleet, runID: "20261126T150002-bbbb")
        }
        let elapsed = ContinuousClock.now - started
        print("second run refused after \(elapsed): \(refusal.map(String.init(describing:)) ?? "-")")
        #expect(elapsed < .seconds(5))
        #expect(refusal?.holder.runID == first.runID)
        #expect(refusal?.holder.controller.pid == getpid())
        #expect(refusal.map(String.init(describing:))?.contains("h1 is in use by run 20261126T150000-aaaa (controller \(ProcessInfo.processInfo.hostName), pid \(getpid()), started 20") == true)
        // The refused run left no lock or takeover volume behind.
        #expect(try await fleet.engine("h1").volumes(label: "\(RunContext.runLabel)=20261126T150002-bbbb").isEmpty)

        // A dead run's leftovers next to the live run: clean without --run removes only the dead one's.
        let deadNetwork = try await fleet.engine("h2").createNetwork(NetworkSpec(
            name: "cn-dead-ub", driver: "bridge", labels: [RunContext.runLabel: "20261126T120000-dead"]))
        let outcome = try await Cleaner(fleet: fleet, runID: nil).clean()
        print("clean: kept \(outcome.kept), removed \(outcome.removed)")
        #expect(outcome.kept.count == 1 && outcome.kept[0].hasPrefix("run \(first.runID) (controller "), "\(outcome.kept)")
        #expect(outcome.removed == ["h2: network cn-dead-ub"], "\(outcome.removed)")
        #expect(try await fleet.engine("h2").allNetworks().allSatisfy { $0.id != deadNetwork })
        for host in fleet.hostNames {
            #expect(try await fleet.engine(host).containers(label: first.labelFilter).count == 2, "the live run's probes on \(host)")
            #expect(try await fleet.engine(host).inspectVolume(RunLock.volumeName) != nil, "the live run's lock on \(host)")
        }
        #expect(await Teardown.run(first).isEmpty)
        #expect(await lock.release().isEmpty)

        // A lock whose holder died (this machine, pid gone) is stale: the next run takes it over.
        let exited = Process()
        exited.executableURL = URL(fileURLWithPath: "/bin/true")
        try exited.run()
        exited.waitUntilExit()
        var dead = ControllerIdentity.current()
        dead.pid = exited.processIdentifier
        let stale = RunLockHolder(runID: "20261126T130000-dead", controller: dead, startedAt: "2026-11-26T13:00:00Z")
        for host in fleet.hostNames { _ = try await fleet.engine(host).createVolume(RunLock.volumeName, labels: stale.labels) }
        let next = try await RunLock.acquire(fleet: fleet, runID: "20261126T150004-cccc")
        print("stale takeover: \(next.notes)")
        #expect(next.notes.count == 2 && next.notes.allSatisfy { $0.contains("took over the stale lock of run 20261126T130000-dead") })
        #expect(await next.release().isEmpty)
        for host in fleet.hostNames {
            let engine = fleet.engine(host)
            #expect(try await engine.volumes(label: RunContext.runLabel).isEmpty, "\(host): lock volumes left")
            #expect(try await engine.containers(label: RunContext.runLabel).isEmpty)
            #expect(try await engine.networks(label: RunContext.runLabel).isEmpty)
        }
    }

    func runScenario(full: Inventory) async throws {
        // The user's swarm over h1..h3, an overlay of theirs and a service `web` pinned to h3.
        let userFleet = try await HostFleet.connect(full, logger: logger)
        do {
            try await userScenario(full: full, userFleet: userFleet)
        } catch {
            await userFleet.close()
            throw error
        }
        await userFleet.close()
    }

    func userScenario(full: Inventory, userFleet: HostFleet) async throws {
        let (image, _) = try await ProbeImageLoader.buildAndEnsure(on: userFleet)
        let h1 = userFleet.engine("h1")
        _ = try await h1.swarmInit(advertiseAddress: full.hosts[0].dataAddress, defaultAddressPool: "198.19.128.0/17", labels: [:])
        let token = try await h1.swarmInspect().joinTokens.worker
        for host in full.hosts.dropFirst() {
            try await userFleet.engine(host.name).swarmJoin(
                advertiseAddress: host.dataAddress, managerAddress: full.hosts[0].dataAddress, token: token)
        }
        _ = try await h1.createNetwork(NetworkSpec(name: "user-net", driver: "overlay", labels: ["owner": "user"], attachable: true))
        let userService = try await h1.createService(ServiceSpec(
            name: "web", image: image.tag, command: ProbeCommand.serve(port: 8080), labels: ["owner": "user"],
            network: "user-net", endpointMode: "dnsrr", global: false, replicas: 1, constraints: ["node.hostname==h3"]))
        let userTaskAddress = try await waitForRunningTask(service: userService, on: "h3", fleet: userFleet, network: "user-net")
        let before = try await userState(userFleet)

        // Crossnet's inventory leaves h3 out: h3 is a foreign node of the user's swarm.
        var inventory = full
        inventory.hosts = Array(full.hosts.prefix(2))
        let fleet = try await HostFleet.connect(inventory, logger: logger)
        let context = RunContext(runID: RunContext.newRunID(), fleet: fleet, probeImage: image.tag)
        do {
            let deployment = try await TopologyDeployer(context: context).deploy(.overlay)
            try await checkDeployment(deployment, context: context, userFleet: userFleet, userTaskAddress: userTaskAddress)
            let problems = await Teardown.run(context)
            #expect(problems.isEmpty, "\(problems)")
        } catch {
            _ = await Teardown.run(context)
            await fleet.close()
            throw error
        }
        await fleet.close()

        // The user's swarm, service `web` (same task, same container) and networks are as they were.
        let after = try await userState(userFleet)
        #expect(after == before)
        for host in full.hosts.map(\.name) {
            let engine = userFleet.engine(host)
            #expect(try await engine.containers(label: RunContext.runLabel).isEmpty, "\(host) has Crossnet containers left")
            #expect(try await engine.networks(label: RunContext.runLabel).isEmpty, "\(host) has Crossnet networks left")
            #expect(try await engine.info().swarm.localNodeState == "active", "\(host) left the user's swarm")
        }

        try await h1.removeService(userService)
        for host in full.hosts.reversed() { try await userFleet.engine(host.name).swarmLeave() }
    }

    func checkDeployment(_ deployment: Deployment, context: RunContext, userFleet: HostFleet, userTaskAddress: String) async throws {
        let serviceName = try #require(deployment.serviceName)
        #expect(serviceName == RunContext.name(runID: context.runID, "web"))
        #expect(deployment.networkName == RunContext.name(runID: context.runID, "ovl"))
        #expect(deployment.serviceAlias == "web")
        #expect(deployment.foreignNodes.count == 1 && deployment.foreignNodes[0].hasPrefix("h3 ("), "\(deployment.foreignNodes)")
        #expect(deployment.notes.contains { $0.contains("outside the inventory") && $0.contains("h3 (") }, "\(deployment.notes)")

        // Tasks only on inventory nodes; nothing of Crossnet's on h3.
        let manager = userFleet.engine("h1")
        let nodes = try await manager.nodes()
        let h3 = try #require(nodes.first { $0.description.hostname == "h3" })
        let service = try #require(try await manager.allServices().first { $0.spec.name == serviceName })
        let tasks = try await manager.tasks(service: service.id)
        #expect(tasks.count == 2, "\(tasks.map { $0.nodeID ?? "?" })")
        #expect(tasks.allSatisfy { $0.nodeID != h3.id })
        #expect(try await userFleet.engine("h3").containers(label: RunContext.runLabel).isEmpty)

        // From Crossnet's containers, `web` and `tasks.web` are Crossnet's, never the user's `web`.
        // (TCP by `nc`, as the suites check it: Debian's busybox-static 1.35 `wget` segfaults.)
        let crossnetTasks = deployment.serviceTasks.compactMap(\.address)
        #expect(crossnetTasks.count == 2)
        for probe in deployment.endpoints.filter({ !$0.isServiceTask }) {
            let engine = context.fleet.engine(probe.host)
            let lookup = try await engine.exec(probe.containerID, ["nslookup", "web"])
            let tasksLookup = try await engine.exec(probe.containerID, ["nslookup", try #require(deployment.tasksName)])
            let ping = try await engine.exec(probe.containerID, ["ping", "-c", "1", "-W", "2", "web"])
            let tcp = try await engine.exec(probe.containerID, ["nc", "-w", "3", "web", "8080"])
            print("\(probe.host): nslookup web → \(lookup.stdoutText.split(separator: "\n").suffix(3).joined(separator: " | "))")
            print("\(probe.host): nslookup tasks.web → \(tasksLookup.stdoutText.split(separator: "\n").suffix(4).joined(separator: " | "))")
            #expect(!lookup.stdoutText.contains(userTaskAddress), "web resolved to the user's task \(userTaskAddress)")
            #expect(crossnetTasks.allSatisfy { tasksLookup.stdoutText.contains($0) }, "\(tasksLookup.stdoutText)")
            #expect(!tasksLookup.stdoutText.contains(userTaskAddress))
            #expect(ping.succeeded, "\(ping.stdoutText)\(ping.stderrText)")
            #expect(tcp.succeeded, "nc web 8080: \(tcp.stdoutText)\(tcp.stderrText)")
        }
    }

    /// Waits for `service`'s task on `host` and returns its address on `network`.
    func waitForRunningTask(service: String, on host: String, fleet: HostFleet, network: String) async throws -> String {
        let deadline = ContinuousClock.now + .seconds(90)
        while ContinuousClock.now < deadline {
            for task in try await fleet.engine("h1").tasks(service: service) where task.status.state == "running" {
                if let id = task.status.containerStatus?.containerID,
                    let address = try await fleet.engine(host).inspectContainer(id).networkSettings.networks?[network]?.ipAddress,
                    !address.isEmpty
                {
                    return address
                }
            }
            try await Task.sleep(for: .milliseconds(500))
        }
        throw OperationError(host: host, operation: "docker service ps web", reason: "the user's web task did not start in 90 s")
    }
}
