import Foundation

/// Reads Swift Testing's event stream (`swift test --event-stream-output-path F
/// --event-stream-version 0`) into test results: one entry per test case, with status, duration,
/// issue messages, skip reason and the `transcript.log` / `measurements.json` attachments.
///
/// Only stable keys are relied on where they exist; the `_`-prefixed keys (`_tags`, `_testCases`,
/// `_testCase`, `_comments`, `_bytes`) are read when present and their absence is tolerated.
public struct EventStreamReader: Sendable {
    /// Where `--attachments-path` put attachment files; used when an event's path no longer exists
    /// (the stream was moved) — the file is then looked up by its base name here.
    public var attachmentsDirectory: String?

    public init(attachmentsDirectory: String? = nil) {
        self.attachmentsDirectory = attachmentsDirectory
    }

    /// What the stream contained.
    public struct Result: Sendable {
        public var tests: [ResultsDocument.Test]
        public var measurements: [MeasurementRecord]
        public var startedAt: Date?
        public var finishedAt: Date?
        /// Lines that could not be decoded (1-based line numbers), skipped.
        public var unreadableLines: [Int]
    }

    /// Tag names of the suites mapped to driver ids.
    public static let tagDrivers: [String: DriverID] = [
        "bridge": .bridge, "userBridge": .userBridge, "compose": .compose, "hostNetwork": .host,
        "noneNetwork": .none, "overlay": .overlay, "macvlan": .macvlan,
    ]

