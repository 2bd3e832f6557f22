import Foundation

/// How a reachability check probes its target.
public enum ProbeMethod: Sendable, Equatable, CustomStringConvertible {
    /// ICMP echo to an address.
    case pingAddress(String)
    /// ICMP echo to a name (resolution included).
    case pingName(String)
    /// TCP connection to a listening server (`nc -w 3 target port`; busybox's static wget crashes).
    case tcp(target: String, port: Int)
    /// DNS lookup of a name through the container's resolver.
    case dnsLookup(String)
    /// An HTTP request to `target:port` answered by the probe named `name` (its page names it):
    /// tells reaching that container from reaching another one at the same address, as when the
    /// default bridges of two hosts share a subnet.
    case httpAnsweredBy(target: String, port: Int, name: String)

    public var description: String {
        switch self {
        case .pingAddress(let address): "ping \(address)"
        case .pingName(let name): "ping \(name) (by name)"
        case .tcp(let target, let port): "tcp \(target):\(port)"
        case .dnsLookup(let name): "dns \(name)"
        case .httpAnsweredBy(let target, let port, let name): "http \(target):\(port) answered by \(name)"
        }
    }

    /// Command run inside the source container.
    var command: [String] {
        switch self {
        case .pingAddress(let target), .pingName(let target):
            ["ping", "-c", "2", "-W", "2", target]
        case .tcp(let target, let port):
            ["nc", "-w", "3", target, String(port)]
        case .dnsLookup(let name):
            ["nslookup", name]
        case .httpAnsweredBy(let target, let port, _):
            ["sh", "-c", "printf 'GET /index.html HTTP/1.0\\r\\n\\r\\n' | nc -w 3 \(target) \(port)"]
        }
    }

    /// What the probe observed, from the command's exit status and output.
    func observed(_ output: CommandOutput) -> Expectation {
        guard output.succeeded else { return .unreachable }
        switch self {
        case .dnsLookup:
            // busybox nslookup exits 0 on NXDOMAIN on some versions: require an answer section.
            let answer = output.stdoutText.components(separatedBy: "Name:").dropFirst().joined()
            return answer.contains("Address") ? .reachable : .unreachable
        case .httpAnsweredBy(_, _, let name):
            let page = ProbeCommand.page(of: name)
            return output.stdoutText.split(whereSeparator: \.isNewline).contains { $0.trimmingCharacters(in: .whitespaces) == page }
                ? .reachable : .unreachable
        case .pingAddress, .pingName, .tcp:
            return .reachable
        }
    }
}

/// Whether traffic should get through.
public enum Expectation: String, Sendable, Codable {
    case reachable
    case unreachable
}

/// The outcome of one reachability check: observed compared with expected.
public struct ReachabilityResult: Sendable, Equatable, CustomStringConvertible {
    public var driver: DriverID
    public var sourceHost: String
    public var sourceName: String
    public var method: ProbeMethod
    public var expected: Expectation
    public var observed: Expectation
    /// What the probe printed (trimmed), as evidence.
    public var evidence: String

    /// `true` when what was observed matches what was expected.
    public var passed: Bool { expected == observed }

    public var description: String {
        "[\(driver.rawValue)] \(sourceName)@\(sourceHost) → \(method): expected \(expected.rawValue), observed \(observed.rawValue)"
            + (passed ? "" : "\n  evidence: \(evidence)")
    }
}

/// Runs reachability checks from probe containers.
public struct ReachabilityProbe: Sendable {
    public let context: RunContext

    public init(context: RunContext) { self.context = context }

    /// Runs `method` in `source` and compares the outcome with `expected`.
    public func check(
        _ driver: DriverID, from source: ProbeEndpoint, _ method: ProbeMethod, expect expected: Expectation
    ) async throws -> ReachabilityResult {
        let output = try await context.fleet.engine(source.host).exec(source.containerID, method.command, timeout: .seconds(30))
        let observed = method.observed(output)
        let evidence = (output.stdoutText + output.stderrText).trimmingCharacters(in: .whitespacesAndNewlines)
        return ReachabilityResult(
            driver: driver, sourceHost: source.host, sourceName: source.name, method: method, expected: expected,
            observed: observed, evidence: "exit \(output.exitStatus): " + String(evidence.prefix(400)))
    }

    /// Runs a command in a probe container (for claims that inspect the container itself).
    public func run(_ source: ProbeEndpoint, _ command: [String]) async throws -> CommandOutput {
        try await context.fleet.engine(source.host).exec(source.containerID, command, timeout: .seconds(30))
    }
}
