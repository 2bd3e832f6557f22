import Foundation

/// Compares two runs: figures matched by (driver, metric, protocol, source, target, streams), and
/// tests by id.
///
/// A figure regresses only when **all** hold:
/// - it moved in the worse direction (``MetricDirection``) by more than the tolerance, and
/// - both runs have a confidence interval for that statistic and the intervals do not overlap;
/// - the driver moved too: the median over the driver's pairs changed the same way by more than the
///   tolerance (else the pair's verdict is `isolated`).
///
/// A figure without an interval on either side (fewer than 3 repeats, too few samples for a tail
/// percentile, or a schema-1 file's single repeat) is never counted as certain: its verdict is
/// `uncertain`, whatever the change. So is a figure flagged `cpu-bound` (it measured a CPU, not
/// the network). Latency-like figures are compared on their headline (p50) and on p99. A test that
/// passed in the base run and failed in the new one is a regression too; a test of the base run
/// that is missing from the new one is flagged.
public struct RunComparison: Sendable {
    /// Allowed change before a worse figure counts: relative, in percent (`loss`: percentage points).
    public struct Tolerance: Sendable, Equatable {
        /// Applies to every metric, raised to the metric's ``noiseFloors`` entry.
        public var defaultPercent: Double
        /// Per metric (`throughput`, `rtt`, …; also `rtt.p99` for the p99 row); used as given, even
        /// below the noise floor.
        public var perMetric: [String: Double]

        public init(defaultPercent: Double = 10, perMetric: [String: Double] = [:]) {
            self.defaultPercent = defaultPercent
            self.perMetric = perMetric
        }

        /// The smallest change that runs of the unchanged 2-core virtual lab do not reach on their
        /// own, per metric (docs/measurements.md has the measurements): the worst worsening of a
        /// driver's median over pairs between three back-to-back runs (throughput 34% overlay, 65%
        /// host while other builds loaded the machine; RTT p50 29%; DNS p50 44%; RTT p99 508%;
        /// jitter 146%; loss 22 points), and the spread between equivalent pairs of one captured
        /// run (RTT p99 up to 11.6×, UDP loss up to 34 points), rounded up. Throughput stays below
        /// 50% so that a halving is still seen.
        public static let noiseFloors: [String: Double] = [
            "throughput": 40, "rtt": 60, "rtt.p99": 1100, "dns": 60, "dns.p99": 1100, "jitter": 250, "loss": 35,
        ]

        public func percent(for metric: String, statistic: String) -> Double {
            let name = statistic == "value" ? metric : "\(metric).\(statistic)"
            if let explicit = perMetric[name] ?? perMetric[metric] { return explicit }
            return Swift.max(defaultPercent, Self.noiseFloors[name] ?? Self.noiseFloors[metric] ?? 0)
        }

        /// Parses `METRIC=PCT`.
        public static func parseMetric(_ text: String) throws -> (String, Double) {
            let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty, let value = Double(parts[1].trimmingCharacters(in: CharacterSet(charactersIn: "% "))), value >= 0 else {
                throw InputError("--metric-tolerance takes METRIC=PCT (e.g. rtt=25), got \"\(text)\"")
            }
            return (parts[0], value)
        }
    }

    public enum Verdict: String, Sendable {
        case regression, improvement, unchanged, withinNoise = "within-noise", uncertain, added, removed
        /// This pair moved beyond its interval and the tolerance, but the driver as a whole (the
        /// median over its pairs) did not: one pair's transient, not a change of the driver.
        case isolated
    }

    /// The identity of a figure across runs.
    public struct Key: Hashable, Sendable, Comparable {
        public var driver: String
        public var metric: String
        public var `protocol`: String
        public var source: String
        public var target: String
        public var streams: Int?

        public init(_ record: MeasurementRecord) {
            driver = record.driver
            metric = record.metric
            self.protocol = record.protocol
            source = record.source
            target = record.target
            streams = record.parameters.streams
        }

