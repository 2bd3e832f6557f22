import Foundation

/// Runs the measurements of one schedule round. With ``MeasurementConcurrency/rounds`` the
/// round's pairs run at the same time (no host is in two pairs of a round, so they do not share a
/// host); both directions of a pair run one after the other. With ``MeasurementConcurrency/serial``
/// every measurement runs alone.
public enum RoundExecutor {
    /// Runs `body` for every ordered measurement of `round`; results come back in the round's
    /// run order. Every pair finishes before the first error is thrown.
    public static func run<T: Sendable>(
        _ round: MeasurementSchedule.Round, concurrency: MeasurementConcurrency,
        _ body: @escaping @Sendable (HostPairOrder) async throws -> T
    ) async throws -> [T] {
        switch concurrency {
        case .serial:
            var results: [T] = []
            for measurement in round.measurements { results.append(try await body(measurement)) }
            return results
        case .rounds:
            return try await withThrowingTaskGroup(of: (Int, Result<[T], any Error>).self) { group in
                for (index, pair) in round.pairs.enumerated() {
                    group.addTask {
                        do {
                            var results: [T] = []
                            let directions = pair.source == pair.target ? [pair] : [pair, pair.reversed]
                            for direction in directions { results.append(try await body(direction)) }
                            return (index, .success(results))
                        } catch {
                            return (index, .failure(error))
                        }
                    }
                }
                var collected: [(Int, Result<[T], any Error>)] = []
                for try await result in group { collected.append(result) }
                return try collected.sorted { $0.0 < $1.0 }.flatMap { try $0.1.get() }
            }
        }
    }
}

extension MeasurementSchedule {
    /// Wall time of the schedule when each ordered measurement takes `perMeasurement` (throughput
    /// and latency phases together): with `rounds`, a round lasts as long as its busiest pair
    /// (both directions); with `serial`, every measurement adds up.
    public func estimatedDuration(perMeasurement: Duration, concurrency: MeasurementConcurrency) -> Duration {
        let slots = rounds.reduce(0) { total, round in
            switch concurrency {
            case .serial: total + round.measurements.count
            case .rounds: total + (round.pairs.contains { $0.source != $0.target } ? 2 : (round.pairs.isEmpty ? 0 : 1))
            }
        }
        return perMeasurement * slots
    }
}

extension MeasurementSchedule {
    /// A rough time for one ordered pair with these settings: three throughput tests (TCP 1
    /// stream, TCP parallel, UDP), each `repeats` runs of `duration` plus the omitted second and
    /// about a second of setup; then ICMP, TCP and UDP latency and DNS lookups.
    public static func estimatedMeasurementTime(_ settings: MeasurementSettings) -> Duration {
        let throughput = 3.0 * Double(settings.repeats) * (Double(settings.durationSeconds) + 2)
        let latency = 3.0 * Double(settings.repeats) * (Double(settings.latencySamples) * 0.01 + 1) + 3
        return .milliseconds(Int((throughput + latency) * 1000))
    }
}
