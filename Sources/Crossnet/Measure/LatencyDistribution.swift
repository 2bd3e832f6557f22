import Foundation
import Histogram

/// Round-trip times recorded in an HdrHistogram (nanosecond resolution, 3 significant digits),
/// with the percentiles a network engineer reads.
public struct LatencyDistribution: Sendable {
    private var histogram = Histogram<UInt64>(
        lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)
    private var sum = 0.0
    private var sumOfSquares = 0.0

    public init() {}

    /// Builds a distribution from RTTs in seconds.
    public init(seconds: [Double]) {
        for value in seconds { record(seconds: value) }
    }

    /// Records one RTT.
    public mutating func record(seconds: Double) {
        let nanoseconds = UInt64(Swift.max(1, (seconds * 1e9).rounded()))
        _ = histogram.record(nanoseconds)
        sum += seconds
        sumOfSquares += seconds * seconds
    }

    public var count: Int { Int(histogram.totalCount) }

    /// The value at `percentile` (0…100), seconds.
    public func percentile(_ percentile: Double) -> Double {
        Double(histogram.valueAtPercentile(percentile)) / 1e9
    }

    public var min: Double { Double(histogram.min) / 1e9 }
    public var max: Double { Double(histogram.max) / 1e9 }
    /// Exact mean of the recorded values (not the histogram's bucketed one).
    public var mean: Double { count == 0 ? 0 : sum / Double(count) }
    /// Sample standard deviation of the recorded values.
    public var standardDeviation: Double {
        guard count > 1 else { return 0 }
        let n = Double(count)
        return Swift.max(0, (sumOfSquares - sum * sum / n) / (n - 1)).squareRoot()
    }

    /// Merges another distribution into this one.
    public mutating func add(_ other: LatencyDistribution) {
        histogram.add(other.histogram)
        sum += other.sum
        sumOfSquares += other.sumOfSquares
    }
}
