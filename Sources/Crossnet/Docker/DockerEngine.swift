import Foundation

/// A Docker Engine on one host, reached through the Engine API (1.41 to 1.52: Docker 20.10 to 29).
///
/// Every call opens a fresh stream (an SSH `direct-streamlocal` channel on the host's one session),
/// sends one request and records the equivalent `docker` CLI line in the transcript.
///
/// The API version is negotiated on the first call, as the docker CLI does: an unversioned
/// `GET /version` gives the Engine's range (`MinAPIVersion`…`ApiVersion`), and Crossnet uses the
/// highest version in both that range and ``EngineAPIRange/crossnet``. Docker 29 refuses anything
/// below 1.44; Docker 20.10 speaks at most 1.41. The choice is kept in ``api`` (shared by all
/// values for one host, see ``HostFleet/engine(_:)``).
public struct DockerEngine: Sendable {
    /// The inventory name of the host.
    public let host: String
    /// The API version in use with this host (negotiated on the first call, or pinned).
    public let api: EngineAPISelection
    let connect: @Sendable () async throws -> any ByteStream
    let transcript: Transcript?
    let defaultTimeout: Duration
    /// Whether the host's Engine still answers (shared per host), if tracked.
    let health: EngineHealth?

    /// - Parameters:
    ///   - host: inventory name, used in errors and the transcript.
    ///   - transcript: where each call is recorded, if anywhere.
    ///   - defaultTimeout: deadline for calls that do not give their own.
    ///   - api: the host's API version state; by default a fresh one that negotiates.
    ///   - connect: opens a new stream to the Engine's socket.
    public init(
        host: String, transcript: Transcript? = nil, defaultTimeout: Duration = .seconds(60),
        api: EngineAPISelection = EngineAPISelection(), health: EngineHealth? = nil,
        connect: @escaping @Sendable () async throws -> any ByteStream
    ) {
        self.health = health
        self.host = host
        self.transcript = transcript
        self.defaultTimeout = defaultTimeout
        self.api = api
        self.connect = connect
    }

    /// The negotiated API version, `nil` before the first call.
    public var negotiatedAPIVersion: EngineAPIVersion? { api.current }

    /// The API version used with this host, negotiated now if no call has been made yet.
    /// - Throws: ``EngineAPIVersionMismatch`` naming the host and both ranges when the Engine and
    ///   Crossnet have no version in common; ``DockerAPIError`` or a transport error when the
    ///   Engine does not answer `GET /version`.
    public func apiVersion() async throws -> EngineAPIVersion {
        if let current = api.current { return current }
        return try await api.resolve { [self] in try await negotiate() }
    }

    /// Asks the Engine for its range (unversioned `GET /version`) and chooses.
    private func negotiate() async throws -> EngineAPIVersion {
        struct Range: Decodable {
            var apiVersion: String
            var minAPIVersion: String?
            enum CodingKeys: String, CodingKey { case apiVersion = "ApiVersion", minAPIVersion = "MinAPIVersion" }
        }
        let cli = "docker version  # negotiate the API version"
        // Unversioned: every Engine answers it, whatever versions it accepts.
        let response = try await send(HTTPRequest(method: "GET", path: "/version"), cli: cli, expect: [], timeout: defaultTimeout)
        let reported = try decode(Range.self, from: response, cli: cli)
        guard let highest = EngineAPIVersion(reported.apiVersion) else {
            throw OperationError(
                host: host, operation: cli, reason: "the Engine reports API version '\(reported.apiVersion)', which is not MAJOR.MINOR",
                hint: "check that the host's docker_socket leads to a Docker Engine")
        }
        // An Engine that does not say how low it goes is taken to speak only its own version.
        let lowest = reported.minAPIVersion.flatMap { EngineAPIVersion($0) } ?? highest
        return try api.choose(host: host, engine: EngineAPIRange(min(lowest, highest), highest))
    }

    /// Sends a request and returns the response, throwing ``DockerAPIError`` for a non-2xx status.
    ///
    /// - Parameters:
    ///   - cli: the equivalent docker CLI line, for the transcript and error messages.
    ///   - expect: statuses accepted besides 2xx (e.g. 304 for "already started", 404 for lookups).
    @discardableResult
    public func call(
        _ method: String, _ path: String, query: [(String, String)] = [], body: HTTPRequest.Body = .none,
        cli: String, expect: Set<Int> = [], timeout: Duration? = nil
    ) async throws -> HTTPResponse {
        let version = try await apiVersion()
        let request = HTTPRequest(method: method, path: fullPath(path, query: query, version: version), body: body)
        return try await send(request, cli: cli, expect: expect, timeout: timeout ?? defaultTimeout)
    }

    /// Sends `request` as it is (its path already versioned, or deliberately not).
    func send(_ request: HTTPRequest, cli: String, expect: Set<Int>, timeout deadline: Duration) async throws -> HTTPResponse {
        let host = host
        let connect = connect
        let work: @Sendable () async throws -> HTTPResponse = {
            try await withDeadline(deadline, host: host, operation: cli) {
                let stream = try await connect()
                do {
                    let response = try await HTTPClient(host: host).send(request, on: stream, timeout: deadline)
                    await stream.close()
                    return response
                } catch {
                    await stream.close()
                    throw error
                }
            }
        }
        let response: HTTPResponse
        do {
            try await checkHealth(before: cli)
            if let transcript {
                response = try await transcript.step(host: host, command: cli) {
                    let response = try await work()
                    try check(response, cli: cli, expect: expect)
                    return response
                }
            } else {
                response = try await work()
                try check(response, cli: cli, expect: expect)
            }
        } catch {
            noteOutcome(error, cli: cli)
            throw error
        }
        return response
    }

