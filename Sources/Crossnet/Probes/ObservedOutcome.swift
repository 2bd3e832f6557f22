import Foundation

/// What a probe saw, classified from its evidence (exit status and output), never from the exit
/// status alone.
public enum ObservedOutcome: Codable, Sendable, Equatable, CustomStringConvertible {
    case reachable
    case unreachable(UnreachableReason)
    /// The probe itself did not work: the claim fails whatever was expected.
    case inconclusive(String)

    /// Evidence of unreachability.
    public enum UnreachableReason: String, Codable, Sendable {
        case noRoute = "no route"
        case timedOut = "timed out"
        case refused = "refused"
        case nameNotFound = "name not found"
    }

    public var description: String {
        switch self {
        case .reachable: "reachable"
        case .unreachable(let reason): "unreachable (\(reason.rawValue))"
        case .inconclusive(let why): "inconclusive (\(why))"
        }
    }

    /// Whether this outcome is what `expected` asks for. Inconclusive never matches.
    public func matches(_ expected: Expectation) -> Bool {
        switch (self, expected) {
        case (.reachable, .reachable), (.unreachable, .unreachable): true
        default: false
        }
    }

    /// Classifies a probe command's result. `timeLimited` is true when Crossnet wrapped the
    /// command in `timeout` (exit 143/124 then means the time limit ran out: timed out).
    public static func classify(_ method: ClaimMethod, exitStatus: Int32, output: String, timeLimited: Bool) -> ObservedOutcome {
        let text = output.lowercased()
        if exitStatus == 127 || text.contains(": not found") && !text.contains("server can't find") || text.contains("applet not found")
            || text.contains("executable file not found") {
            return .inconclusive("tool missing: \(firstLine(output))")
        }
        if exitStatus == 126 { return .inconclusive("cannot execute: \(firstLine(output))") }
        if text.contains("usage:") || text.contains("invalid option") || text.contains("unrecognized option") {
            return .inconclusive("bad usage: \(firstLine(output))")
        }
        if exitStatus == 0 {
            if method == .dnsLookup {
                // busybox nslookup prints the server first, then `Name:`/`Address:` per answer.
                let answer = output.components(separatedBy: "Name:").dropFirst().joined()
                return answer.contains("Address") ? .reachable : .unreachable(.nameNotFound)
            }
            return .reachable
        }
        if method == .dnsLookup && text.contains("no servers could be reached") {
            return .unreachable(.nameNotFound)  // no resolver answered: the name does not resolve
        }
        if timeLimited && (exitStatus == 143 || exitStatus == 124 || exitStatus == 137) { return .unreachable(.timedOut) }
        if text.contains("bad address") || text.contains("nxdomain") || text.contains("can't resolve")
            || text.contains("server can't find") || text.contains("name or service not known") {
            return .unreachable(.nameNotFound)
        }
        if text.contains("network is unreachable") || text.contains("no route to host") || text.contains("host is unreachable") {
            return .unreachable(.noRoute)
        }
        if text.contains("connection refused") { return .unreachable(.refused) }
        if text.contains("timed out") || text.contains("100% packet loss") || text.contains(" 0 packets received") {
            return .unreachable(.timedOut)
        }
        return .inconclusive("unrecognised result, exit \(exitStatus): \(firstLine(output))")
    }

    private enum CodingKeys: String, CodingKey { case outcome, reason }

    /// `{"outcome": "reachable"}`, `{"outcome": "unreachable", "reason": "timed out"}`,
    /// `{"outcome": "inconclusive", "reason": "tool missing: …"}`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .reachable: try container.encode("reachable", forKey: .outcome)
        case .unreachable(let reason):
            try container.encode("unreachable", forKey: .outcome)
            try container.encode(reason.rawValue, forKey: .reason)
        case .inconclusive(let why):
            try container.encode("inconclusive", forKey: .outcome)
            try container.encode(why, forKey: .reason)
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        switch try container.decode(String.self, forKey: .outcome) {
        case "reachable": self = .reachable
        case "unreachable": self = .unreachable(try container.decode(UnreachableReason.self, forKey: .reason))
        default: self = .inconclusive(try container.decodeIfPresent(String.self, forKey: .reason) ?? "")
        }
    }

    private static func firstLine(_ text: String) -> String {
        String(text.split(separator: "\n").first ?? "").trimmingCharacters(in: .whitespaces)
    }
}
