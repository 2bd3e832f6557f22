import Foundation

/// Summary statistics of repeated measurements of one figure: mean, median, spread and a 95%
/// confidence interval of the mean (Student's t with n−1 degrees of freedom).
public struct SampleStatistics: Sendable, Equatable, Codable {
    public var count: Int
    public var mean: Double
    public var median: Double
    public var min: Double
    public var max: Double
    /// Sample standard deviation (n−1 in the denominator); 0 for one sample.
    public var standardDeviation: Double
    /// Standard deviation ÷ mean, in percent; 0 when the mean is 0.
    public var coefficientOfVariationPercent: Double
    /// Lower bound of the 95% confidence interval of the mean (equals the mean for one sample).
    public var ci95Low: Double
    /// Upper bound of the 95% confidence interval of the mean.
    public var ci95High: Double

    /// Summarises `samples`; `nil` when there are none.
    public init?(_ samples: [Double]) {
        guard !samples.isEmpty else { return nil }
        let n = samples.count
        let sorted = samples.sorted()
        count = n
        mean = samples.reduce(0, +) / Double(n)
        median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2
        min = sorted.first!
        max = sorted.last!
        if n > 1 {
            let mean = self.mean
            let variance = samples.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n - 1)
            standardDeviation = variance.squareRoot()
            let halfWidth = Self.studentT95(degreesOfFreedom: n - 1) * standardDeviation / Double(n).squareRoot()
            ci95Low = mean - halfWidth
            ci95High = mean + halfWidth
        } else {
            standardDeviation = 0
            ci95Low = mean
            ci95High = mean
        }
        coefficientOfVariationPercent = mean == 0 ? 0 : standardDeviation / abs(mean) * 100
    }

    /// Two-sided 95% critical value of Student's t distribution.
    public static func studentT95(degreesOfFreedom df: Int) -> Double {
        let table: [Double] = [
            12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
            2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
            2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
        ]
        precondition(df >= 1, "degrees of freedom must be at least 1")
        if df <= table.count { return table[df - 1] }
        if df <= 40 { return 2.021 }
        if df <= 60 { return 2.000 }
        if df <= 120 { return 1.980 }
        return 1.960
    }

    /// Whether two confidence intervals overlap.
    public func overlaps(_ other: SampleStatistics) -> Bool {
        ci95Low <= other.ci95High && other.ci95Low <= ci95High
    }
}
