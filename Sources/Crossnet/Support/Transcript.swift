import Foundation

/// One remote step: which host, the equivalent command line a person could re-run, how long it
/// took and how it ended.
public struct TranscriptEntry: Sendable, Codable, Equatable {
    public var timestamp: Date
    public var host: String
    /// The equivalent CLI line, e.g. `docker network create -d overlay --attachable cn-ovl`.
    public var command: String
    public var durationSeconds: Double
    /// `ok`, `exit N`, or the error message.
    public var result: String
    /// What the step belonged to, e.g. `overlay deploy`, `overlay teardown`, `bridge` (from
    /// ``TranscriptScope/current`` when it was recorded).
    public var scope: String?

    public init(timestamp: Date, host: String, command: String, durationSeconds: Double, result: String, scope: String? = TranscriptScope.current) {
        self.timestamp = timestamp
        self.host = host
        self.command = command
        self.durationSeconds = durationSeconds
        self.result = result
        self.scope = scope
    }

    /// One line: `2026-11-26T08:00:00Z h1 [overlay deploy] 0.012s ok  docker network create …`.
    public var line: String {
        let time = ISO8601DateFormatter().string(from: timestamp)
        let scope = scope.map { " [\($0)]" } ?? ""
        return "\(time) \(host)\(scope) \(String(format: "%.3f", durationSeconds))s \(result)  \(command)"
    }
}

/// What the remote steps recorded in the current task belong to (a driver and a phase), so the
/// transcript attributes deployment, test and teardown steps to their driver.
public enum TranscriptScope {
    @TaskLocal public static var current: String?
}

/// Records every remote step of a run (thread-safe). Suites attach the entries of each test to it.
public final class Transcript: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [TranscriptEntry] = []

    public init() {}

    /// Appends an entry, with any URL credentials or swarm join token in it masked
    /// (``Redaction``): a transcript is an artifact.
    public func record(_ entry: TranscriptEntry) {
        var entry = entry
        entry.command = Redaction.text(entry.command)
        entry.result = Redaction.text(entry.result)
        lock.lock()
        entries.append(entry)
        lock.unlock()
    }

    /// All entries so far.
    public var all: [TranscriptEntry] {
        lock.lock()
        defer { lock.unlock() }
        return entries
    }

    /// Number of entries so far; pass it to ``entries(since:)`` to get what a step added.
    public var count: Int {
        lock.lock()
        defer { lock.unlock() }
        return entries.count
    }

    /// Entries recorded after the first `start` ones.
    public func entries(since start: Int) -> [TranscriptEntry] {
        lock.lock()
        defer { lock.unlock() }
        return start < entries.count ? Array(entries[start...]) : []
    }

    /// Times `body` and records it under `host` as `command`.
    public func step<T>(host: String, command: String, _ body: () async throws -> T) async throws -> T {
        let start = Date()
        let clock = ContinuousClock.now
        do {
            let value = try await body()
            var result = "ok"
            if let output = value as? CommandOutput, output.exitStatus != 0 { result = "exit \(output.exitStatus)" }
            record(TranscriptEntry(timestamp: start, host: host, command: command,
                                   durationSeconds: (ContinuousClock.now - clock).seconds, result: result))
            return value
        } catch {
            record(TranscriptEntry(timestamp: start, host: host, command: command,
                                   durationSeconds: (ContinuousClock.now - clock).seconds,
                                   result: "error: \(error)"))
            throw error
        }
    }
}
