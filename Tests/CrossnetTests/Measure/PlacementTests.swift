import Foundation
import Testing

@testable import Crossnet

@Suite("placement and published ports")
struct PlacementTests {
    static func probe(_ host: String, _ name: String, published: [PublishedPort] = []) -> ProbeEndpoint {
        ProbeEndpoint(
            host: host, containerID: name, name: name, address: "198.19.0.\(name == "a" ? 2 : 3)",
            hostAddress: host == "h1" ? "198.18.170.11" : "198.18.170.12", publishedPorts: published)
    }

    static let bridge = Deployment(driver: .bridge, endpoints: [
        probe("h1", "a"), probe("h1", "b", published: ProbePorts.bridgePublished),
        probe("h2", "a"), probe("h2", "b", published: ProbePorts.bridgePublished),
    ], networkName: "bridge")

    @Test("bridge across hosts goes to the target host's address and the published host ports")
    func publishedPortEndpoints() throws {
        let endpoints = try Self.bridge.publishedPortEndpoints(for: HostPairOrder(source: "h1", target: "h2"))
        #expect(endpoints.source.host == "h1" && endpoints.source.name == "a")
        #expect(endpoints.target.host == "h2" && endpoints.target.name == "b")
        #expect(endpoints.targetAddress == "198.18.170.12")
        #expect(endpoints.clientPort(ProbePorts.iperf3) == 46201)
        #expect(endpoints.clientPort(ProbePorts.sockperf) == 46202)
        #expect(endpoints.clientPort(ProbeCommand.httpPort) == 48080)
        #expect(endpoints.placement == .crossHost)
    }

    @Test("bridge on one host keeps the container address and ports, placed same-host")
    func sameHostBridge() throws {
        let endpoints = try Self.bridge.measurementEndpoints(for: HostPairOrder(source: "h1", target: "h1"))
        #expect(endpoints.targetAddress == "198.19.0.3")
        #expect(endpoints.clientPort(ProbePorts.iperf3) == ProbePorts.iperf3)
        #expect(endpoints.placement == .sameHost)
    }

    @Test("the host's loopback is one host-network probe talking to 127.0.0.1, placed same-host")
    func loopback() throws {
        let host = Deployment(driver: .host, endpoints: [Self.probe("h1", "h1"), Self.probe("h2", "h2")], networkName: "host")
        let endpoints = try host.loopbackEndpoints(on: "h2")
        #expect(endpoints.source == endpoints.target && endpoints.source.host == "h2")
        #expect(endpoints.targetAddress == "127.0.0.1" && endpoints.placement == .sameHost)
        #expect(throws: MeasurementError.self) { try Self.bridge.loopbackEndpoints(on: "h1") }
    }

    @Test("throughput and latency records carry the endpoints' placement")
    func recordsCarryPlacement() throws {
        let report = try IperfReport.parse(try MeasureFixtures.data("iperf3/tcp-1stream.json"))
        let across = try Self.bridge.publishedPortEndpoints(for: HostPairOrder(source: "h1", target: "h2"))
        let local = try Self.bridge.measurementEndpoints(for: HostPairOrder(source: "h1", target: "h1"))
        for (endpoints, placement) in [(across, MeasurementPlacement.crossHost), (local, .sameHost)] {
            let throughput = ThroughputRunner.buildRecords(
                from: [report], test: .tcp(streams: 1), endpoints: endpoints, testName: "t", mtu: 1500, options: MeasurementOptions())
            #expect(throughput.map(\.placement) == [placement])
            let rtt = LatencyRunner.record(
                samples: [1e-4, 2e-4], metric: "rtt", protocol: "tcp", endpoints: endpoints, testName: "t",
                parameters: .init(tool: "sockperf", version: "3.10"), noisyCV: 10)
            #expect(rtt.placement == placement)
        }
    }

    @Test("a published port goes into the create body and the docker run line")
    func containerSpecPublishes() throws {
        let spec = ContainerSpec(
            name: "b", image: "crossnet/probe:x", command: ["sleep", "infinity"], labels: [:], networkMode: "bridge",
            publishedPorts: ProbePorts.bridgePublished)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let body = String(decoding: try encoder.encode(spec.createBody), as: UTF8.self)
        #expect(body.contains(#""ExposedPorts":{"45201/tcp":{},"45201/udp":{},"45202/tcp":{},"45202/udp":{},"8080/tcp":{}}"#))
        #expect(body.contains(#""45201/udp":[{"HostPort":"46201"}]"#))
        #expect(body.contains(#""8080/tcp":[{"HostPort":"48080"}]"#))
        #expect(spec.cliLine.contains("-p 48080:8080/tcp -p 46201:45201/tcp -p 46201:45201/udp"))
    }

    @Test("an HTTP answer counts as reaching the probe only when its page names that probe")
    func httpIdentity() throws {
        let page = try MeasureFixtures.data("http/busybox-httpd-page-fixb.txt")
        let output = CommandOutput(stdout: page, stderr: Data(), exitStatus: 0)
        #expect(ProbeMethod.httpAnsweredBy(target: "198.19.0.2", port: 8080, name: "fixb").observed(output) == .reachable)
        #expect(ProbeMethod.httpAnsweredBy(target: "198.19.0.2", port: 8080, name: "fix").observed(output) == .unreachable)
        let refused = CommandOutput(stdout: Data(), stderr: Data(), exitStatus: 1)
        #expect(ProbeMethod.httpAnsweredBy(target: "198.19.0.2", port: 8080, name: "fixb").observed(refused) == .unreachable)
    }
}
