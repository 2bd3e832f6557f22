import Foundation
import Testing

@testable import Crossnet

@Suite("Engine API version negotiation", .tags(.docker))
struct EngineNegotiationTests {
    let v1_41 = EngineAPIVersion(1, 41)

    @Test("API versions parse from the Engine's text and order numerically")
    func parsing() {
        #expect(EngineAPIVersion("1.41") == EngineAPIVersion(1, 41))
        #expect(EngineAPIVersion("v1.52") == EngineAPIVersion(1, 52))
        #expect(EngineAPIVersion(1, 9) < EngineAPIVersion(1, 41))
        #expect(EngineAPIVersion(1, 52).pathPrefix == "/v1.52")
        for bad in ["", "1", "1.", ".41", "1.41.0", "one.two", "-1.41", "1.-2"] {
            #expect(EngineAPIVersion(bad) == nil, "\(bad)")
        }
    }

    @Test(
        "the highest version both sides speak is chosen",
        arguments: [
            // Docker 20.10 (captured /version: ApiVersion 1.41, MinAPIVersion 1.12).
            ("1.12", "1.41", "1.41"),
            // Docker 29 (ApiVersion 1.52, MinAPIVersion 1.44).
            ("1.44", "1.52", "1.52"),
            // Docker 25–28 (MinAPIVersion 1.24).
            ("1.24", "1.45", "1.45"),
            // A future Engine that still accepts 1.50.
            ("1.50", "1.60", "1.52"),
        ])
    func highestCommon(engineLow: String, engineHigh: String, expected: String) throws {
        let engine = EngineAPIRange(try #require(EngineAPIVersion(engineLow)), try #require(EngineAPIVersion(engineHigh)))
        #expect(EngineAPIRange.crossnet.highestCommon(with: engine) == EngineAPIVersion(expected))
    }

    @Test("no common version is a clear error naming the host and both ranges", arguments: [("1.53", "1.60"), ("1.12", "1.40")])
    func mismatch(low: String, high: String) throws {
        let selection = EngineAPISelection()
        let engine = EngineAPIRange(try #require(EngineAPIVersion(low)), try #require(EngineAPIVersion(high)))
        do {
            try selection.choose(host: "h7", engine: engine)
            Issue.record("expected EngineAPIVersionMismatch")
        } catch let error as EngineAPIVersionMismatch {
            #expect(error.host == "h7")
            #expect(error.engine == engine)
            #expect(error.crossnet == .crossnet)
            #expect(error.description.contains("h7"))
            #expect(error.description.contains("API \(low)–\(high)"))
            #expect(error.description.contains("API 1.41–1.52"))
        }
        #expect(selection.current == nil)
    }

    @Test("the first call negotiates on the real 20.10 /version, later calls use /v1.41")
    func negotiatesOnFirstCall() async throws {
        let connector = FixtureConnector([
            try EngineFixtures.data("wire-version.http"), try EngineFixtures.data("wire-networks.http"),
        ])
        let transcript = Transcript()
        let engine = DockerEngine(host: "h1", transcript: transcript) { try connector.next() }
        #expect(engine.negotiatedAPIVersion == nil)
        _ = try await engine.allNetworks()
        #expect(engine.negotiatedAPIVersion == v1_41)
        #expect(engine.api.engine == EngineAPIRange(EngineAPIVersion(1, 12), v1_41))
        #expect(connector.streams[0].requestHead.hasPrefix("GET /version HTTP/1.1"))
        #expect(connector.streams[1].requestHead.hasPrefix("GET /v1.41/networks HTTP/1.1"))
        #expect(transcript.all.map(\.command) == ["docker version  # negotiate the API version", "docker network ls"])
        // A second DockerEngine value sharing the selection does not ask again.
        let again = DockerEngine(host: "h1", api: engine.api) { try connector.next() }
        #expect(try await again.apiVersion() == v1_41)
        #expect(connector.streams.count == 2)
    }

    @Test("calls that start together share one negotiation")
    func concurrentFirstCalls() async throws {
        let version = try EngineFixtures.data("wire-version.http")
        let networks = try EngineFixtures.data("wire-networks.http")
        let connector = FixtureConnector([version] + Array(repeating: networks, count: 8))
        let engine = DockerEngine(host: "h1") { try connector.next() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<8 { group.addTask { _ = try await engine.allNetworks() } }
            try await group.waitForAll()
        }
        #expect(connector.streams.filter { $0.requestHead.hasPrefix("GET /version ") }.count == 1)
        #expect(connector.streams.filter { $0.requestHead.hasPrefix("GET /v1.41/networks ") }.count == 8)
    }

    @Test("the image-load stream reports errorDetail (API 1.48+) as well as the older error field")
    func loadErrorDetail() async throws {
        let archive = URL(fileURLWithPath: NSTemporaryDirectory() + "crossnet-load-\(UUID().uuidString).tar")
        try Data(count: 1024).write(to: archive)
        defer { try? FileManager.default.removeItem(at: archive) }
        for line in [
            #"{"errorDetail":{"message":"unexpected EOF"}}"#, #"{"errorDetail":{"message":"unexpected EOF"},"error":"unexpected EOF"}"#,
        ] {
            let connector = FixtureConnector([EngineFixtures.response(status: 200, reason: "OK", body: Data((line + "\n").utf8))])
            let engine = DockerEngine(host: "h1", api: EngineAPISelection(pinned: EngineAPIVersion(1, 52))) { try connector.next() }
            do {
                try await engine.loadImage(archive: archive)
                Issue.record("expected the load to fail")
            } catch let error as OperationError {
                #expect(error.reason.contains("unexpected EOF"))
            }
            #expect(connector.streams[0].requestHead.hasPrefix("POST /v1.52/images/load?quiet=1 HTTP/1.1"))
        }
    }

    @Test(
        "the Docker 29 test double refuses, answers or rewrites each request target",
        arguments: [
            ("/v1.41/version", "refuse 400 too old 1.41"),
            ("/v1.43/containers/json?all=1", "refuse 400 too old 1.43"),
            ("/v1.53/info", "refuse 400 too new 1.53"),
            ("/v1.44/containers/json?all=1", "forward /v1.41/containers/json?all=1"),
            ("/v1.52/exec/abc/start", "forward /v1.41/exec/abc/start"),
            ("/_ping", "forward /_ping"),
            ("/v1.52/_ping", "forward /v1.41/_ping"),
            ("/version", "version /version"),
            ("/v1.50/version", "version /v1.41/version"),
            ("/volumes?filters=%7B%7D", "forward /volumes?filters=%7B%7D"),
        ])
    func gateDecisions(target: String, expected: String) {
        let configuration = EngineGate.Configuration(listen: "/x", upstream: "/y")
        let decision = GateDecision.decide(target: target, configuration: configuration)
        switch decision {
        case .refuse(let status, let body):
            let version = expected.split(separator: " ").last!
            #expect(expected.hasPrefix("refuse \(status)"))
            if expected.contains("too old") {
                #expect(
                    body
                        == #"{"message":"client version \#(version) is too old. Minimum supported API version is 1.44, please upgrade your client to a newer version"}"#
                        + "\n")
            } else {
                #expect(body == #"{"message":"client version \#(version) is too new. Maximum supported API version is 1.52"}"# + "\n")
            }
        case .forward(let upstream): #expect(expected == "forward \(upstream)")
        case .version(let upstream): #expect(expected == "version \(upstream)")
        }
    }
}
