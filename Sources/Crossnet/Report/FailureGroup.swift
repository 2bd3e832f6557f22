import Foundation

/// Failed test cases that share one cause, with the evidence a person acts on.
///
/// The cause is the first line of a case's issue message, normalised so that cases differing
/// only in hosts, addresses, numbers, container ids or source lines fall together
/// (`ping <address> from <host>: 100% packet loss` → one group for every pair). The evidence is
/// the rest of the message (the probe's output the claim recorded, `evidence: exit 1: …`), or
/// the transcript's last lines when the message has none.
public struct FailureGroup: Sendable, Equatable {
    /// The normalised cause.
    public var cause: String
    /// The first case's own first line (the cause as it was written).
    public var example: String
    /// The failed cases, in report order.
    public var tests: [ResultsDocument.Test]
    /// Evidence lines of the first case.
    public var evidence: [String]

    /// The cases' arguments (`h1→h2`) or names, for one line.
    public var cases: String {
        tests.map { $0.argument ?? $0.name }.joined(separator: ", ")
    }

    /// Groups `document`'s failed tests by cause, the largest group first.
    public static func groups(_ document: ResultsDocument, evidenceLines: Int = 6) -> [FailureGroup] {
        let hosts = Set(document.run.hosts.map(\.name) + document.tests.compactMap(\.argument).flatMap(hostTokens))
        var order: [String] = []
        var groups: [String: FailureGroup] = [:]
        for test in document.tests where test.status == .failed {
            let lines = (test.message ?? "failed").split(separator: "\n")
                .map { $0.replacingOccurrences(of: sourceLocation, with: "", options: .regularExpression).trimmingCharacters(in: .whitespaces) }
                .filter { !$0.isEmpty }
            let first = lines.first ?? "failed"
            let cause = normalise(first, hosts: hosts)
            if groups[cause] == nil {
                order.append(cause)
                var evidence = Array(lines.dropFirst())
                if evidence.isEmpty, let transcript = test.transcript { evidence = transcriptEvidence(transcript) }
                groups[cause] = FailureGroup(cause: cause, example: first, tests: [], evidence: Array(evidence.prefix(evidenceLines)))
            }
            groups[cause]!.tests.append(test)
        }
        return order.map { groups[$0]! }.enumerated().sorted {
            $0.element.tests.count != $1.element.tests.count ? $0.element.tests.count > $1.element.tests.count : $0.offset < $1.offset
        }.map(\.element)
    }

    /// The transcript lines that explain a failure: the operations that did not end `ok`
    /// (`… h1 0.012s exit 1  docker exec …`), else the last three lines.
    static func transcriptEvidence(_ transcript: String) -> [String] {
        let lines = transcript.split(separator: "\n").map(String.init).filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        let failed = lines.filter { line in
            // `TIME HOST DURATIONs RESULT  COMMAND`: a result other than `ok`.
            let fields = line.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: true)
            guard fields.count == 4, fields[2].hasSuffix("s"), fields[0].contains("T") else { return false }
            return !fields[3].hasPrefix("ok ")
        }
        return failed.isEmpty ? Array(lines.suffix(3)) : Array(failed.suffix(6))
    }

    /// ` (OverlaySuite.swift:42)` at the end of an issue's text (where the reader puts it).
    static let sourceLocation = #"\s*\([A-Za-z0-9_/+-]+\.swift:\d+\)\s*$"#

    /// Host names inside a case argument such as `h1→h2`.
    static func hostTokens(_ argument: String) -> [String] {
        argument.components(separatedBy: CharacterSet(charactersIn: "→>-, ()")).filter { !$0.isEmpty && $0.count <= 40 }
    }

    /// The cause with the per-case parts replaced by placeholders.
    public static func normalise(_ line: String, hosts: Set<String> = []) -> String {
        var text = line
        let patterns: [(String, String)] = [
            (sourceLocation, ""),  // (OverlaySuite.swift:42)
            (#"\b(?:[0-9a-fA-F]{1,4}:){3,7}[0-9a-fA-F]{1,4}\b|\b(?:[0-9a-fA-F]{1,4}:)+:[0-9a-fA-F:]*"#, "<address>"),  // IPv6
            (#"\b\d{1,3}(\.\d{1,3}){3}(/\d{1,2})?(:\d+)?\b"#, "<address>"),  // IPv4[/len][:port]
            (#"\b[0-9a-f]{12,64}\b"#, "<id>"),  // container and image ids
            (#"\bcrossnet-[A-Za-z0-9-]+"#, "crossnet-<run>"),  // run-scoped resource names
        ]
        for (pattern, replacement) in patterns {
            text = text.replacingOccurrences(of: pattern, with: replacement, options: .regularExpression)
        }
        for host in hosts.sorted(by: { $0.count > $1.count }) where !host.isEmpty {
            let escaped = NSRegularExpression.escapedPattern(for: host)
            text = text.replacingOccurrences(of: #"(?<![A-Za-z0-9_])"# + escaped + #"(?![A-Za-z0-9_])"#, with: "<host>", options: .regularExpression)
        }
        text = text.replacingOccurrences(of: #"\b\d+(\.\d+)?\b"#, with: "N", options: .regularExpression)
        return text.trimmingCharacters(in: .whitespaces)
    }
}
