import Foundation

/// `results.json`: everything one run found, in a stable, versioned, machine-readable form.
///
/// The JSON Schema is committed at `Reports/schema/results.schema.json`; `schemaVersion` changes
/// whenever a field changes meaning or disappears. Version 2 added `verdict` and per-statistic
/// `stats.intervals`, and stopped writing `stats.ci95Low`/`ci95High` (an interval of the mean
/// beside a median headline); files of version 1 are still read.
public struct ResultsDocument: Codable, Sendable, Equatable {
    /// The schema version this build writes.
    public static let currentSchemaVersion = 2
    /// The schema versions this build reads.
    public static let readableSchemaVersions = 1...2

    public var schemaVersion: Int
    /// The night's answer: passed, failed, regressed, interrupted or nothing-ran. `nil` in files
    /// of schema version 1; ``ReportBundle`` sets it.
    public var verdict: RunVerdict?
    public var run: Run
    public var tests: [Test]
    public var measurements: [MeasurementRecord]
    /// Typed claim results (source, target, expected, observed, evidence) as the suites recorded
    /// them; `nil` in files written before claims were data.
    public var claims: [ClaimResult]?

    public init(
        run: Run, tests: [Test], measurements: [MeasurementRecord], claims: [ClaimResult]? = nil, verdict: RunVerdict? = nil,
        schemaVersion: Int = Self.currentSchemaVersion
    ) {
        self.schemaVersion = schemaVersion
        self.verdict = verdict
        self.run = run
        self.tests = tests
        self.measurements = measurements
        self.claims = claims
    }

    /// The run: when, what, where.
    public struct Run: Codable, Sendable, Equatable {
        public var id: String
        /// ISO 8601, UTC.
        public var startedAt: String
        /// ISO 8601, UTC.
        public var finishedAt: String
        public var crossnetVersion: String
        /// `git rev-parse HEAD` of the package that ran the suites, when known.
        public var gitCommit: String?
        /// SHA-256 (hex) of the inventory file's bytes.
        public var inventoryHash: String?
        public var hosts: [Host]

        public init(
            id: String, startedAt: String, finishedAt: String, crossnetVersion: String = CrossnetVersion.current,
            gitCommit: String? = nil, inventoryHash: String? = nil, hosts: [Host] = []
        ) {
            self.id = id
            self.startedAt = startedAt
            self.finishedAt = finishedAt
            self.crossnetVersion = crossnetVersion
            self.gitCommit = gitCommit
            self.inventoryHash = inventoryHash
            self.hosts = hosts
        }
    }

    /// Facts about one host, as its Docker Engine reports them.
    public struct Host: Codable, Sendable, Equatable {
        public var name: String
        /// The address SSH connects to.
        public var address: String
        /// The IP other hosts and containers use (swarm advertise, claims, measurements).
        public var dataAddress: String?
        /// The DNS name ``dataAddress`` was resolved from (once, at load time), if any.
        public var dataAddressName: String?
        /// CPU architecture as the Engine reports it (`x86_64`, `aarch64`).
        public var architecture: String?
        public var kernel: String?
        public var dockerVersion: String?
        public var cpus: Int?
        /// The Engine API version Crossnet negotiated with the host, e.g. `1.41` (Docker 20.10)
        /// or `1.52` (Docker 29).
        public var apiVersion: String?

        public init(
            name: String, address: String, dataAddress: String? = nil, dataAddressName: String? = nil,
            architecture: String? = nil, kernel: String? = nil, dockerVersion: String? = nil, cpus: Int? = nil,
            apiVersion: String? = nil
        ) {
            self.name = name
            self.address = address
            self.dataAddress = dataAddress
            self.dataAddressName = dataAddressName
            self.architecture = architecture
            self.kernel = kernel
            self.dockerVersion = dockerVersion
            self.cpus = cpus
            self.apiVersion = apiVersion
        }
    }

    /// One test case: a claim about the network, with its verdict.
    public struct Test: Codable, Sendable, Equatable {
        public enum Status: String, Codable, Sendable, CaseIterable {
            case passed, failed, skipped
        }

