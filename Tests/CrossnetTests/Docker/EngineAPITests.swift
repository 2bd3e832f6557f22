import Foundation
import Testing

@testable import Crossnet

extension Tag {
    @Tag static var docker: Self
}

@Suite("Engine API client on captured Docker 20.10 responses", .tags(.docker))
struct EngineAPITests {
    func engine(_ connector: FixtureConnector) -> DockerEngine {
        DockerEngine(host: "h1", transcript: Transcript(), api: EngineAPISelection(pinned: EngineAPIVersion(1, 41))) {
            try connector.next()
        }
    }

    @Test("a Content-Length response is read whole and decoded", arguments: [[1], [2, 5], [4096]])
    func versionWithContentLength(chunks: [Int]) async throws {
        let stream = FixtureStream(response: try EngineFixtures.data("wire-version.http"), chunkSizes: chunks)
        let response = try await HTTPClient().send(HTTPRequest(method: "GET", path: "/v1.41/version"), on: stream, timeout: .seconds(5))
        #expect(response.status == 200)
        #expect(response.body.count == 792)
        let version = try JSONDecoder().decode(DockerVersion.self, from: response.body)
        #expect(version.apiVersion == "1.41")
        #expect(version.version == "20.10.24+dfsg1")
        #expect(stream.requestHead.hasPrefix("GET /v1.41/version HTTP/1.1\r\nHost: docker"))
    }

    @Test("a chunked response is reassembled")
    func networksChunked() async throws {
        let connector = FixtureConnector([try EngineFixtures.data("wire-networks.http")])
        let networks = try await engine(connector).allNetworks()
        #expect(Set(networks.map(\.name)).isSuperset(of: ["bridge", "host", "none"]))
        #expect(networks.allSatisfy { !$0.id.isEmpty && !$0.driver.isEmpty })
    }

