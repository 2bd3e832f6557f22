import Foundation

/// Writes a run's report files into its folder: `junit.xml`, `results.json`, `summary.md`,
/// `report.html`, `metrics.prom` (and `transcript.log` when given), and points `latest` at it.
public struct ReportBundle: Sendable {
    public var document: ResultsDocument
    public var comparison: RunComparison?

    /// Sets the document's ``ResultsDocument/verdict`` from its tests, the comparison and
    /// `interrupted` (a document already marked interrupted stays so).
    public init(document: ResultsDocument, comparison: RunComparison? = nil, interrupted: Bool = false) {
        var document = document
        document.verdict = RunVerdict.evaluate(
            document, comparison: comparison, interrupted: interrupted || document.verdict == .interrupted)
        self.document = document
        self.comparison = comparison
    }

    /// File names this bundle writes.
    public static let files = ["junit.xml", "results.json", "summary.md", "report.html", "metrics.prom"]

    /// Builds a document from an event stream plus run facts. A stream that recorded tests but no
    /// `runEnded` event was cut short: the document is marked ``RunVerdict/interrupted``.
    public static func document(
        stream: EventStreamReader.Result, runID: String, startedAt: Date, finishedAt: Date,
        gitCommit: String?, inventoryHash: String?, hosts: [ResultsDocument.Host]
    ) -> ResultsDocument {
        ResultsDocument(
            run: .init(
                id: runID, startedAt: ReportOrdering.timestamp(startedAt), finishedAt: ReportOrdering.timestamp(finishedAt),
                gitCommit: gitCommit, inventoryHash: inventoryHash, hosts: hosts),
            tests: stream.tests, measurements: stream.measurements,
            verdict: stream.finishedAt == nil && !stream.tests.isEmpty ? .interrupted : nil)
    }

    /// Writes every report into `folder` (created if needed) and returns the paths written.
    @discardableResult
    public func write(to folder: String, transcript: String? = nil) throws -> [String] {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var contents: [(String, Data)] = [
            ("junit.xml", Data(JUnitWriter().render(document).utf8)),
            ("results.json", try document.encoded()),
            ("summary.md", Data(SummaryWriter().render(document, comparison: comparison).utf8)),
            ("report.html", Data(HTMLReportWriter().render(document, comparison: comparison).utf8)),
            ("metrics.prom", Data(PrometheusWriter().render(document, comparison: comparison).utf8)),
        ]
        if let transcript {
            var text = transcript
            for test in document.tests where test.transcript != nil {
                text += "\n===== \(test.suite) — \(test.displayName) [\(test.status.rawValue)] =====\n" + test.transcript!
            }
            contents.append(("transcript.log", Data(text.utf8)))
        }
        var written: [String] = []
        for (name, data) in contents {
            let path = (folder as NSString).appendingPathComponent(name)
            guard FileManager.default.createFile(atPath: path, contents: data) else {
                throw OperationError(host: "local", operation: "write \(path)", reason: "cannot create the file", hint: "check the folder's permissions")
            }
            written.append(path)
        }
        return written
    }

    /// Points `reportsDirectory/latest` (a relative symlink) at `runFolderName`.
    public static func pointLatest(in reportsDirectory: String, to runFolderName: String) throws {
        let link = (reportsDirectory as NSString).appendingPathComponent("latest")
        if (try? FileManager.default.destinationOfSymbolicLink(atPath: link)) != nil || FileManager.default.fileExists(atPath: link) {
            try FileManager.default.removeItem(atPath: link)
        }
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: runFolderName)
    }
}