        /// Unique within the run: the Swift Testing test id, plus the case's arguments for a
        /// parameterized test.
        public var id: String
        /// Display name of the enclosing suite.
        public var suite: String
        /// Display name of the test (the claim).
        public var name: String
        /// The case's argument description (`h1`, `h1→h2`) for a parameterized test.
        public var argument: String?
        /// Driver id (`bridge`, `user-bridge`, …), when the test concerns one.
        public var driver: String?
        public var status: Status
        public var durationSeconds: Double
        /// Issues recorded (failed) or the skip reason (skipped).
        public var message: String?
        /// The `transcript.log` attachment (not written to results.json; reports use it).
        public var transcript: String?

        enum CodingKeys: String, CodingKey {
            case id, suite, name, argument, driver, status, durationSeconds, message
        }

        public init(
            id: String, suite: String, name: String, argument: String? = nil, driver: String? = nil, status: Status,
            durationSeconds: Double, message: String? = nil, transcript: String? = nil
        ) {
            self.id = id
            self.suite = suite
            self.name = name
            self.argument = argument
            self.driver = driver
            self.status = status
            self.durationSeconds = durationSeconds
            self.message = message
            self.transcript = transcript
        }

        /// Name with the argument, as shown in reports: `claim (h1→h2)`.
        public var displayName: String { argument.map { "\(name) (\($0))" } ?? name }
    }

    // MARK: Reading and writing

    /// Pretty-printed JSON with sorted keys.
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    /// Reads a `results.json`, or the `results.json` inside a run folder.
    ///
    /// - Throws: ``InputError`` naming the file when it is missing, malformed or of another
    ///   schema version.
    public static func load(path: String) throws -> ResultsDocument {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw InputError(file: path, "no such file or folder")
        }
        let file = isDirectory.boolValue ? (path as NSString).appendingPathComponent("results.json") : path
        guard let data = FileManager.default.contents(atPath: file) else {
            throw InputError(file: file, "cannot read results (is this a run folder with a results.json?)")
        }
        struct Version: Decodable { var schemaVersion: Int? }
        let version: Version
        do {
            version = try JSONDecoder().decode(Version.self, from: data)
        } catch {
            throw InputError(file: file, "malformed JSON: \(describe(error))")
        }
        guard let schemaVersion = version.schemaVersion, readableSchemaVersions.contains(schemaVersion) else {
            throw InputError(
                file: file,
                "schemaVersion \(version.schemaVersion.map(String.init) ?? "missing") is not supported (this crossnet reads \(readableSchemaVersions.lowerBound)–\(readableSchemaVersions.upperBound))")
        }
        do {
            return try JSONDecoder().decode(ResultsDocument.self, from: data)
        } catch {
            throw InputError(file: file, "malformed results: \(describe(error))")
        }
    }

    private static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let context): return context.debugDescription
        case DecodingError.keyNotFound(let key, let context):
            return "missing \(path(context.codingPath + [key]))"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            return "\(path(context.codingPath)): \(context.debugDescription)"
        default: return "\(error)"
        }
    }

    private static func path(_ keys: [any CodingKey]) -> String {
        keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
    }
}

extension ResultsDocument {
    /// Tests grouped by driver id (`other` when none), in driver order.
    public var testsByDriver: [(driver: String, tests: [Test])] {
        let groups = Dictionary(grouping: tests) { $0.driver ?? "other" }
        return groups.keys.sorted(by: ReportOrdering.driverLess).map { ($0, groups[$0]!) }
    }

    public var passedCount: Int { tests.filter { $0.status == .passed }.count }
    public var failedCount: Int { tests.filter { $0.status == .failed }.count }
    public var skippedCount: Int { tests.filter { $0.status == .skipped }.count }
}

/// Ordering helpers shared by the writers.
public enum ReportOrdering {
    /// Driver ids in ``DriverID`` order, unknown ones after, alphabetically.
    public static func driverLess(_ a: String, _ b: String) -> Bool {
        let ia = DriverID(rawValue: a).map { DriverID.allCases.firstIndex(of: $0)! } ?? Int.max
        let ib = DriverID(rawValue: b).map { DriverID.allCases.firstIndex(of: $0)! } ?? Int.max
        return ia != ib ? ia < ib : a < b
    }

    /// ISO 8601 in UTC, seconds precision.
    public static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: date)
    }
}
