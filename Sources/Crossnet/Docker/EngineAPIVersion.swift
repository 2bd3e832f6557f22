import Foundation

/// A Docker Engine API version, `major.minor` (e.g. `1.41`), as used in request paths (`/v1.41/…`)
/// and reported by `GET /version` (`ApiVersion`, `MinAPIVersion`) and `/_ping` (`Api-Version`).
public struct EngineAPIVersion: Comparable, Hashable, Sendable, Codable, CustomStringConvertible {
    public var major: Int
    public var minor: Int

    public init(_ major: Int, _ minor: Int) {
        self.major = major
        self.minor = minor
    }

    /// Parses `1.41` (a leading `v` is accepted); `nil` for anything else.
    public init?(_ text: some StringProtocol) {
        var text = Substring(text)
        if text.first == "v" { text = text.dropFirst() }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ !$0.isEmpty && $0.count <= 4 && $0.allSatisfy(\.isASCII) }),
            let major = Int(parts[0]), let minor = Int(parts[1]), major >= 0, minor >= 0
        else { return nil }
        self.init(major, minor)
    }

    public var description: String { "\(major).\(minor)" }

    /// The path prefix, e.g. `/v1.41`.
    public var pathPrefix: String { "/v\(self)" }

    public static func < (lhs: Self, rhs: Self) -> Bool { (lhs.major, lhs.minor) < (rhs.major, rhs.minor) }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let version = EngineAPIVersion(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not an API version: \(text)"))
        }
        self = version
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// A closed range of Engine API versions, e.g. what a daemon accepts (`MinAPIVersion`…`ApiVersion`)
/// or what Crossnet speaks.
public struct EngineAPIRange: Sendable, Equatable, CustomStringConvertible {
    public var lowest: EngineAPIVersion
    public var highest: EngineAPIVersion

    public init(_ lowest: EngineAPIVersion, _ highest: EngineAPIVersion) {
        self.lowest = lowest
        self.highest = highest
    }

    public var description: String { lowest == highest ? "\(lowest)" : "\(lowest)–\(highest)" }

    public func contains(_ version: EngineAPIVersion) -> Bool { lowest <= version && version <= highest }

    /// The API versions Crossnet speaks: 1.41 (Docker 20.10) to 1.52 (Docker 29).
    ///
    /// Every request Crossnet makes was checked against moby's API version history
    /// (`api/docs/CHANGELOG.md`) for each version in between; the one body that differs is
    /// `POST /networks/create`, whose `CheckDuplicate` is sent only below 1.44 (deprecated there:
    /// the daemon always refuses duplicates). `docs/engine-api.md` lists the requests and what was
    /// checked. Docker 29 refuses clients below 1.44; Docker 25–28 accept 1.24 and up.
    public static let crossnet = EngineAPIRange(EngineAPIVersion(1, 41), EngineAPIVersion(1, 52))

    /// The highest version in both ranges, or `nil` when they do not meet.
    public func highestCommon(with other: EngineAPIRange) -> EngineAPIVersion? {
        let candidate = min(highest, other.highest)
        return candidate >= max(lowest, other.lowest) ? candidate : nil
    }
}

/// The Engine on a host speaks no API version that Crossnet speaks.
public struct EngineAPIVersionMismatch: CrossnetError, Equatable {
    public var host: String
    /// What the daemon accepts (`MinAPIVersion`–`ApiVersion` of `GET /version`).
    public var engine: EngineAPIRange
    /// What Crossnet speaks (``EngineAPIRange/crossnet`` unless a caller narrowed it).
    public var crossnet: EngineAPIRange

    public init(host: String, engine: EngineAPIRange, crossnet: EngineAPIRange) {
        self.host = host
        self.engine = engine
        self.crossnet = crossnet
    }

    public var description: String {
        let advice =
            engine.highest < crossnet.lowest
            ? "upgrade Docker on \(host) to 20.10 or later"
            : "this Crossnet is older than the Docker Engine on \(host): use a Crossnet release that speaks API \(engine.lowest) or later"
        return "\(host): the Docker Engine speaks API \(engine) and Crossnet speaks API \(crossnet): no version in common — \(advice)"
    }
}

/// The API version of one host's Engine, shared by every ``DockerEngine`` value for that host:
/// negotiated once (on the first call) or pinned by the caller.
public final class EngineAPISelection: @unchecked Sendable {
    /// What Crossnet may use with this host.
    public let supported: EngineAPIRange
    private let lock = NSLock()
    private var chosen: EngineAPIVersion?
    private var engineRange: EngineAPIRange?
    private var inFlight: Task<EngineAPIVersion, any Error>?
    private var waiters = 0

    /// Negotiate on the first call: the highest version in both the Engine's range and `supported`.
    public init(supported: EngineAPIRange = .crossnet) {
        self.supported = supported
    }

    /// Always use `version`, without asking the Engine (tests, or a caller that knows better).
    public init(pinned version: EngineAPIVersion) {
        self.supported = EngineAPIRange(version, version)
        self.chosen = version
    }

    /// The version in use, `nil` until negotiated.
    public var current: EngineAPIVersion? { lock.withLock { chosen } }

    /// The Engine's range as it reported it, `nil` until negotiated (or when pinned).
    public var engine: EngineAPIRange? { lock.withLock { engineRange } }

    /// The chosen version, running `negotiate` once when there is none yet: calls that arrive
    /// while it runs wait for the same answer. A failure is not kept (the next call asks again).
    /// A cancelled caller stops waiting at once; when no caller waits any more, the negotiation
    /// is cancelled too.
    func resolve(_ negotiate: @escaping @Sendable () async throws -> EngineAPIVersion) async throws -> EngineAPIVersion {
        let task: Task<EngineAPIVersion, any Error> = lock.withLock {
            if let chosen { return Task { chosen } }
            if let inFlight { return inFlight }
            let task = Task { try await negotiate() }
            inFlight = task
            return task
        }
        lock.withLock { waiters += 1 }
        defer { lock.withLock { waiters -= 1 } }
        let once = ResumeOnce<EngineAPIVersion>()
        do {
            return try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { continuation in
                    once.install(continuation)
                    Task { once.resume(with: await task.result) }
                }
            } onCancel: {
                once.resume(with: .failure(CancellationError()))
                if lock.withLock({ waiters <= 1 }) { task.cancel() }
            }
        } catch {
            lock.withLock { if inFlight == task { inFlight = nil } }
            throw error
        }
    }

    /// Picks the version for an Engine reporting `engineRange`, and keeps it.
    /// - Throws: ``EngineAPIVersionMismatch`` when the ranges do not meet.
    @discardableResult
    public func choose(host: String, engine engineRange: EngineAPIRange) throws -> EngineAPIVersion {
        guard let version = supported.highestCommon(with: engineRange) else {
            throw EngineAPIVersionMismatch(host: host, engine: engineRange, crossnet: supported)
        }
        lock.withLock {
            chosen = version
            self.engineRange = engineRange
        }
        return version
    }
}
