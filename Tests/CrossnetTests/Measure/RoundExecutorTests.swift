import Foundation
import Testing

@testable import Crossnet

/// `measurement.concurrency: rounds`: a round's pairs run at the same time, no host is in two
/// measurements at once, and a full mesh of N hosts takes N−1 rounds (N even) of wall time.
struct RoundExecutorTests {
    /// Start and end of each measurement, as the executor ran it.
    final class Timeline: @unchecked Sendable {
        private let lock = NSLock()
        private(set) var spans: [(pair: HostPairOrder, start: ContinuousClock.Instant, end: ContinuousClock.Instant)] = []
        func add(_ pair: HostPairOrder, _ start: ContinuousClock.Instant, _ end: ContinuousClock.Instant) {
            lock.withLock { spans.append((pair, start, end)) }
        }
    }

    static func run(hosts: Int, concurrency: MeasurementConcurrency) async throws -> (MeasurementSchedule, [[(pair: HostPairOrder, start: ContinuousClock.Instant, end: ContinuousClock.Instant)]]) {
        let schedule = MeasurementSchedule(hosts: (1...hosts).map { "h\($0)" }, pairs: .mesh)
        var perRound: [[(pair: HostPairOrder, start: ContinuousClock.Instant, end: ContinuousClock.Instant)]] = []
        for round in schedule.rounds {
            let timeline = Timeline()
            let results = try await RoundExecutor.run(round, concurrency: concurrency) { pair in
                let start = ContinuousClock.now
                try await Task.sleep(for: .milliseconds(60))
                timeline.add(pair, start, ContinuousClock.now)
                return pair
            }
            #expect(results == round.measurements, "results come back in the round's run order")
            perRound.append(timeline.spans)
        }
        return (schedule, perRound)
    }

    @Test("rounds: each round's pairs overlap in time and no host is in two measurements at once", arguments: [4, 6])
    func roundsOverlap(hosts: Int) async throws {
        let (schedule, rounds) = try await Self.run(hosts: hosts, concurrency: .rounds)
        #expect(schedule.rounds.count == hosts - 1)
        #expect(rounds.flatMap { $0 }.count == hosts * (hosts - 1), "every ordered pair once")
        for (index, spans) in rounds.enumerated() {
            // Every pair of distinct unordered pairs in the round ran at the same time.
            let round = schedule.rounds[index]
            for first in round.pairs {
                for second in round.pairs where first != second {
                    let a = spans.filter { $0.pair == first || $0.pair == first.reversed }
                    let b = spans.filter { $0.pair == second || $0.pair == second.reversed }
                    let overlap = a.contains { x in b.contains { y in x.start < y.end && y.start < x.end } }
                    #expect(overlap, "round \(index + 1): \(first) and \(second) did not overlap")
                }
            }
            // No host in two measurements at once.
            for x in spans {
                for y in spans where x.pair != y.pair && x.start < y.end && y.start < x.end {
                    let shared = Set([x.pair.source, x.pair.target]).intersection([y.pair.source, y.pair.target])
                    #expect(shared.isEmpty, "round \(index + 1): \(x.pair) and \(y.pair) share \(shared) at the same time")
                }
            }
        }
    }

    @Test("serial: no two measurements overlap")
    func serialDoesNotOverlap() async throws {
        let (_, rounds) = try await Self.run(hosts: 4, concurrency: .serial)
        for spans in rounds {
            for x in spans {
                for y in spans where x.pair != y.pair {
                    #expect(!(x.start < y.end && y.start < x.end), "\(x.pair) and \(y.pair) overlap")
                }
            }
        }
    }

    @Test("the estimated wall time of a mesh: N−1 rounds with rounds (N even), N·(N−1) measurements serial", arguments: [4, 6])
    func estimate(hosts: Int) {
        let schedule = MeasurementSchedule(hosts: (1...hosts).map { "h\($0)" }, pairs: .mesh)
        let rounds = schedule.estimatedDuration(perMeasurement: .seconds(10), concurrency: .rounds)
        let serial = schedule.estimatedDuration(perMeasurement: .seconds(10), concurrency: .serial)
        #expect(rounds == .seconds(10 * 2 * (hosts - 1)), "each round: both directions of its pairs, pairs at once")
        #expect(serial == .seconds(10 * hosts * (hosts - 1)))
    }
}