    /// Reads the stream in file `path`.
    public func read(path: String) throws -> Result {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw InputError(file: path, "cannot read the event stream")
        }
        return read(data)
    }

    /// Reads a stream given as bytes (JSON lines).
    public func read(_ data: Data) -> Result {
        var records: [Node] = []
        var events: [Event] = []
        var unreadable: [Int] = []
        let decoder = JSONDecoder()
        var lineNumber = 0
        for line in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            if line.allSatisfy({ $0 == 32 || $0 == 13 || $0 == 9 }) { continue }
            guard let record = try? decoder.decode(Record.self, from: Data(line)) else {
                unreadable.append(lineNumber)
                continue
            }
            switch record.kind {
            case "test": if let test = record.test { records.append(test) }
            case "event": if let event = record.event { events.append(event) }
            default: break
            }
        }
        return assemble(records: records, events: events, unreadable: unreadable)
    }

    // MARK: Assembly

    private struct CaseKey: Hashable {
        var testID: String
        var caseID: String?
    }

    private struct CaseState {
        var started: Double?
        var ended: Double?
        var issues: [String] = []
        var skipReason: String?
        var transcript: [String] = []
        var measurements: [MeasurementRecord] = []
        var displayName: String?
    }

    private func assemble(records: [Node], events: [Event], unreadable: [Int]) -> Result {
        let nodes = Dictionary(records.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        var states: [CaseKey: CaseState] = [:]
        var caseOrder: [String: [String]] = [:]  // parameterized test → case ids in order seen
        var runStart: Double?
        var runEnd: Double?
        var seen: Set<String> = []

        func key(_ event: Event) -> CaseKey? {
            guard let testID = event.testID else { return nil }
            return CaseKey(testID: testID, caseID: event.testCase?.id)
        }
        func noteCase(_ event: Event) {
            guard let testID = event.testID, let testCase = event.testCase else { return }
            if !(caseOrder[testID]?.contains(testCase.id) ?? false) { caseOrder[testID, default: []].append(testCase.id) }
            states[CaseKey(testID: testID, caseID: testCase.id), default: .init()].displayName = testCase.displayName
        }

        for event in events {
            let time = event.instant?.since1970
            switch event.kind {
            case "runStarted": runStart = time
            case "runEnded": runEnd = time
            case "testStarted", "testCaseStarted":
                guard let key = key(event) else { continue }
                seen.insert(key.testID)
                noteCase(event)
                states[key, default: .init()].started = time
            case "testEnded", "testCaseEnded":
                guard let key = key(event) else { continue }
                noteCase(event)
                states[key, default: .init()].ended = time
            case "testSkipped", "testCaseSkipped":
                guard let key = key(event) else { continue }
                seen.insert(key.testID)
                let reason = event.comments?.joined(separator: "\n") ?? event.messages.first?.text ?? "skipped"
                states[key, default: .init()].skipReason = reason
                states[key, default: .init()].started = states[key]?.started ?? time
                states[key, default: .init()].ended = time
            case "issueRecorded":
                guard let key = key(event) else { continue }
                if event.issue?.isKnown == true { continue }
                if event.messages.contains(where: { $0.symbol == "warning" }) { continue }
                noteCase(event)
                states[key, default: .init()].issues.append(issueText(event))
            case "valueAttached":
                guard let key = key(event), let attachment = event.attachment else { continue }
                noteCase(event)
                guard let bytes = attachmentBytes(attachment) else { continue }
                let name = attachment.preferredName ?? attachment.path.map { ($0 as NSString).lastPathComponent } ?? ""
                if name.hasPrefix("transcript") && name.hasSuffix(".log") {
                    states[key, default: .init()].transcript.append(String(decoding: bytes, as: UTF8.self))
                } else if name.hasPrefix("measurements") && name.hasSuffix(".json") {
                    if let decoded = try? JSONDecoder().decode([MeasurementRecord].self, from: bytes) {
                        states[key, default: .init()].measurements += decoded
                    } else if let one = try? JSONDecoder().decode(MeasurementRecord.self, from: bytes) {
                        states[key, default: .init()].measurements.append(one)
                    } else {
                        states[key, default: .init()].issues.append("attachment \(name) is not a JSON array of measurement records")
                    }
                }
            default: break
            }
        }

        var tests: [ResultsDocument.Test] = []
        var measurements: [MeasurementRecord] = []
        let functions = records.filter { $0.kind == "function" }
        for node in functions {
            let suiteNode = enclosingSuite(of: node, in: nodes)
            let suiteName = suiteNode?.displayName ?? suiteNode?.name ?? "tests"
            let driver = driverID(tags: node.tags ?? suiteNode?.tags ?? [], suite: suiteName)
            let testLevel = states[CaseKey(testID: node.id, caseID: nil)] ?? CaseState()
            let suiteLevel = suiteNode.flatMap { states[CaseKey(testID: $0.id, caseID: nil)] } ?? CaseState()
            if !seen.contains(node.id) && suiteLevel.skipReason == nil && suiteLevel.issues.isEmpty { continue }  // not run (filtered out)

            var cases: [(id: String?, argument: String?, state: CaseState)] = []
            if node.isParameterized == true {
                let declared = node.testCases?.map(\.id) ?? []
                let ids = declared + (caseOrder[node.id] ?? []).filter { !declared.contains($0) }
                for id in ids {
                    var state = states[CaseKey(testID: node.id, caseID: id)] ?? CaseState()
                    let display = state.displayName ?? node.testCases?.first { $0.id == id }?.displayName
                    state.issues = testLevel.issues + state.issues
                    cases.append((id, display.map(Self.unquote), state))
                }
                if ids.isEmpty { cases.append((nil, nil, testLevel)) }
            } else {
                cases.append((nil, nil, testLevel))
            }

            for (caseID, argument, var state) in cases {
                if state.skipReason == nil { state.skipReason = testLevel.skipReason }
                if state.started == nil && state.skipReason == nil {
                    // Never started: the suite was skipped, or its setup failed.
                    if let reason = suiteLevel.skipReason {
                        state.skipReason = reason
                    } else if !suiteLevel.issues.isEmpty {
                        state.issues = suiteLevel.issues + state.issues
                    } else if testLevel.started == nil {
                        continue
                    }
                }
                let status: ResultsDocument.Test.Status =
                    !state.issues.isEmpty ? .failed : (state.skipReason != nil ? .skipped : .passed)
                let start = state.started ?? testLevel.started
                let end = state.ended ?? testLevel.ended
                let duration = (start != nil && end != nil) ? max(0, end! - start!) : 0
                let message: String? =
                    switch status {
                    case .failed: state.issues.joined(separator: "\n")
                    case .skipped: state.skipReason
                    case .passed: nil
                    }
                let id = caseID.map { "\(node.id)[\(argument ?? $0)]" } ?? node.id
                var transcript = state.transcript
                if caseID != nil && !testLevel.transcript.isEmpty { transcript = testLevel.transcript + transcript }
                tests.append(
                    ResultsDocument.Test(
                        id: id, suite: suiteName, name: node.displayName ?? node.name, argument: argument,
                        driver: driver, status: status, durationSeconds: duration, message: message,
                        transcript: transcript.isEmpty ? nil : transcript.joined(separator: "\n")))
                // `test` names the test case that attached the record, so reports can find it.
                measurements += state.measurements.map { record in
                    var record = record
                    record.test = id
                    return record
                }
            }
        }
        return Result(
            tests: tests, measurements: measurements, startedAt: runStart.map { Date(timeIntervalSince1970: $0) },
            finishedAt: runEnd.map { Date(timeIntervalSince1970: $0) }, unreadableLines: unreadable)
    }

    private func issueText(_ event: Event) -> String {
        var parts: [String] = []
        for message in event.messages where message.symbol != "_attachment" {
            parts.append(message.text)
        }
        if parts.isEmpty, let comments = event.comments { parts = comments }
        var text = parts.joined(separator: ": ")
        if let location = event.issue?.sourceLocation ?? event.sourceLocation, let file = location.fileID {
            text += " (\(file):\(location.line ?? 0))"
        }
        return text
    }

    private func attachmentBytes(_ attachment: Event.Attachment) -> Data? {
        if let base64 = attachment.bytes { return Data(base64Encoded: base64) }
        guard let path = attachment.path else { return nil }
        if let data = FileManager.default.contents(atPath: path) { return data }
        if let directory = attachmentsDirectory {
            let moved = (directory as NSString).appendingPathComponent((path as NSString).lastPathComponent)
            return FileManager.default.contents(atPath: moved)
        }
        return nil
    }

    private func enclosingSuite(of node: Node, in nodes: [String: Node]) -> Node? {
        // Test ids are `Module.Suite/function(…)/File.swift:L:C`; the suite is the id's first part,
        // or the innermost enclosing suite for nested types (`Module.Outer.Inner`).
        let suiteID = node.id.split(separator: "/", maxSplits: 1).first.map(String.init) ?? node.id
        if let suite = nodes[suiteID], suite.kind == "suite" { return suite }
        var parts = suiteID.split(separator: ".").map(String.init)
        while parts.count > 1 {
            parts.removeLast()
            if let suite = nodes[parts.joined(separator: ".")], suite.kind == "suite" { return suite }
        }
        return nil
    }

    /// Maps a test's tags (`.bridge`, `.userBridge`, …) to a driver id; otherwise derives it from
    /// the suite's display name (`user-defined bridge` → `user-bridge`).
    public static func driver(tags: [String], suite: String) -> String? {
        for tag in tags {
            let name = tag.hasPrefix(".") ? String(tag.dropFirst()) : tag
            let short = name.split(separator: ".").last.map(String.init) ?? name
            if let driver = tagDrivers[short] { return driver.rawValue }
        }
        let lower = suite.lowercased()
        let rules: [(String, DriverID)] = [
            ("user-defined bridge", .userBridge), ("user bridge", .userBridge), ("user-bridge", .userBridge),
            ("compose", .compose), ("macvlan", .macvlan), ("overlay", .overlay), ("host network", .host),
            ("none network", .none), ("no network", .none), ("bridge", .bridge),
        ]
        return rules.first { lower.contains($0.0) }?.1.rawValue
    }

    private func driverID(tags: [String], suite: String) -> String? { Self.driver(tags: tags, suite: suite) }

    /// `"h1"` → `h1` (Swift Testing quotes string arguments).
    static func unquote(_ text: String) -> String {
        if text.count >= 2 && text.hasPrefix("\"") && text.hasSuffix("\"") {
            return String(text.dropFirst().dropLast()).replacingOccurrences(of: "\\\"", with: "\"")
        }
        return text
    }

    // MARK: Wire format

    private struct Record: Decodable {
        var kind: String
        var test: Node?
        var event: Event?

        enum CodingKeys: String, CodingKey { case kind, payload }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            kind = try container.decode(String.self, forKey: .kind)
            if kind == "test" { test = try container.decode(Node.self, forKey: .payload) }
            if kind == "event" { event = try container.decode(Event.self, forKey: .payload) }
        }
    }

    private struct Node: Decodable {
        var id: String
        var kind: String
        var name: String
        var displayName: String?
        var isParameterized: Bool?
        var tags: [String]?
        var testCases: [TestCase]?

        enum CodingKeys: String, CodingKey {
            case id, kind, name, displayName, isParameterized, tags = "_tags", testCases = "_testCases"
        }
    }

    private struct TestCase: Decodable {
        var id: String
        var displayName: String?
    }

    private struct Event: Decodable {
        var kind: String
        var testID: String?
        var testCase: TestCase?
        var instant: Instant?
        var messages: [Message]
        var comments: [String]?
        var issue: Issue?
        var attachment: Attachment?
        var sourceLocation: Location?

        enum CodingKeys: String, CodingKey {
            case kind, testID, instant, messages, issue, attachment
            case testCase = "_testCase", comments = "_comments", sourceLocation = "_sourceLocation"
        }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            kind = try c.decode(String.self, forKey: .kind)
            testID = try c.decodeIfPresent(String.self, forKey: .testID)
            testCase = try? c.decodeIfPresent(TestCase.self, forKey: .testCase)
            instant = try? c.decodeIfPresent(Instant.self, forKey: .instant)
            messages = (try? c.decodeIfPresent([Message].self, forKey: .messages)) ?? []
            comments = try? c.decodeIfPresent([String].self, forKey: .comments)
            issue = try? c.decodeIfPresent(Issue.self, forKey: .issue)
            attachment = try? c.decodeIfPresent(Attachment.self, forKey: .attachment)
            sourceLocation = try? c.decodeIfPresent(Location.self, forKey: .sourceLocation)
        }

        struct Instant: Decodable { var since1970: Double? }
        struct Message: Decodable {
            var symbol: String?
            var text: String
        }
        struct Issue: Decodable {
            var isKnown: Bool?
            var sourceLocation: Location?
        }
        struct Attachment: Decodable {
            var path: String?
            var bytes: String?
            var preferredName: String?
            enum CodingKeys: String, CodingKey { case path, bytes = "_bytes", preferredName = "_preferredName" }
        }
    }

    private struct Location: Decodable {
        var fileID: String?
        var line: Int?
    }
}
