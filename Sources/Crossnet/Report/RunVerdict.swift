import Foundation

/// The one-word answer to the night's question, first on every report.
public enum RunVerdict: String, Codable, Sendable, CaseIterable {
    /// Every claim held and no figure regressed.
    case passed
    /// At least one claim failed.
    case failed
    /// Every claim held, but a figure regressed (or a claim that passed in the baseline now fails).
    case regressed
    /// The run was stopped before it finished: the results are partial.
    case interrupted
    /// No test ran (everything skipped, or nothing selected).
    case nothingRan = "nothing-ran"

    /// How reports print it: `passed`, `FAILED`, `REGRESSED`, `INTERRUPTED`, `NOTHING RAN`.
    public var headline: String {
        switch self {
        case .passed: "passed"
        case .failed: "FAILED"
        case .regressed: "REGRESSED"
        case .interrupted: "INTERRUPTED"
        case .nothingRan: "NOTHING RAN"
        }
    }

    /// `true` only for ``passed``.
    public var isSuccess: Bool { self == .passed }

    /// The verdict of `document`: interrupted before anything else (the figures are partial),
    /// then failed claims, then regressions against the baseline, then nothing ran.
    public static func evaluate(_ document: ResultsDocument, comparison: RunComparison?, interrupted: Bool) -> RunVerdict {
        if interrupted { return .interrupted }
        if document.failedCount > 0 { return .failed }
        if comparison?.hasRegression == true { return .regressed }
        if document.passedCount == 0 { return .nothingRan }
        return .passed
    }
}