        public static func < (a: Key, b: Key) -> Bool {
            if a.driver != b.driver { return ReportOrdering.driverLess(a.driver, b.driver) }
            return (a.metric, a.protocol, a.source, a.target, a.streams ?? 0) < (b.metric, b.protocol, b.source, b.target, b.streams ?? 0)
        }

        public var label: String {
            "\(driver) \(metric) \(`protocol`) \(source)→\(target)" + (streams.map { " ×\($0)" } ?? "")
        }

        /// `h1→h2`.
        public var pair: String { "\(source)→\(target)" }
    }

    /// One compared figure.
    public struct Row: Sendable {
        public var key: Key
        /// `value` (the headline, p50) or `p99`.
        public var statistic: String
        public var unit: String
        public var base: Double?
        public var new: Double?
        /// Change of new against base: relative in percent, or percentage points for `loss`.
        public var changePercent: Double?
        public var tolerancePercent: Double
        public var baseInterval: ConfidenceInterval?
        public var newInterval: ConfidenceInterval?
        /// `nil` when either side has no interval.
        public var intervalsOverlap: Bool?
        /// Flags of either side (`noisy`, `cpu-bound`).
        public var flags: [String]
        public var verdict: Verdict
        /// Change of the median over every pair of this driver, metric, protocol, streams and
        /// placement measured in both runs (the corroboration a pair's regression needs).
        public var driverChangePercent: Double?

        /// `true` when the change is in percentage points (`loss`), not relative.
        public var changeInPoints: Bool { key.metric == "loss" }

        /// How sure the verdict is, for people: `95% / 75% intervals apart`, `intervals overlap`,
        /// `no interval (base)`.
        public var confidence: String {
            switch (baseInterval, newInterval) {
            case (nil, nil): return "no interval"
            case (nil, _): return "no interval in base"
            case (_, nil): return "no interval in new"
            case (let b?, let n?):
                let levels = "\(Self.percent(b.level)) / \(Self.percent(n.level))"
                return intervalsOverlap == true ? "\(levels) intervals overlap" : "\(levels) intervals apart"
            }
        }

        static func percent(_ level: Double) -> String { ReportFormat.level(level) }

        /// `+12.5 %` or `+3.0 pt`.
        public var changeText: String {
            guard let change = changePercent else { return "—" }
            return changeInPoints ? String(format: "%+.1f pt", change) : ReportFormat.percent(change)
        }
    }

    /// A test whose status changed for the worse, or that went missing.
    public struct TestChange: Sendable {
        public var id: String
        public var name: String
        public var base: ResultsDocument.Test.Status
        /// `nil`: the test is not in the new run.
        public var new: ResultsDocument.Test.Status?
        public var message: String?
    }

    public var rows: [Row]
    public var newlyFailing: [TestChange]
    /// Tests present in BASE and missing from NEW (flagged; not a regression by themselves).
    public var missingTests: [TestChange]
    public var tolerance: Tolerance

    public var regressions: [Row] { rows.filter { $0.verdict == .regression } }
    public var hasRegression: Bool { !regressions.isEmpty || !newlyFailing.isEmpty }

    /// `true` when higher values of `metric` are better (``MetricDirection``).
    public static func higherIsBetter(_ metric: String) -> Bool { MetricDirection.higherIsBetter(metric) }

