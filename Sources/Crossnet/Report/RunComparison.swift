import Foundation

/// Compares two runs: figures matched by (driver, metric, protocol, source, target, streams), and
/// tests by id.
///
/// A figure regresses when it moved in the worse direction (throughput down; rtt, dns, loss,
/// jitter up) by more than the tolerance **and**, when both runs have 95% confidence intervals,
/// those intervals do not overlap. Latency-like figures are compared on their headline (p50) and
/// on p99. A test that passed in the base run and failed in the new one is a regression too.
public struct RunComparison: Sendable {
    /// Allowed relative change, in percent, before a worse figure counts.
    public struct Tolerance: Sendable, Equatable {
        public var defaultPercent: Double
        /// Per metric (`throughput`, `rtt`, …; also `rtt.p99` for the p99 row).
        public var perMetric: [String: Double]

        public init(defaultPercent: Double = 10, perMetric: [String: Double] = [:]) {
            self.defaultPercent = defaultPercent
            self.perMetric = perMetric
        }

        public func percent(for metric: String, statistic: String) -> Double {
            perMetric["\(metric).\(statistic)"] ?? perMetric[metric] ?? defaultPercent
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
        case regression, improvement, unchanged, withinNoise = "within-noise", added, removed
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
    }

    /// One compared figure.
    public struct Row: Sendable {
        public var key: Key
        /// `value` (the headline) or `p99`.
        public var statistic: String
        public var unit: String
        public var base: Double?
        public var new: Double?
        /// Relative change in percent (new vs base).
        public var changePercent: Double?
        public var tolerancePercent: Double
        /// `nil` when either side has no CI.
        public var intervalsOverlap: Bool?
        public var verdict: Verdict
    }

    /// A test whose status changed for the worse.
    public struct TestChange: Sendable {
        public var id: String
        public var name: String
        public var base: ResultsDocument.Test.Status
        public var new: ResultsDocument.Test.Status
        public var message: String?
    }

    public var rows: [Row]
    public var newlyFailing: [TestChange]
    public var tolerance: Tolerance

    public var regressions: [Row] { rows.filter { $0.verdict == .regression } }
    public var hasRegression: Bool { !regressions.isEmpty || !newlyFailing.isEmpty }

    /// `true` when higher values of `metric` are better.
    public static func higherIsBetter(_ metric: String) -> Bool { metric == "throughput" }

    public init(base: ResultsDocument, new: ResultsDocument, tolerance: Tolerance = Tolerance()) {
        self.tolerance = tolerance
        let baseByKey = Dictionary(base.measurements.map { (Key($0), $0) }, uniquingKeysWith: { a, _ in a })
        let newByKey = Dictionary(new.measurements.map { (Key($0), $0) }, uniquingKeysWith: { a, _ in a })
        var rows: [Row] = []
        for key in Set(baseByKey.keys).union(newByKey.keys).sorted() {
            let b = baseByKey[key]
            let n = newByKey[key]
            let unit = (n ?? b)!.unit
            rows.append(Self.row(key: key, statistic: "value", unit: unit, base: b?.value, new: n?.value,
                                 baseCI: b.flatMap(Self.ci), newCI: n.flatMap(Self.ci), tolerance: tolerance))
            if !Self.higherIsBetter(key.metric), b?.stats.p99 != nil || n?.stats.p99 != nil {
                rows.append(Self.row(key: key, statistic: "p99", unit: unit, base: b?.stats.p99, new: n?.stats.p99,
                                     baseCI: nil, newCI: nil, tolerance: tolerance))
            }
        }
        self.rows = rows
        let baseTests = Dictionary(base.tests.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        newlyFailing = new.tests.compactMap { test in
            guard test.status == .failed, let before = baseTests[test.id], before.status == .passed else { return nil }
            return TestChange(id: test.id, name: test.displayName, base: before.status, new: test.status, message: test.message)
        }
    }

    private static func ci(_ record: MeasurementRecord) -> ClosedRange<Double>? {
        guard let low = record.stats.ci95Low, let high = record.stats.ci95High, low <= high else { return nil }
        return low...high
    }

    private static func row(
        key: Key, statistic: String, unit: String, base: Double?, new: Double?, baseCI: ClosedRange<Double>?,
        newCI: ClosedRange<Double>?, tolerance: Tolerance
    ) -> Row {
        let tol = tolerance.percent(for: key.metric, statistic: statistic)
        guard let base, let new else {
            return Row(key: key, statistic: statistic, unit: unit, base: base, new: new, changePercent: nil,
                       tolerancePercent: tol, intervalsOverlap: nil, verdict: base == nil ? .added : .removed)
        }
        let change: Double =
            base == 0 ? (new == 0 ? 0 : (new > 0 ? .infinity : -.infinity)) : (new - base) / abs(base) * 100
        let worseChange = higherIsBetter(key.metric) ? -change : change
        var overlap: Bool?
        if let baseCI, let newCI { overlap = baseCI.overlaps(newCI) }
        let verdict: Verdict
        if abs(change) <= tol {
            verdict = .unchanged
        } else if overlap == true {
            verdict = .withinNoise
        } else {
            verdict = worseChange > 0 ? .regression : .improvement
        }
        return Row(key: key, statistic: statistic, unit: unit, base: base, new: new, changePercent: change,
                   tolerancePercent: tol, intervalsOverlap: overlap, verdict: verdict)
    }

    /// A plain-text table of every compared figure and test change.
    public var table: String {
        var lines: [[String]] = [["figure", "stat", "base", "new", "change", "tolerance", "CIs overlap", "verdict"]]
        // Figures only one run has are counted, not listed one by one.
        for row in rows where row.verdict != .added && row.verdict != .removed {
            lines.append([
                row.key.label, row.statistic,
                row.base.map { ReportFormat.value($0, unit: row.unit) } ?? "—",
                row.new.map { ReportFormat.value($0, unit: row.unit) } ?? "—",
                row.changePercent.map(ReportFormat.percent) ?? "—",
                String(format: "±%.0f %%", row.tolerancePercent),
                row.intervalsOverlap.map { $0 ? "yes" : "no" } ?? "—",
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
        if !newlyFailing.isEmpty {
            text += "\n\nnewly failing tests (passed in base):"
            for change in newlyFailing { text += "\n  REGRESSION \(change.name)  [\(change.id)]" }
        }
        text += "\n\n" + (hasRegression
            ? "\(regressions.count) figure regression(s), \(newlyFailing.count) newly failing test(s)"
            : "no regression (\(rows.count) figures, tolerance \(String(format: "%.0f", tolerance.defaultPercent)) %)")
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