    /// Sends a request whose response body is a stream ended by the Engine closing the
    /// connection (exec output, image load progress), delivering body bytes as they arrive.
    public func stream(
        _ method: String, _ path: String, query: [(String, String)] = [], body: HTTPRequest.Body = .none,
        cli: String, timeout: Duration, onBody: @escaping @Sendable (Data) throws -> Void
    ) async throws {
        let version = try await apiVersion()
        let request = HTTPRequest(method: method, path: fullPath(path, query: query, version: version), body: body)
        let run: @Sendable () async throws -> Void = {
            try await withDeadline(timeout, host: host, operation: cli) {
                let stream = try await connect()
                do {
                    var errorBody = Data()
                    let head = try await HTTPClient(host: host).stream(request, on: stream, timeout: timeout) { chunk in
                        errorBody.append(chunk.prefix(4096))
                        try onBody(chunk)
                    }
                    await stream.close()
                    if !(200..<300).contains(head.status) {
                        throw DockerAPIError(host: host, operation: cli, status: head.status, body: errorBody)
                    }
                } catch {
                    await stream.close()
                    throw error
                }
            }
        }
        do {
            try await checkHealth(before: cli)
            if let transcript {
                try await transcript.step(host: host, command: cli) { try await run() }
            } else {
                try await run()
            }
        } catch {
            noteOutcome(error, cli: cli)
            throw error
        }
    }

    /// Decodes a JSON response body.
    public func decode<T: Decodable>(_ type: T.Type, from response: HTTPResponse, cli: String) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: response.body)
        } catch {
            throw OperationError(
                host: host, operation: cli,
                reason: "unexpected Engine API answer (\(error)): \(Redaction.text(String(decoding: response.body.prefix(300), as: UTF8.self)))",
                hint: "Crossnet speaks Docker Engine API \(EngineAPIRange.crossnet) (Docker 20.10 to 29)")
        }
    }

    /// JSON body from an `Encodable` value.
    public static func json<T: Encodable>(_ value: T) throws -> HTTPRequest.Body {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return .data(try encoder.encode(value), contentType: "application/json")
    }

    private func fullPath(_ path: String, query: [(String, String)], version: EngineAPIVersion) -> String {
        var text = version.pathPrefix + path
        if !query.isEmpty {
            text += "?" + query.map { "\(percentEncode($0.0))=\(percentEncode($0.1))" }.joined(separator: "&")
        }
        return text
    }

    private func check(_ response: HTTPResponse, cli: String, expect: Set<Int>) throws {
        if (200..<300).contains(response.status) || expect.contains(response.status) { return }
        throw DockerAPIError(host: host, operation: cli, status: response.status, body: response.body)
    }
}

/// Percent-encodes a query component (RFC 3986 unreserved characters kept).
func percentEncode(_ text: String) -> String {
    var allowed = CharacterSet.alphanumerics
    allowed.insert(charactersIn: "-._~")
    return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
}

/// An error answer from the Engine API, carrying the API's own message.
public struct DockerAPIError: CrossnetError {
    public var host: String
    public var operation: String
    public var status: Int
    /// The Engine's `message`, or the raw body when it sent none.
    public var message: String

    public init(host: String, operation: String, status: Int, body: Data) {
        self.host = host
        self.operation = operation
        self.status = status
        struct Message: Decodable { var message: String }
        if let decoded = try? JSONDecoder().decode(Message.self, from: body) {
            message = Redaction.text(decoded.message)
        } else {
            message = Redaction.text(
                String(decoding: body.prefix(500), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }

    public var description: String {
        Redaction.text("\(host): `\(operation)` failed: Docker Engine answered \(status): \(message)")
    }
}

/// The deadline passed before an operation finished.
public struct DeadlineExceeded: CrossnetError {
    public var host: String
    public var operation: String
    public var seconds: Double
    public var description: String {
        "\(host): `\(operation)` did not finish within \(String(format: "%.0f", seconds)) s — check the host is up and the Docker daemon answers (`crossnet check`)"
    }
}

/// Runs `body`, throwing ``DeadlineExceeded`` if it has not finished after `deadline`.
///
/// Returns by the deadline even if `body` does not notice: `body` runs in its own task, which is
/// cancelled when the deadline passes or the caller is cancelled (the SSH transport then aborts
/// its pending channel operations), and the caller does not wait for it to wind down.
public func withDeadline<T: Sendable>(
    _ deadline: Duration, host: String, operation: String, _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    let once = ResumeOnce<T>()
    let work = Task { try await body() }
    // A Dispatch timer, not `Task.sleep`: it fires on time even when the cooperative pool is busy.
    // Firing after `body` finished does nothing (the first resume wins; the task is done).
    DispatchQueue.global().asyncAfter(deadline: .now() + deadline.seconds) {
        if once.resume(with: .failure(DeadlineExceeded(host: host, operation: operation, seconds: deadline.seconds))) {
            work.cancel()
        }
    }
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, Error>) in
            once.install(continuation)
            Task {
                once.resume(with: await work.result)
            }
        }
    } onCancel: {
        work.cancel()
        once.resume(with: .failure(CancellationError()))
    }
}
