import Foundation

/// One claim on one host (``ClaimScope/eachHost``) or one ordered pair of hosts
/// (``ClaimScope/eachPair``): a case of the claim's parameterized test.
public struct ClaimCase: Sendable, Hashable, Codable, CustomStringConvertible {
    public var claim: Claim
    public var sourceHost: String
    public var targetHost: String?

    public init(claim: Claim, sourceHost: String, targetHost: String? = nil) {
        self.claim = claim
        self.sourceHost = sourceHost
        self.targetHost = targetHost
    }

    public var description: String { "\(claim.id) \(sourceHost)" + (targetHost.map { "→\($0)" } ?? "") }

    /// The cases of `claims` on `hosts`: every host, or every ordered pair of distinct hosts.
    public static func cases(_ claims: [Claim], hosts: [String]) -> [ClaimCase] {
        claims.flatMap { claim -> [ClaimCase] in
            switch claim.scope {
            case .eachHost: hosts.map { ClaimCase(claim: claim, sourceHost: $0) }
            case .eachPair:
                hosts.flatMap { a in hosts.filter { $0 != a }.map { ClaimCase(claim: claim, sourceHost: a, targetHost: $0) } }
            }
        }
    }
}

/// The typed result of one claim case, recorded where it is produced.
public struct ClaimResult: Codable, Sendable, Equatable, CustomStringConvertible {
    public var claimID: String
    public var driver: DriverID
    public var statement: String
    public var sourceHost: String
    public var targetHost: String?
    public var method: ClaimMethod
    public var expected: Expectation
    public var observed: ObservedOutcome
    /// What was run (the command inside the container, or the inspection).
    public var command: String
    /// Exit status and output of the probe, or what the inspection found.
    public var evidence: String

    /// A case that could not be checked because its host (or the Engine on it) did not answer.
    public static func unreachableHost(_ claimCase: ClaimCase, error: any Error) -> ClaimResult {
        let claim = claimCase.claim
        return ClaimResult(
            claimID: claim.id, driver: claim.driver, statement: claim.statement, sourceHost: claimCase.sourceHost,
            targetHost: claimCase.targetHost, method: claim.method, expected: claim.expected,
            observed: .inconclusive("\(claimCase.sourceHost) did not answer: \(error)"), command: "", evidence: "\(error)")
    }

    /// `true` when the observed outcome is evidence of what was expected.
    public var passed: Bool { observed.matches(expected) }

    public var description: String {
        "[\(driver.rawValue)] \(claimID) \(sourceHost)" + (targetHost.map { "→\($0)" } ?? "")
            + ": expected \(expected.rawValue), observed \(observed)" + (passed ? "" : "\n  \(command)\n  evidence: \(evidence)")
    }
}

/// Checks claims against a deployment: resolves the claim's source and target to containers and
/// addresses, runs the probe (with a time limit: negative claims decide within 2 s), and
/// classifies what it saw.
public struct ClaimEvaluator: Sendable {
    public let context: RunContext
    public let deployment: Deployment

    /// Time limit for a probe whose claim expects no path: decided on evidence within it.
    public static let negativeTimeLimit = 2
    /// Time limit for a probe whose claim expects a path.
    public static let positiveTimeLimit = 8

    public init(context: RunContext, deployment: Deployment) {
        self.context = context
        self.deployment = deployment
    }

    /// Checks one case. Errors reaching the host (SSH, Engine) are thrown; a probe that cannot
    /// run (container gone, tool missing) is an inconclusive result, which fails the claim.
    public func evaluate(_ claimCase: ClaimCase) async throws -> ClaimResult {
        let claim = claimCase.claim
        var result = ClaimResult(
            claimID: claim.id, driver: claim.driver, statement: claim.statement, sourceHost: claimCase.sourceHost,
            targetHost: claimCase.targetHost, method: claim.method, expected: claim.expected,
            observed: .inconclusive("not run"), command: "", evidence: "")
        guard let source = sourceEndpoint(claim, host: claimCase.sourceHost) else {
            result.observed = .inconclusive("no \(claim.source) on \(claimCase.sourceHost) in the deployment")
            return result
        }
        if claim.method == .inspect {
            let (ok, command, evidence) = try await inspect(claim, source: source, host: claimCase.sourceHost)
            result.command = command
            result.evidence = evidence
            result.observed = ok ? .reachable : .inconclusive("inspection does not hold")
            return result
        }
        guard let target = target(claim, case: claimCase) else {
            result.observed = .inconclusive("target \(claim.target.rawValue) not found in the deployment")
            return result
        }
        let limit = claim.expected == .unreachable ? Self.negativeTimeLimit : Self.positiveTimeLimit
        let probe: [String]
        switch claim.method {
        case .pingAddress, .pingName:
            probe = claim.expected == .unreachable ? ["ping", "-c", "1", "-W", "1", target] : ["ping", "-c", "2", "-W", "2", target]
        case .dnsLookup: probe = ["nslookup", target]
        case .tcpConnect: probe = ["nc", "-w", "2", target, String(claim.port ?? ProbeCommand.httpPort)]
        case .inspect: probe = []
        }
        let command = ["timeout", String(limit)] + probe
        result.command = "docker exec \(source.name) " + command.joined(separator: " ")
        do {
            let output = try await context.execBatcher.run(
                host: source.host, container: source.containerID, command: command, timeLimit: limit)
            let text = (output.stdoutText + output.stderrText).trimmingCharacters(in: .whitespacesAndNewlines)
            result.evidence = "exit \(output.exitStatus): " + String(text.prefix(400))
            result.observed = ObservedOutcome.classify(claim.method, exitStatus: output.exitStatus, output: text, timeLimited: true)
        } catch let error as DockerAPIError where error.status == 404 || error.status == 409 {
            result.evidence = "\(error)"
            result.observed = .inconclusive("container gone: \(source.name)")
        }
        return result
    }

    func sourceEndpoint(_ claim: Claim, host: String) -> ProbeEndpoint? {
        switch claim.source {
        case "service task": deployment.serviceTasks.first { $0.host == host }
        case "service client": deployment.endpoints(on: host).first { $0.aliases.contains("client") }
        default: deployment.probes(on: host).first
        }
    }

    func target(_ claim: Claim, case claimCase: ClaimCase) -> String? {
        let host = claimCase.sourceHost
        let other = claimCase.targetHost ?? host
        switch claim.target {
        case .peerAddress: return deployment.probes(on: host).dropFirst().first?.address
        case .peerName: return deployment.probes(on: host).dropFirst().first?.name
        case .unknownName: return "no-such-container-crossnet"
        case .serviceName: return "web"
        case .taskAddress: return deployment.serviceTasks.first { $0.host == other }?.address
        case .remoteContainerName: return deployment.probes(on: other).first?.name
        case .remoteContainerAddress: return deployment.probes(on: other).first?.address
        case .remoteHostAddress: return context.fleet.config(other).dataAddress
        case .ownHostAddress: return context.fleet.config(host).dataAddress
        case .loopback: return "127.0.0.1"
        case .itself: return nil
        }
    }
}
