import Foundation

/// What `crossnet run` hands to a CI system at its end (see docs/ci.md):
/// - when `GITHUB_STEP_SUMMARY` names a file, summary.md is appended to it (the job's summary page);
/// - under `GITHUB_ACTIONS=true`, each failed claim and each regression is printed as an `::error`
///   workflow command, which GitHub shows as an annotation.
///
/// Other CI systems (GitLab) read junit.xml and the artifacts instead; nothing is needed for them here.
public enum CIIntegration {
    /// What ``publish(document:comparison:environment:output:)`` did.
    public struct Outcome: Sendable, Equatable {
        /// The step summary file appended to, if any.
        public var stepSummary: String?
        /// The annotation lines printed (empty outside GitHub Actions).
        public var annotations: [String]
    }

    /// Appends summary.md to `$GITHUB_STEP_SUMMARY` when set, and prints the annotations through
    /// `output` when `GITHUB_ACTIONS` is `true`.
    ///
    /// - Throws: ``OperationError`` naming the step summary file when it cannot be written.
    @discardableResult
    public static func publish(
        document: ResultsDocument, comparison: RunComparison?,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        output: (String) -> Void = { print($0) }
    ) throws -> Outcome {
        var outcome = Outcome(stepSummary: nil, annotations: [])
        if let path = environment["GITHUB_STEP_SUMMARY"], !path.isEmpty {
            try appendStepSummary(SummaryWriter().render(document, comparison: comparison), to: path)
            outcome.stepSummary = path
        }
        if environment["GITHUB_ACTIONS"] == "true" {
            outcome.annotations = annotations(document: document, comparison: comparison)
            for line in outcome.annotations { output(line) }
        }
        return outcome
    }

    /// Appends `markdown` to the file at `path` (created when missing), after a blank line when
    /// the file already has content: other steps may have written to it.
    public static func appendStepSummary(_ markdown: String, to path: String) throws {
        let fm = FileManager.default
        if !fm.fileExists(atPath: path) {
            guard fm.createFile(atPath: path, contents: nil) else {
                throw OperationError(host: "local", operation: "write \(path)", reason: "cannot create the step summary file",
                                     hint: "check GITHUB_STEP_SUMMARY and the folder's permissions")
            }
        }
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw OperationError(host: "local", operation: "append to \(path)", reason: "cannot open the step summary file",
                                 hint: "check GITHUB_STEP_SUMMARY and the file's permissions")
        }
        defer { try? handle.close() }
        let end = handle.seekToEndOfFile()
        handle.write(Data(((end > 0 ? "\n" : "") + markdown).utf8))
    }

    /// One `::error` line per failed claim (a suite whose setup failed: one line for the suite)
    /// and per regression.
    public static func annotations(document: ResultsDocument, comparison: RunComparison?) -> [String] {
        var lines: [String] = []
        let bySuite = Dictionary(grouping: document.tests, by: \.suite)
        var setupReported: Set<String> = []
        for test in document.tests where test.status == .failed {
            if let setup = JUnitWriter.setupFailure(in: bySuite[test.suite] ?? []), setup.testIDs.contains(test.id) {
                guard setupReported.insert(test.suite).inserted else { continue }
                lines.append(error(
                    title: "Crossnet: \(test.suite) setup failed",
                    message: "\(setup.firstLine) (\(setup.testIDs.count) test cases not run)"))
                continue
            }
            let message = (test.message ?? "failed").trimmingCharacters(in: .whitespacesAndNewlines)
            lines.append(error(title: "Crossnet: \(test.suite)", message: "\(test.displayName): \(message)"))
        }
        for r in FirstScreen(document: document, comparison: comparison).regressions {
            lines.append(error(
                title: "Crossnet regression: \(r.driver) \(r.metric)",
                message: "\(r.driver) \(r.metric) \(r.pair): \(r.baseline) → \(r.now) (\(r.change); \(r.confidence))"))
        }
        return lines
    }

    /// `::error title=…::…` with GitHub's escaping (`%`, CR, LF in the message; also `:` and `,`
    /// in the title).
    public static func error(title: String, message: String) -> String {
        func data(_ text: String) -> String {
            text.replacingOccurrences(of: "%", with: "%25").replacingOccurrences(of: "\r", with: "%0D")
                .replacingOccurrences(of: "\n", with: "%0A")
        }
        func property(_ text: String) -> String {
            data(text).replacingOccurrences(of: ":", with: "%3A").replacingOccurrences(of: ",", with: "%2C")
        }
        return "::error title=\(property(title))::\(data(message))"
    }
}