    @Test("exec output is split into stdout and stderr and the exit code comes from exec inspect")
    func execStream() async throws {
        let created = EngineFixtures.response(status: 201, reason: "Created", body: Data(#"{"Id":"029945eb1c95"}"#.utf8))
        let connector = FixtureConnector([
            created, try EngineFixtures.data("wire-exec-start.http"), try EngineFixtures.data("wire-exec-inspect.http"),
        ])
        let output = try await engine(connector).exec("abc123", ["sh", "-c", "echo to-stdout; echo to-stderr >&2; exit 3"])
        #expect(output.stdoutText == "to-stdout\n")
        #expect(output.stderrText == "to-stderr\n")
        #expect(output.exitStatus == 3)
        #expect(connector.streams[1].requestHead.hasPrefix("POST /v1.41/exec/029945eb1c95/start HTTP/1.1"))
    }

    @Test("an error answer carries the Engine's own message and names host and operation")
    func errorBody() async throws {
        let body = try EngineFixtures.data("error-no-such-container.json")
        let connector = FixtureConnector([EngineFixtures.response(status: 404, reason: "Not Found", body: body)])
        do {
            _ = try await engine(connector).inspectContainer("nope")
            Issue.record("expected an error")
        } catch let error as DockerAPIError {
            #expect(error.status == 404)
            #expect(error.message == "No such container: nope")
            #expect(error.description.contains("h1"))
            #expect(error.description.contains("docker inspect nope"))
        }
    }

    @Test("a missing image is nil, not an error")
    func missingImage() async throws {
        let body = Data(#"{"message":"No such image: crossnet/probe:000000000000"}"#.utf8)
        let connector = FixtureConnector([EngineFixtures.response(status: 404, reason: "Not Found", body: body)])
        #expect(try await engine(connector).inspectImage("crossnet/probe:000000000000") == nil)
    }

    @Test("the swarm-manager error from a worker is reported with its message")
    func notManager() async throws {
        let body = try EngineFixtures.data("error-swarm-not-manager.json")
        let connector = FixtureConnector([EngineFixtures.response(status: 503, reason: "Service Unavailable", body: body)])
        await #expect(throws: DockerAPIError.self) { _ = try await engine(connector).swarmInspect() }
    }

    @Test("captured bodies decode into the models", arguments: [
        "version.json", "info-inactive.json", "info-swarm-manager.json", "swarm.json", "nodes.json", "containers.json",
        "networks.json", "image.json",
    ])
    func modelsDecode(file: String) throws {
        let data = try EngineFixtures.data(file)
        switch file {
        case "version.json": #expect(try JSONDecoder().decode(DockerVersion.self, from: data).apiVersion == "1.41")
        case "info-inactive.json":
            let info = try JSONDecoder().decode(DockerInfo.self, from: data)
            #expect(info.swarm.localNodeState == "inactive")
            #expect(info.cpuCount > 0)
        case "info-swarm-manager.json":
            let info = try JSONDecoder().decode(DockerInfo.self, from: data)
            #expect(info.swarm.localNodeState == "active")
            #expect(info.swarm.controlAvailable)
            #expect(info.swarm.cluster?.id.isEmpty == false)
        case "swarm.json":
            let swarm = try JSONDecoder().decode(SwarmSpecInfo.self, from: data)
            #expect(swarm.joinTokens.worker.hasPrefix("SWMTKN-1-"))
        case "nodes.json": #expect(try JSONDecoder().decode([SwarmNode].self, from: data).first?.description.hostname == "h1")
        case "containers.json": _ = try JSONDecoder().decode([ContainerSummary].self, from: data)
        case "networks.json": #expect(try JSONDecoder().decode([NetworkSummary].self, from: data).count >= 3)
        case "image.json": #expect(try JSONDecoder().decode(ImageDetails.self, from: data).id.hasPrefix("sha256:"))
        default: Issue.record("no check for \(file)")
        }
    }

    @Test("the multiplexed stream is split correctly whatever the chunking", arguments: [1, 3, 8, 9, 1000])
    func demultiplexer(chunk: Int) {
        var frames = Data()
        for (type, text) in [(UInt8(1), "alpha\n"), (2, "beta\n"), (1, String(repeating: "x", count: 300))] {
            let bytes = Array(text.utf8)
            frames.append(contentsOf: [type, 0, 0, 0, 0, 0, UInt8(bytes.count >> 8), UInt8(bytes.count & 0xff)] + bytes)
        }
        var demuxer = StreamDemultiplexer()
        var index = frames.startIndex
        while index < frames.endIndex {
            let end = min(index + chunk, frames.endIndex)
            demuxer.feed(frames[index..<end])
            index = end
        }
        #expect(String(decoding: demuxer.stdout, as: UTF8.self) == "alpha\n" + String(repeating: "x", count: 300))
        #expect(String(decoding: demuxer.stderr, as: UTF8.self) == "beta\n")
    }

    @Test("request bodies carry what each topology needs")
    func requestBodies() throws {
        let container = ContainerSpec(
            name: "cn-1-ub-h1-a", image: "crossnet/probe:abc", command: ["sleep", "infinity"],
            labels: ["crossnet.run": "r1"], networkMode: "cn-1-ub", aliases: ["web"])
        let containerJSON = try JSONSerialization.jsonObject(with: try JSONEncoder().encode(container.createBody)) as! [String: Any]
        let endpoints = (containerJSON["NetworkingConfig"] as! [String: Any])["EndpointsConfig"] as! [String: Any]
        #expect((endpoints["cn-1-ub"] as! [String: Any])["Aliases"] as? [String] == ["web"])
        #expect((containerJSON["Labels"] as? [String: String])?["crossnet.run"] == "r1")

        let macvlan = NetworkSpec(
            name: "cn-1-mvl", driver: "macvlan", labels: [:], subnet: "198.18.0.0/24", gateway: "198.18.0.1",
            ipRange: "198.18.0.64/28", options: ["parent": "eth0"])
        let networkJSON = try JSONSerialization.jsonObject(
            with: try JSONEncoder().encode(macvlan.createBody(for: EngineAPIVersion(1, 41)))) as! [String: Any]
        #expect(networkJSON["CheckDuplicate"] as? Bool == true)
        let networkJSON52 = try JSONSerialization.jsonObject(
            with: try JSONEncoder().encode(macvlan.createBody(for: EngineAPIVersion(1, 52)))) as! [String: Any]
        #expect(networkJSON52["CheckDuplicate"] == nil, "CheckDuplicate is deprecated from API 1.44")
        #expect((networkJSON52["Options"] as? [String: String])?["parent"] == "eth0")
        let pool = ((networkJSON["IPAM"] as! [String: Any])["Config"] as! [[String: Any]])[0]
        #expect(pool["IPRange"] as? String == "198.18.0.64/28")
        #expect((networkJSON["Options"] as? [String: String])?["parent"] == "eth0")
        #expect(macvlan.cliLine == "docker network create -d macvlan --subnet 198.18.0.0/24 --gateway 198.18.0.1 --ip-range 198.18.0.64/28 -o parent=eth0 cn-1-mvl")

        let service = ServiceSpec(name: "web", image: "crossnet/probe:abc", command: ["sleep", "1"], labels: [:], network: "ovl", endpointMode: "dnsrr")
        let serviceJSON = try JSONSerialization.jsonObject(with: try JSONEncoder().encode(service.body)) as! [String: Any]
        #expect((serviceJSON["EndpointSpec"] as? [String: String])?["Mode"] == "dnsrr")
        #expect((serviceJSON["Mode"] as? [String: Any])?["Global"] != nil)
    }

    @Test("every call lands in the transcript with its docker CLI equivalent")
    func transcriptRecordsCalls() async throws {
        let transcript = Transcript()
        let connector = FixtureConnector([try EngineFixtures.data("wire-version.http")])
        let engine = DockerEngine(host: "h2", transcript: transcript, api: EngineAPISelection(pinned: EngineAPIVersion(1, 41))) {
            try connector.next()
        }
        _ = try await engine.version()
        #expect(transcript.all.map(\.command) == ["docker version"])
        #expect(transcript.all.first?.host == "h2")
        #expect(transcript.all.first?.result == "ok")
    }
}
