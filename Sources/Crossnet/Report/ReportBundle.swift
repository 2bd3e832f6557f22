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
        gitCommit: String?, inventoryHash: String?, hosts: [ResultsDocument.Host], recorder: RunRecorder? = nil
    ) -> ResultsDocument {
        ResultsDocument(
            run: .init(
                id: runID, startedAt: ReportOrdering.timestamp(startedAt), finishedAt: ReportOrdering.timestamp(finishedAt),
                gitCommit: gitCommit, inventoryHash: inventoryHash, hosts: hosts),
            tests: stream.tests, measurements: stream.measurements + (recorder?.measurements ?? []),
            claims: recorder.map(\.claimResults),
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
            // Every remote step of the run in order, each attributed to its driver and phase.
            contents.append(("transcript.log", Data(transcript.utf8)))
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

    /// Points `reportsDirectory/latest` (a relative symlink) at `runFolderName`, atomically: the new
    /// link is made under a temporary name and renamed over `latest` (rename(2) replaces it in one
    /// step), so a reader, or a run finishing at the same moment, never finds `latest` missing.
    public static func pointLatest(in reportsDirectory: String, to runFolderName: String) throws {
        let link = (reportsDirectory as NSString).appendingPathComponent("latest")
        let temporary = (reportsDirectory as NSString).appendingPathComponent(".latest-\(getpid())-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createSymbolicLink(atPath: temporary, withDestinationPath: runFolderName)
        guard rename(temporary, link) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(atPath: temporary)
            throw OperationError(
                host: "local", operation: "rename \(temporary) \(link)", reason: reason,
                hint: "`latest` must be a symlink or absent (rename cannot replace a folder)")
        }
    }
}
