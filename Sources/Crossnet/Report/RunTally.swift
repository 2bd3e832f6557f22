import Foundation

/// Counts a run's test cases from Swift Testing's event stream and estimates the time left, for
/// the progress line on a terminal (`12/45 · ≈ 4 min left`).
///
/// The plan comes from the stream's `test` records (one case per plain test, one per argument of
/// a parameterized one). Each case gets a prior duration from what it measures and the run's
/// settings (a measurement round: its pairs × repeats × duration; anything else a few seconds);
/// once cases have finished, the priors are scaled by how long finished cases really took against
/// their priors, so the estimate follows the machine it runs on.
public struct RunTally: Sendable {
    /// The figures the priors are made from.
    public struct Settings: Sendable, Equatable {
        public var durationSeconds: Int
        public var repeats: Int
        public var latencySamples: Int
        public var dnsLookups: Int
        /// `true` when a round's pairs run at once (`measurement.concurrency: rounds`).
        public var concurrentPairs: Bool

        public init(durationSeconds: Int, repeats: Int, latencySamples: Int, dnsLookups: Int, concurrentPairs: Bool) {
            self.durationSeconds = durationSeconds
            self.repeats = repeats
            self.latencySamples = latencySamples
            self.dnsLookups = dnsLookups
            self.concurrentPairs = concurrentPairs
        }
    }

    private struct Case: Sendable {
        var prior: Double
        var startedAt: Double?
        var endedAt: Double?
    }

    public let settings: Settings
    /// Case key (`testID` + `\u{1F}` + argument display name) → case.
    private var cases: [String: Case] = [:]
    /// Plain (non-parameterized) tests: their one case's key.
    private var plainTests: [String: String] = [:]
    private var casesOfTest: [String: [String]] = [:]

    public init(settings: Settings) {
        self.settings = settings
    }

    /// Cases planned.
    public var total: Int { cases.count }
    /// Cases finished (passed, failed or skipped).
    public var done: Int { cases.values.filter { $0.endedAt != nil }.count }

    /// Adds a test function of the plan: `caseNames` are its arguments' display names (empty for a
    /// plain test). Suites are not counted.
    public mutating func plan(testID: String, caseNames: [String]) {
        guard casesOfTest[testID] == nil else { return }
        let names = caseNames.isEmpty ? [""] : caseNames
        var keys: [String] = []
        for name in names {
            let key = Self.key(testID, name)
            cases[key] = Case(prior: prior(testID: testID, caseName: name))
            keys.append(key)
        }
        casesOfTest[testID] = keys
        if caseNames.isEmpty { plainTests[testID] = keys[0] }
    }

    /// A case (or a plain test, `caseName` nil) started at `time` (seconds on any one clock).
    public mutating func started(testID: String, caseName: String?, at time: Double) {
        guard let key = key(testID: testID, caseName: caseName), cases[key]?.startedAt == nil else { return }
        cases[key]?.startedAt = time
    }

    /// A case (or a plain test) ended at `time`.
    public mutating func ended(testID: String, caseName: String?, at time: Double) {
        guard let key = key(testID: testID, caseName: caseName), cases[key]?.endedAt == nil else { return }
        cases[key]?.endedAt = time
    }

    /// A test was skipped: all its cases count as done, taking no time.
    public mutating func skipped(testID: String, at time: Double) {
        for key in casesOfTest[testID] ?? [] where cases[key]?.endedAt == nil {
            cases[key]?.startedAt = time
            cases[key]?.endedAt = time
            cases[key]?.prior = 0
        }
    }

    /// Seconds left at `now`: the pending cases' priors (less what running cases have already
    /// spent), scaled by finished cases' real ÷ prior time; `nil` before anything has finished.
    public func remainingSeconds(now: Double) -> Double? {
        var actual = 0.0, estimated = 0.0
        for item in cases.values {
            guard let start = item.startedAt, let end = item.endedAt, item.prior > 0 else { continue }
            actual += end - start
            estimated += item.prior
        }
        guard estimated > 0 else { return nil }
        let scale = Swift.min(4, Swift.max(0.25, actual / estimated))
        var left = 0.0
        for item in cases.values where item.endedAt == nil {
            let spent = item.startedAt.map { Swift.max(0, now - $0) } ?? 0
            left += Swift.max(0, item.prior * scale - spent)
        }
        return left
    }

    /// `12/45 · ≈ 4 min left` (the estimate only when asked for and known).
    public func summary(now: Double, withEstimate: Bool) -> String {
        var text = "\(done)/\(total)"
        if withEstimate, done < total, let left = remainingSeconds(now: now) {
            text += " · ≈ " + Self.duration(left) + " left"
        }
        return text
    }

    static func duration(_ seconds: Double) -> String {
        if seconds < 90 { return "\(Int((seconds / 5).rounded(.up) * 5)) s" }
        return "\(Int((seconds / 60).rounded())) min"
    }

    private static func key(_ testID: String, _ caseName: String) -> String { testID + "\u{1F}" + caseName }

    private func key(testID: String, caseName: String?) -> String? {
        if let caseName, cases[Self.key(testID, caseName)] != nil { return Self.key(testID, caseName) }
        return plainTests[testID]
    }

    /// A case's prior duration in seconds from its test's function name and its argument (a
    /// measurement round names its pairs: `round 1: h1→h2, h2→h1`).
    func prior(testID: String, caseName: String) -> Double {
        let function = testID.split(separator: "/").last { $0.contains("(") }.map(String.init) ?? testID
        let pairs = Double(Swift.max(1, caseName.components(separatedBy: "→").count - 1))
        let slots = settings.concurrentPairs ? Swift.min(pairs, 2) : pairs
        let d = Double(Swift.max(1, settings.durationSeconds)), r = Double(Swift.max(1, settings.repeats))
        switch true {
        case function.hasPrefix("tcpThroughput"): return slots * 2 * r * (d + 2)
        case function.hasPrefix("udpThroughput"): return slots * r * (d + 1.5)
        case function.hasPrefix("latency"):
            return slots * (Double(settings.latencySamples + 10 * Int(r)) * 0.011 + 2 * (Swift.max(d, r) + r * 0.8) + 2)
        case function.hasPrefix("dnsTiming"): return slots * (Double(settings.dnsLookups) * 0.03 + 1.5)
        case function.hasPrefix("tbfCap"): return 3 * r * (d + 2) + 10
        default: return 3
        }
    }
}
