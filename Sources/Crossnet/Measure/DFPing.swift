import Foundation

/// One ICMP echo sent with the don't-fragment bit set (iputils `ping -M do -s SIZE -c 1`), and
/// what became of it.
public struct DFPing: Sendable, Equatable {
    /// What happened to the packet.
    public enum Outcome: Sendable, Equatable, CustomStringConvertible {
        /// The echo reply came back: a packet of this size crosses unfragmented.
        case crossed
        /// The sender refused it: larger than the route's MTU (`ping: local error: message too
        /// long, mtu=1450`).
        case tooLargeLocally(mtu: Int?)
        /// A hop on the way answered "fragmentation needed" (`Frag needed and DF set (mtu = 1400)`).
        case fragmentationNeeded(mtu: Int?)
        /// Nothing came back: dropped silently (a black hole for this size) or the path is down.
        case noReply

        public var description: String {
            switch self {
            case .crossed: "crossed"
            case .tooLargeLocally(let mtu): "refused by the sender (mtu \(mtu.map(String.init) ?? "?"))"
            case .fragmentationNeeded(let mtu): "fragmentation needed on the way (mtu \(mtu.map(String.init) ?? "?"))"
            case .noReply: "no reply"
            }
        }
    }

    /// ICMP echo payload bytes (`-s`).
    public var payload: Int
    public var outcome: Outcome
    /// The line of ping's output that decided the outcome (reply, error or statistics), as evidence.
    public var evidence: String

    /// IPv4 (20) plus ICMP (8) header bytes around the payload.
    public static let headerBytes = 28

    /// Size of the IP packet on the wire.
    public var packetBytes: Int { payload + Self.headerBytes }

    public var crossed: Bool { outcome == .crossed }

    public init(payload: Int, outcome: Outcome, evidence: String = "") {
        self.payload = payload
        self.outcome = outcome
        self.evidence = evidence
    }

    /// The command run in the source container.
    public static func command(payload: Int, target: String, waitSeconds: Int = 1) -> [String] {
        [ProbeImage.dfPing, "-M", "do", "-s", String(payload), "-c", "1", "-W", String(waitSeconds), "-n", target]
    }

    /// Reads iputils ping's output for one DF echo of `payload` bytes (stdout and stderr together:
    /// the local error goes to stderr). Throws when it is not ping's output at all.
    public static func parse(_ text: String, payload: Int, host: String = "local", operation: String = "ping -M do") throws -> DFPing {
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
        if let line = lines.first(where: { $0.contains("message too long") }) {
            return DFPing(payload: payload, outcome: .tooLargeLocally(mtu: number(after: "mtu=", in: line)), evidence: line)
        }
        if let line = lines.first(where: { $0.contains("Frag needed") }) {
            return DFPing(payload: payload, outcome: .fragmentationNeeded(mtu: number(after: "mtu = ", in: line)), evidence: line)
        }
        guard let stats = lines.first(where: { $0.contains("packets transmitted") }) else {
            throw MeasurementError.unparsable(
                host: host, operation: operation, reason: "no 'packets transmitted' statistics line",
                excerpt: String(text.prefix(300)))
        }
        let received = stats.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            .first { $0.hasSuffix("received") }.flatMap { Int($0.prefix { $0.isNumber }) } ?? 0
        let reply = lines.first { $0.contains("bytes from") }
        return DFPing(payload: payload, outcome: received > 0 ? .crossed : .noReply, evidence: reply ?? stats)
    }

    private static func number(after marker: String, in text: String) -> Int? {
        guard let range = text.range(of: marker) else { return nil }
        return Int(text[range.upperBound...].prefix { $0.isNumber })
    }
}

/// Bisection for the largest payload that crosses, given a known-good and a known-bad size.
public enum PathMTUSearch {
    /// The largest payload in `crossing..<failing` for which `crosses` holds, assuming every size
    /// up to some limit crosses and none above it does; `crossing` must cross and `failing` must
    /// not. About log2(failing − crossing) probes.
    public static func largest(
        crossing: Int, failing: Int, _ crosses: (Int) async throws -> Bool
    ) async rethrows -> Int {
        var low = crossing
        var high = failing
        while high - low > 1 {
            let middle = low + (high - low) / 2
            if try await crosses(middle) { low = middle } else { high = middle }
        }
        return low
    }
}
