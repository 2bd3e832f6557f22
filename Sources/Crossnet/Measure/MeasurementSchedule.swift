/// Source and target host of one measurement (the same host twice for two containers on one host).
public struct HostPairOrder: Sendable, Hashable, CustomStringConvertible {
    public var source: String
    public var target: String

    public init(source: String, target: String) {
        self.source = source
        self.target = target
    }

    public var reversed: HostPairOrder { HostPairOrder(source: target, target: source) }
    public var description: String { "\(source)→\(target)" }
}

/// Which host pairs are measured and in what order, so that measurements do not disturb each other.
///
/// Throughput runs in rounds built with the circle (round-robin tournament) method: in a round no
/// host takes part in two pairs, and both directions of a pair run in that round, one after the
/// other. A mesh of N hosts takes N−1 rounds for even N and N rounds for odd N (one host idles
/// each round); a star (the first host with every other) takes N−1 rounds of one pair. Latency
/// runs in its own phase after all throughput rounds, in the same rounds, so it never shares a
/// host with a running throughput test.
public struct MeasurementSchedule: Sendable, CustomStringConvertible {
    /// One round: pairs with no host in common; each contributes both directions in order.
    public struct Round: Sendable, Equatable {
        /// Unordered pairs, as (first, second); measured first→second, then second→first.
        public var pairs: [HostPairOrder]
        /// Hosts that take no part in this round.
        public var idle: [String]

        /// The ordered measurements of the round, in run order.
        public var measurements: [HostPairOrder] {
            pairs.flatMap { $0.source == $0.target ? [$0] : [$0, $0.reversed] }
        }

        /// Every host busy in this round.
        public var busyHosts: [String] { pairs.flatMap { $0.source == $0.target ? [$0.source] : [$0.source, $0.target] } }
    }

    public enum Mode: String, Sendable {
        case mesh, star
        /// Two containers on the same host (bridge-type drivers without cross-host reach).
        case local
    }

    public var hosts: [String]
    public var mode: Mode
    public var rounds: [Round]

    /// Builds the schedule for `hosts` (inventory order) and `pairs`.
    public init(hosts: [String], pairs: PairMode) {
        self.init(hosts: hosts, mode: pairs == .star ? .star : .mesh)
    }

    public init(hosts: [String], mode: Mode) {
        self.hosts = hosts
        self.mode = mode
        switch mode {
        case .local:
            rounds = hosts.isEmpty ? [] : [Round(pairs: hosts.map { HostPairOrder(source: $0, target: $0) }, idle: [])]
        case .mesh:
            rounds = Self.circleRounds(hosts)
        case .star:
            guard let hub = hosts.first else {
                rounds = []
                break
            }
            rounds = Self.circleRounds(hosts).compactMap { round in
                let pairs = round.pairs.filter { $0.source == hub || $0.target == hub }
                guard !pairs.isEmpty else { return nil }
                let busy = Set(pairs.flatMap { [$0.source, $0.target] })
                return Round(pairs: pairs, idle: hosts.filter { !busy.contains($0) })
            }
        }
    }

    /// Every ordered throughput measurement, in run order (round by round).
    public var throughputOrder: [HostPairOrder] { rounds.flatMap(\.measurements) }

    /// Every ordered latency measurement, in run order; the latency phase starts after the last
    /// throughput round.
    public var latencyOrder: [HostPairOrder] { throughputOrder }

    /// The circle method: fix the first host, rotate the others; a `nil` slot is a bye for odd N.
    static func circleRounds(_ hosts: [String]) -> [Round] {
        guard hosts.count >= 2 else { return [] }
        var slots: [String?] = hosts
        if slots.count % 2 == 1 { slots.append(nil) }
        let n = slots.count
        var rounds: [Round] = []
        for _ in 0..<(n - 1) {
            var pairs: [HostPairOrder] = []
            var idle: [String] = []
            for i in 0..<(n / 2) {
                switch (slots[i], slots[n - 1 - i]) {
                case (let a?, let b?):
                    // Sort within the pair by inventory order so the printout reads naturally.
                    let (first, second) = hosts.firstIndex(of: a)! < hosts.firstIndex(of: b)! ? (a, b) : (b, a)
                    pairs.append(HostPairOrder(source: first, target: second))
                case (let a?, nil), (nil, let a?):
                    idle.append(a)
                case (nil, nil):
                    break
                }
            }
            rounds.append(Round(pairs: pairs, idle: idle))
            // Rotate every slot but the first one step clockwise.
            let last = slots.removeLast()
            slots.insert(last, at: 1)
        }
        return rounds
    }

    public var description: String {
        var lines = ["throughput (\(mode.rawValue), \(hosts.count) hosts, \(rounds.count) rounds; no host is in two pairs of a round):"]
        for (index, round) in rounds.enumerated() {
            var line = "  round \(index + 1): " + round.measurements.map(\.description).joined(separator: ", ")
            if !round.idle.isEmpty { line += "  (idle: \(round.idle.joined(separator: ", ")))" }
            lines.append(line)
        }
        lines.append("latency (own phase after the last throughput round; never alongside throughput):")
        for (index, round) in rounds.enumerated() {
            lines.append("  round \(index + 1): " + round.measurements.map(\.description).joined(separator: ", "))
        }
        return lines.joined(separator: "\n")
    }
}
