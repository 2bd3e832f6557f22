import Foundation
import Testing

@testable import Crossnet

@Suite("shared swarms: run-scoped names, web as an alias, placement on inventory nodes", .tags(.topology))
struct SharedSwarmNamingTests {
    @Test("two runs get different service and network names; `web` stays the alias")
    func runScopedNames() {
        let first = OverlayNaming(runID: "20261126T150000-3fa2")
        let second = OverlayNaming(runID: "20261126T150002-91c0")
        #expect(first.serviceName == "cn-3fa2-web")
        #expect(first.networkName == "cn-3fa2-ovl")
        #expect(second.serviceName == "cn-91c0-web")
        #expect(first.serviceName != second.serviceName && first.networkName != second.networkName)
        #expect(OverlayDeployer.serviceAlias == "web")
        let deployment = Deployment(
            driver: .overlay, endpoints: [], networkName: first.networkName, serviceName: first.serviceName, serviceAlias: "web")
        #expect(deployment.tasksName == "tasks.web")
        #expect(Deployment(driver: .bridge, endpoints: [], networkName: "bridge").tasksName == nil)
    }

    @Test("placement excludes each foreign node by id (swarm ANDs constraints; no node is labelled)")
    func placement() {
        #expect(OverlayDeployer.placement(excluding: []) == [])
        #expect(OverlayDeployer.placement(excluding: ["zz9", "abc"]) == ["node.id!=abc", "node.id!=zz9"])
    }

    @Test("the service request carries the alias on the run's network and the constraints")
    func serviceBody() throws {
        let spec = ServiceSpec(
            name: "cn-3fa2-web", image: "crossnet/probe:7596b0a9820d", command: ["sleep", "infinity"],
            labels: ["crossnet.run": "20261126T150000-3fa2"], network: "cn-3fa2-ovl", aliases: ["web"],
            endpointMode: "dnsrr", global: true, constraints: ["node.id!=s1qa2y1cv2lrw8k6x3kvgl0o3"])
        let json = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(spec.body)) as? [String: Any])
        let template = try #require(json["TaskTemplate"] as? [String: Any])
        let networks = try #require(template["Networks"] as? [[String: Any]])
        #expect(networks.first?["Target"] as? String == "cn-3fa2-ovl")
        #expect(networks.first?["Aliases"] as? [String] == ["web"])
        let placement = try #require(template["Placement"] as? [String: Any])
        #expect(placement["Constraints"] as? [String] == ["node.id!=s1qa2y1cv2lrw8k6x3kvgl0o3"])
        #expect(spec.cliLine.hasPrefix("docker service create --name cn-3fa2-web --network name=cn-3fa2-ovl,alias=web --constraint 'node.id!=s1qa2y1cv2lrw8k6x3kvgl0o3'"))
    }

    @Test("without constraints the request has no Placement")
    func noPlacement() throws {
        let spec = ServiceSpec(name: "s", image: "i", command: [], labels: [:], network: "n")
        let json = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(spec.body)) as? [String: Any])
        let template = try #require(json["TaskTemplate"] as? [String: Any])
        #expect(template["Placement"] == nil)
    }
}

@Suite("reports: latest is replaced atomically", .tags(.topology))
struct LatestLinkTests {
    @Test("latest moves from one run to the next without ever being missing, and leaves no temporary link")
    func atomicLatest() throws {
        let folder = NSTemporaryDirectory() + "cn-latest-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try ReportBundle.pointLatest(in: folder, to: "run-a")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: folder + "/latest") == "run-a")
        // A reader polling while it is replaced 200 times never finds it missing.
        let missing = Counter()
        let done = Counter()
        let reader = Thread {
            while done.value == 0 {
                if (try? FileManager.default.destinationOfSymbolicLink(atPath: folder + "/latest")) == nil { missing.increment() }
            }
        }
        reader.start()
        for index in 0..<200 { try ReportBundle.pointLatest(in: folder, to: index % 2 == 0 ? "run-b" : "run-a") }
        done.increment()
        #expect(missing.value == 0)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: folder + "/latest") == "run-a")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["latest"])
    }
}
