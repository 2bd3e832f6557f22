import Foundation
import Testing

@testable import Crossnet

/// Outcomes are classified from real probe outputs captured in lab containers
/// (`Fixtures/probe-outputs/<name>.exit<N>.txt`), never from the exit status alone.
struct ObservedOutcomeTests {
    struct Sample: Sendable, CustomTestStringConvertible {
        var file: String
        var method: ClaimMethod
        var expected: ObservedOutcome
        var testDescription: String { file }
    }

    static let samples: [Sample] = [
        Sample(file: "ping-ok.exit0.txt", method: .pingAddress, expected: .reachable),
        Sample(file: "ping-bad-address.exit1.txt", method: .pingName, expected: .unreachable(.nameNotFound)),
        Sample(file: "ping-no-reply.exit1.txt", method: .pingAddress, expected: .unreachable(.timedOut)),
        Sample(file: "ping-network-unreachable.exit1.txt", method: .pingAddress, expected: .unreachable(.noRoute)),
        Sample(file: "nc-refused.exit1.txt", method: .tcpConnect, expected: .unreachable(.refused)),
        Sample(file: "nc-network-unreachable.exit1.txt", method: .tcpConnect, expected: .unreachable(.noRoute)),
        Sample(file: "nc-name-timed-out.exit1.txt", method: .tcpConnect, expected: .unreachable(.timedOut)),
        Sample(file: "nslookup-answer.exit0.txt", method: .dnsLookup, expected: .reachable),
        Sample(file: "nslookup-no-servers.exit1.txt", method: .dnsLookup, expected: .unreachable(.nameNotFound)),
        Sample(file: "nslookup-no-resolver.exit1.txt", method: .dnsLookup, expected: .unreachable(.nameNotFound)),
        Sample(file: "timeout-killed.exit143.txt", method: .dnsLookup, expected: .unreachable(.timedOut)),
    ]

    @Test("a captured probe output is classified from its evidence", arguments: samples)
    func classify(sample: Sample) throws {
        let text = try MeasureFixtures.text("probe-outputs/" + sample.file)
        let status = try #require(Int32(sample.file.split(separator: ".").dropLast().last!.dropFirst(4)))
        let outcome = ObservedOutcome.classify(sample.method, exitStatus: status, output: text, timeLimited: true)
        #expect(outcome == sample.expected, "\(sample.file): \(outcome)")
    }

    @Test("a missing tool or bad usage is inconclusive, and an inconclusive check fails a negative claim too")
    func inconclusiveFailsEitherWay() throws {
        let missing = ObservedOutcome.classify(
            .pingAddress, exitStatus: 127, output: try MeasureFixtures.text("probe-outputs/tool-missing.exit127.txt"), timeLimited: true)
        let usage = ObservedOutcome.classify(
            .pingAddress, exitStatus: 1, output: try MeasureFixtures.text("probe-outputs/ping-bad-usage.exit1.txt"), timeLimited: true)
        for outcome in [missing, usage] {
            guard case .inconclusive = outcome else { Issue.record("expected inconclusive, got \(outcome)"); continue }
            #expect(!outcome.matches(.unreachable))
            #expect(!outcome.matches(.reachable))
        }
    }

    @Test("a non-zero exit with no recognisable evidence is not taken as unreachable")
    func unknownNonZeroExitIsInconclusive() {
        let outcome = ObservedOutcome.classify(.tcpConnect, exitStatus: 1, output: "", timeLimited: true)
        #expect(!outcome.matches(.unreachable), "\(outcome)")
        let killed = ObservedOutcome.classify(.pingAddress, exitStatus: 143, output: "", timeLimited: false)
        #expect(!killed.matches(.unreachable), "exit 143 without Crossnet's time limit is no evidence: \(killed)")
    }

    @Test("outcomes encode as outcome plus reason and read back")
    func codable() throws {
        for outcome in [ObservedOutcome.reachable, .unreachable(.refused), .inconclusive("container gone: x")] {
            let data = try JSONEncoder().encode(outcome)
            #expect(try JSONDecoder().decode(ObservedOutcome.self, from: data) == outcome)
        }
        let text = String(decoding: try JSONEncoder().encode(ObservedOutcome.unreachable(.timedOut)), as: UTF8.self)
        #expect(text.contains(#""outcome":"unreachable""#) && text.contains(#""reason":"timed out""#))
    }
}

struct ClaimCatalogueTests {
    @Test("every driver has claims, ids are unique and name their driver")
    func idsUnique() {
        let ids = ClaimCatalogue.all.map(\.id)
        #expect(Set(ids).count == ids.count)
        for driver in DriverID.allCases {
            let claims = ClaimCatalogue.claims(for: driver)
            #expect(!claims.isEmpty, "\(driver) has no claims")
            #expect(claims.allSatisfy { $0.id.hasPrefix(driver.rawValue + ".") && $0.driver == driver })
        }
    }

    @Test("the seed's claims are in the catalogue, expected failures stated as claims")
    func seedClaims() {
        func expectation(_ id: String) -> Crossnet.Expectation? { ClaimCatalogue.claim(id: id)?.expected }
        #expect(expectation("bridge.ip-ping") == .reachable)
        #expect(expectation("bridge.no-name-dns") == .unreachable)
        #expect(expectation("user-bridge.name-dns") == .reachable)
        #expect(expectation("compose.service-dns") == .reachable)
        #expect(expectation("host.server-at-host-address") == .reachable)
        #expect(expectation("none.no-other-host") == .unreachable)
        #expect(ClaimCatalogue.claim(id: "overlay.web-ping").map { $0.method == .pingName && $0.target == .serviceName } == true)
        #expect(expectation("macvlan.other-host") == .reachable)
        #expect(expectation("macvlan.not-own-host") == .unreachable)
    }

    @Test("cases: each host once, each ordered pair of distinct hosts once")
    func cases() throws {
        let hostClaim = try #require(ClaimCatalogue.claim(id: "bridge.ip-ping"))
        let pairClaim = try #require(ClaimCatalogue.claim(id: "none.no-ssh"))
        let cases = ClaimCase.cases([hostClaim, pairClaim], hosts: ["h1", "h2", "h3", "h4"])
        #expect(cases.filter { $0.claim == hostClaim }.map(\.sourceHost) == ["h1", "h2", "h3", "h4"])
        let pairs = cases.filter { $0.claim == pairClaim }.map { "\($0.sourceHost)→\($0.targetHost!)" }
        #expect(pairs.count == 12 && Set(pairs).count == 12 && !pairs.contains("h1→h1"))
    }

    @Test("the Markdown table has one row per claim, with the driver id, claim id and expectation")
    func markdown() {
        let lines = ClaimCatalogue.markdown().split(separator: "\n")
        #expect(lines.count == ClaimCatalogue.all.count + 2)
        #expect(lines.contains { $0.contains("`macvlan.not-own-host`") && $0.contains("**does not** get through") })
    }
}
