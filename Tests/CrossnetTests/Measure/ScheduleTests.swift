import Testing

@testable import Crossnet

@Suite("measurement schedule")
struct ScheduleTests {
    static func hosts(_ n: Int) -> [String] { (1...n).map { "h\($0)" } }

    @Test("mesh: no host twice in a round, every ordered pair exactly once, N−1 rounds (even) or N (odd)", arguments: 2...8)
    func mesh(n: Int) {
        let schedule = MeasurementSchedule(hosts: Self.hosts(n), pairs: .mesh)
        #expect(schedule.rounds.count == (n % 2 == 0 ? n - 1 : n))
        for round in schedule.rounds {
            #expect(Set(round.busyHosts).count == round.busyHosts.count, "round \(round)")
            #expect(Set(round.busyHosts).union(round.idle) == Set(Self.hosts(n)))
            #expect(round.idle.count == n % 2)
        }
        let ordered = schedule.throughputOrder
        let expected = Set(Self.hosts(n).flatMap { a in Self.hosts(n).filter { $0 != a }.map { HostPairOrder(source: a, target: $0) } })
        #expect(ordered.count == n * (n - 1))
        #expect(Set(ordered) == expected)
    }

    @Test("star: the first host with each other host, both directions, one pair per round", arguments: 2...8)
    func star(n: Int) {
        let schedule = MeasurementSchedule(hosts: Self.hosts(n), pairs: .star)
        #expect(schedule.rounds.count == n - 1)
        for round in schedule.rounds {
            #expect(Set(round.busyHosts).count == round.busyHosts.count)
            #expect(round.pairs.count == 1)
        }
        let ordered = schedule.throughputOrder
        #expect(ordered.count == 2 * (n - 1))
        let expected = Set(Self.hosts(n).dropFirst().flatMap { [HostPairOrder(source: "h1", target: $0), HostPairOrder(source: $0, target: "h1")] })
        #expect(Set(ordered) == expected)
    }

    @Test("both directions of a pair run back to back in the same round", arguments: 2...8)
    func directionsTogether(n: Int) {
        for round in MeasurementSchedule(hosts: Self.hosts(n), pairs: .mesh).rounds {
            let m = round.measurements
            for i in stride(from: 0, to: m.count, by: 2) { #expect(m[i + 1] == m[i].reversed) }
        }
    }

    @Test("local (bridge-type drivers): one round, each host with itself")
    func local() {
        let schedule = MeasurementSchedule(hosts: Self.hosts(3), mode: .local)
        #expect(schedule.rounds.count == 1)
        #expect(schedule.throughputOrder.map(\.description) == ["h1→h1", "h2→h2", "h3→h3"])
    }

    @Test("latency runs in its own phase over the same pairs")
    func latencyPhase() {
        let schedule = MeasurementSchedule(hosts: Self.hosts(5), pairs: .mesh)
        #expect(Set(schedule.latencyOrder) == Set(schedule.throughputOrder))
        #expect(schedule.description.contains("latency (own phase"))
    }

    @Test("the printout for three hosts")
    func printout() {
        let text = MeasurementSchedule(hosts: Self.hosts(3), pairs: .mesh).description
        print(text)
        #expect(text.contains("round 1: "))
        #expect(text.contains("idle: "))
    }
}