    public init(base: ResultsDocument, new: ResultsDocument, tolerance: Tolerance = Tolerance()) {
        self.tolerance = tolerance
        // Self-tests' figures (a tbf-capped link) share a driver figure's key but are not one.
        let baseByKey = Dictionary(base.measurements.filter { !$0.isSelfTest }.map { (Key($0), $0) }, uniquingKeysWith: { a, _ in a })
        let newByKey = Dictionary(new.measurements.filter { !$0.isSelfTest }.map { (Key($0), $0) }, uniquingKeysWith: { a, _ in a })
        var rows: [Row] = []
        for key in Set(baseByKey.keys).union(newByKey.keys).sorted() {
            let b = baseByKey[key]
            let n = newByKey[key]
            rows.append(Self.row(key: key, statistic: "value", base: b, new: n, tolerance: tolerance))
            if !Self.higherIsBetter(key.metric), b?.stats.p99 != nil || n?.stats.p99 != nil {
                rows.append(Self.row(key: key, statistic: "p99", base: b, new: n, tolerance: tolerance))
            }
        }
        self.rows = Self.corroborated(rows, base: baseByKey, new: newByKey, tolerance: tolerance)
        let baseTests = Dictionary(base.tests.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        newlyFailing = new.tests.compactMap { test in
            guard test.status == .failed, let before = baseTests[test.id], before.status == .passed else { return nil }
            return TestChange(id: test.id, name: test.displayName, base: before.status, new: test.status, message: test.message)
        }
        let newIDs = Set(new.tests.map(\.id))
        missingTests = base.tests.filter { !newIDs.contains($0.id) }.map {
            TestChange(id: $0.id, name: $0.displayName, base: $0.status, new: nil, message: nil)
        }
    }

    private static func row(key: Key, statistic: String, base b: MeasurementRecord?, new n: MeasurementRecord?, tolerance: Tolerance) -> Row {
        let tol = tolerance.percent(for: key.metric, statistic: statistic)
        let unit = (n ?? b)!.unit
        let interval = statistic == "value" ? "p50" : statistic
        func value(_ r: MeasurementRecord?) -> Double? { statistic == "value" ? r?.value : r?.stats.p99 }
        var row = Row(
            key: key, statistic: statistic, unit: unit, base: value(b), new: value(n), changePercent: nil,
            tolerancePercent: tol, baseInterval: b?.stats.interval(interval), newInterval: n?.stats.interval(interval),
            intervalsOverlap: nil, flags: Array(Set((b?.flags ?? []) + (n?.flags ?? []))).sorted(), verdict: .unchanged,
            driverChangePercent: nil)
        guard let base = row.base, let new = row.new else {
            row.verdict = row.base == nil ? .added : .removed
            return row
        }
        let change: Double =
            key.metric == "loss" ? new - base
            : base == 0 ? (new == 0 ? 0 : (new > 0 ? .infinity : -.infinity)) : (new - base) / abs(base) * 100
        row.changePercent = change
        if let bi = row.baseInterval, let ni = row.newInterval { row.intervalsOverlap = bi.overlaps(ni) }
        if abs(change) <= tol {
            row.verdict = .unchanged
        } else if row.intervalsOverlap == nil || row.flags.contains("cpu-bound") {
            row.verdict = .uncertain
        } else if row.intervalsOverlap == true {
            row.verdict = .withinNoise
        } else {
            row.verdict = MetricDirection(metric: key.metric).isWorse(new, than: base) ? .regression : .improvement
        }
        return row
    }

    /// A pair's regression (or improvement) stands only when the driver moved too: the median over
    /// the driver's pairs (same metric, protocol, streams, placement and statistic) must have
    /// changed the same way by more than the tolerance. On a shared machine one pair's figures
    /// swing with whatever else ran at that moment; a change of the driver shows in its pairs'
    /// median. With one pair the two are the same.
    static func corroborated(
        _ rows: [Row], base: [Key: MeasurementRecord], new: [Key: MeasurementRecord], tolerance: Tolerance
    ) -> [Row] {
        struct Group: Hashable {
            var driver, metric, proto, statistic: String
            var streams: Int?
            var placement: MeasurementPlacement
        }
        func group(_ row: Row) -> Group? {
            guard let record = new[row.key] ?? base[row.key] else { return nil }
            return Group(
                driver: row.key.driver, metric: row.key.metric, proto: row.key.protocol, statistic: row.statistic,
                streams: row.key.streams, placement: record.resolvedPlacement)
        }
        func median(_ values: [Double]) -> Double {
            let sorted = values.sorted()
            let n = sorted.count
            return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2
        }
        var members: [Group: [Row]] = [:]
        for row in rows where row.base != nil && row.new != nil {
            if let g = group(row) { members[g, default: []].append(row) }
        }
        var change: [Group: Double] = [:]
        for (g, list) in members {
            let b = median(list.map { $0.base! }), n = median(list.map { $0.new! })
            change[g] = g.metric == "loss" ? n - b : (b == 0 ? (n == 0 ? 0 : (n > b ? .infinity : -.infinity)) : (n - b) / abs(b) * 100)
        }
        return rows.map { row in
            var row = row
            guard let g = group(row), let driverChange = change[g] else { return row }
            row.driverChangePercent = driverChange
            guard row.verdict == .regression || row.verdict == .improvement, let pairChange = row.changePercent else { return row }
            let sameWay = (driverChange > 0) == (pairChange > 0)
            if !sameWay || abs(driverChange) <= row.tolerancePercent { row.verdict = .isolated }
            return row
        }
    }

    /// A plain-text table of every compared figure and test change.
    public var table: String {
        var lines: [[String]] = [["figure", "stat", "base", "new", "change", "tolerance", "confidence", "verdict"]]
        // Figures only one run has are counted, not listed one by one.
        for row in rows where row.verdict != .added && row.verdict != .removed {
            lines.append([
                row.key.label, row.statistic,
                row.base.map { ReportFormat.value($0, unit: row.unit) } ?? "—",
                row.new.map { ReportFormat.value($0, unit: row.unit) } ?? "—",
                row.changeText,
                String(format: row.changeInPoints ? "±%.0f pt" : "±%.0f %%", row.tolerancePercent),
                row.confidence,
                row.verdict == .regression ? "REGRESSION" : row.verdict.rawValue,
            ])
        }
        let widths = (0..<lines[0].count).map { column in lines.map { $0[column].count }.max() ?? 0 }
        var text = lines.map { line in
            zip(line, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ")
                .trimmingCharacters(in: .whitespaces)
        }.joined(separator: "\n")
        if lines.count == 1 { text = rows.isEmpty ? "no measurements in either run" : "no figure present in both runs" }
        let added = rows.filter { $0.verdict == .added }.count
        let removed = rows.filter { $0.verdict == .removed }.count
        if added + removed > 0 { text += "\n(\(added) figure(s) only in NEW, \(removed) only in BASE: not compared)" }
        if !missingTests.isEmpty {
            text += "\n\ntests in BASE missing from NEW (not run, or renamed):"
            for change in missingTests { text += "\n  MISSING \(change.name)  [\(change.id)]" }
        }
        if !newlyFailing.isEmpty {
            text += "\n\nnewly failing tests (passed in base):"
            for change in newlyFailing { text += "\n  REGRESSION \(change.name)  [\(change.id)]" }
        }
        text += "\n\n" + (hasRegression
            ? "\(regressions.count) figure regression(s), \(newlyFailing.count) newly failing test(s)"
            : "no regression (\(rows.count) figures, tolerance \(String(format: "%.0f", tolerance.defaultPercent)) % or the metric's noise floor)")
        if !missingTests.isEmpty { text += "; \(missingTests.count) test(s) of BASE missing from NEW" }
        return text
    }
}

extension RunComparison {
    /// Loads BASE and NEW (each a results.json or a run folder) and compares them.
    ///
    /// - Throws: ``InputError`` naming the file for a missing file, malformed JSON or another
    ///   schema version.
    public static func load(base: String, new: String, tolerance: Tolerance = Tolerance()) throws -> RunComparison {
        let baseDocument = try ResultsDocument.load(path: base)
        let newDocument = try ResultsDocument.load(path: new)
        return RunComparison(base: baseDocument, new: newDocument, tolerance: tolerance)
    }

    /// The `crossnet compare` exit code: 1 on a regression, 0 otherwise.
    public var exitCode: Int32 { hasRegression ? 1 : 0 }
}
