import Foundation

/// Summary statistics of repeated measurements of one figure: mean, median, spread, a 95%
/// confidence interval of the mean (Student's t with n−1 degrees of freedom) and a
/// distribution-free confidence interval of the median (``medianInterval``), the one reports
/// show beside the median headline.
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

    /// Distribution-free interval of the median (order statistics; see
    /// ``ConfidenceInterval/quantile(_:sorted:level:)``); `nil` below 3 samples.
    public var medianInterval: ConfidenceInterval?

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
        medianInterval = ConfidenceInterval.quantile(0.5, sorted: sorted)?.including(median)
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

/// A confidence interval of one statistic (`p50`, `p99`, …), with the confidence it actually has.
///
/// Crossnet's intervals are distribution-free: the interval of the `q`-quantile from `n` samples
/// is a pair of order statistics `[x₍l₎, x₍u₎]`, and its confidence is exactly
/// `P(l ≤ B < u)` for `B ~ Binomial(n, q)` (the number of samples below the true quantile). The
/// ranks are chosen for 95%; when so few samples make 95% impossible (3 repeats: the median's
/// widest interval `[min, max]` holds 75%), the widest interval is kept with its real level, and
/// below ``minimumLevel`` there is no interval at all.
public struct ConfidenceInterval: Codable, Sendable, Equatable {
    public var low: Double
    public var high: Double
    /// The confidence the interval actually has, 0–1 (0.95 when 95% is attainable).
    public var level: Double
    /// How it was computed: `order-statistic`.
    public var method: String

    public init(low: Double, high: Double, level: Double, method: String = "order-statistic") {
        self.low = low
        self.high = high
        self.level = level
        self.method = method
    }

    /// The confidence an interval must reach to be recorded at all.
    public static let minimumLevel = 0.75
    /// The confidence aimed for.
    public static let targetLevel = 0.95

    /// Whether the two intervals share a point.
    public func overlaps(_ other: ConfidenceInterval) -> Bool { low <= other.high && other.low <= high }

    /// The interval widened (if needed) to contain `value`: the headline of a latency figure comes
    /// from an HdrHistogram whose buckets may sit a hair (< 0.1%) beside the raw order statistic.
    public func including(_ value: Double) -> ConfidenceInterval {
        var copy = self
        copy.low = Swift.min(low, value)
        copy.high = Swift.max(high, value)
        return copy
    }

    /// The order-statistic interval of the `q`-quantile (0 < q < 1) of `sorted` (ascending), or
    /// `nil` when fewer than 2 samples or the attainable confidence is below ``minimumLevel``.
    public static func quantile(_ q: Double, sorted: [Double], level target: Double = targetLevel) -> ConfidenceInterval? {
        let n = sorted.count
        guard n >= 2, q > 0, q < 1 else { return nil }
        let cdf = binomialCDF(n: n, p: q)  // cdf[k] = P(B ≤ k)
        let alpha = (1 - target) / 2
        // Lower rank l: the largest with P(B ≤ l−1) ≤ α/2; upper rank u: the smallest with
        // P(B ≥ u) ≤ α/2. Ranks are 1-based; they are clamped to the sample's ends.
        var l = 1
        while l + 1 <= n, cdf[l] <= alpha { l += 1 }
        var u = n
        while u - 1 >= 1, 1 - cdf[u - 2] <= alpha { u -= 1 }
        if u <= l { u = Swift.min(n, l + 1) }
        // Coverage P(l ≤ B ≤ u−1) = cdf[u−1] − cdf[l−1].
        let coverage = cdf[u - 1] - cdf[l - 1]
        guard coverage >= minimumLevel - 1e-12 else { return nil }
        return ConfidenceInterval(low: sorted[l - 1], high: sorted[u - 1], level: (Swift.min(coverage, 1) * 1e4).rounded(.down) / 1e4)
    }

    /// `P(B ≤ k)` for `k` in 0…n, `B ~ Binomial(n, p)` (log-space terms: exact enough for n in the
    /// tens of thousands).
    static func binomialCDF(n: Int, p: Double) -> [Double] {
        let logP = log(p), logQ = log(1 - p)
        var logFactorial = [Double](repeating: 0, count: n + 1)
        for i in stride(from: 1, through: n, by: 1) { logFactorial[i] = logFactorial[i - 1] + log(Double(i)) }
        var cdf = [Double](repeating: 0, count: n + 1)
        var total = 0.0
        for k in 0...n {
            let logPMF = logFactorial[n] - logFactorial[k] - logFactorial[n - k] + Double(k) * logP + Double(n - k) * logQ
            total += exp(logPMF)
            cdf[k] = Swift.min(1, total)
        }
        return cdf
    }
}
