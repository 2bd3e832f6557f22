import Foundation

/// A minimal HTTP/1.1 client for the Docker Engine API over any ``ByteStream``.
///
/// The Engine is reached through an SSH `direct-streamlocal` channel, one request per channel
/// (`Connection: close`). libcurl cannot drive a libssh channel without a local socket relay, and
/// a relay would have to pump bytes on the session's own thread; this client does the little HTTP
/// the Engine API needs instead: a request with a known length, and responses framed by
/// `Content-Length`, `chunked` transfer encoding, or end of stream.
///
/// Everything read is bounded by ``HTTPLimits`` and by the request's deadline (the `timeout`
/// counts from the start of the request, so a peer that sends a byte now and then cannot hold a
/// call past it). Errors name the host and the request (method and path).
public struct HTTPClient: Sendable {
    /// The host the stream leads to, for errors.
    public var host: String
    public var limits: HTTPLimits

    public init(host: String = "engine", limits: HTTPLimits = .standard) {
        self.host = host
        self.limits = limits
    }

    /// Sends `request` on `stream` and reads the whole response (at most
    /// ``HTTPLimits/maxBodyBytes`` of body).
    /// - Throws: ``HTTPProtocolError`` for a malformed or oversized answer, ``DeadlineExceeded``
    ///   when it is not complete within `timeout`.
    public func send(_ request: HTTPRequest, on stream: any ByteStream, timeout: Duration) async throws -> HTTPResponse {
        var reader = ResponseReader(stream: stream, timeout: timeout, context: context(request), limits: limits)
        try await writeRequest(request, on: stream)
        var body = Data()
        let (status, headers) = try await reader.readResponse(bodyCap: limits.maxBodyBytes, method: request.method) {
            body.append($0)
        }
        return HTTPResponse(status: status, headers: headers, body: body)
    }

    /// Sends `request` and hands body bytes to `onBody` as they arrive (for streams whose end is
    /// the end of the connection, such as exec output or image load progress), at most
    /// ``HTTPLimits/maxStreamedBodyBytes`` in all.
    public func stream(
        _ request: HTTPRequest, on stream: any ByteStream, timeout: Duration,
        onBody: (Data) throws -> Void
    ) async throws -> (status: Int, headers: [String: String]) {
        var reader = ResponseReader(stream: stream, timeout: timeout, context: context(request), limits: limits)
        try await writeRequest(request, on: stream)
        return try await reader.readResponse(bodyCap: limits.maxStreamedBodyBytes, method: request.method, onBody: onBody)
    }

    private func context(_ request: HTTPRequest) -> HTTPProtocolError.Context {
        .init(host: host, request: "\(request.method) \(request.path.prefix { $0 != "?" })")
    }

    private func writeRequest(_ request: HTTPRequest, on stream: any ByteStream) async throws {
        switch request.body {
        case .none:
            try await stream.write(request.head(contentLength: nil))
        case .data(let data, _):
            try await stream.write(request.head(contentLength: data.count) + data)
        case .file(let url, _):
            let size = try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int ?? 0
            try await stream.write(request.head(contentLength: size))
            let handle = try FileHandle(forReadingFrom: url)
            defer { try? handle.close() }
            while let chunk = try handle.read(upToCount: 256 * 1024), !chunk.isEmpty {
                try await stream.write(chunk)
            }
        }
    }
}

/// Incremental, bounded parser of one HTTP/1.1 response.
struct ResponseReader {
    let stream: any ByteStream
    let timeout: Duration
    let deadline: ContinuousClock.Instant
    let context: HTTPProtocolError.Context
    let limits: HTTPLimits
    var buffer = Data()
    var ended = false

    init(stream: any ByteStream, timeout: Duration, context: HTTPProtocolError.Context, limits: HTTPLimits) {
        self.stream = stream
        self.timeout = timeout
        self.deadline = .now + timeout
        self.context = context
        self.limits = limits
    }

    func fail(_ kind: HTTPProtocolError.Kind, _ message: String) -> HTTPProtocolError {
        HTTPProtocolError(context: context, kind: kind, message: message)
    }

    /// Reads more bytes into the buffer; `false` at end of stream.
    /// - Throws: ``DeadlineExceeded`` once the request's deadline has passed.
    mutating func fill() async throws -> Bool {
        if ended { return false }
        let remaining = deadline - .now
        let expired = DeadlineExceeded(host: context.host, operation: context.request, seconds: timeout.seconds)
        guard remaining > .zero else { throw expired }
        let chunk: Data?
        do {
            chunk = try await stream.read(maxBytes: 256 * 1024, timeout: remaining)
        } catch let error as SSHError {
            if case .timeout = error.kind { throw expired }
            throw error
        }
        guard let chunk else {
            ended = true
            return false
        }
        buffer.append(chunk)
        return true
    }

    /// One CRLF-terminated line of at most ``HTTPLimits/maxLineBytes``.
    mutating func readLine(_ what: String) async throws -> String {
        let crlf = Data("\r\n".utf8)
        var searchFrom = buffer.startIndex
        while true {
            if let range = buffer[searchFrom...].firstRange(of: crlf) {
                guard range.lowerBound - buffer.startIndex <= limits.maxLineBytes else { break }
                let line = String(decoding: buffer[buffer.startIndex..<range.lowerBound], as: UTF8.self)
                buffer.removeSubrange(buffer.startIndex..<range.upperBound)
                return line
            }
            if buffer.count > limits.maxLineBytes { break }
            searchFrom = max(buffer.startIndex, buffer.endIndex - 1)
            if !(try await fill()) {
                throw fail(.truncated, "connection closed inside the \(what)")
            }
        }
        throw fail(.lineTooLong, "a line of the \(what) is longer than \(limits.maxLineBytes) bytes")
    }

    /// Status and headers of the final response, after at most
    /// ``HTTPLimits/maxInterimResponses`` interim `1xx` ones.
    mutating func readHead() async throws -> (Int, [String: String]) {
        var interim = 0
        while true {
            let statusLine = try await readLine("status line")
            let parts = statusLine.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), parts[1].count == 3,
                parts[1].allSatisfy({ $0.isASCII && $0.isNumber }), let status = Int(parts[1]), status >= 100
            else {
                throw fail(.malformed, "bad status line '\(statusLine.prefix(80))'")
            }
            let headers = try await readFields("response head")
            guard (100..<200).contains(status) else { return (status, headers) }
            interim += 1
            if interim > limits.maxInterimResponses {
                throw fail(.tooManyInterimResponses, "more than \(limits.maxInterimResponses) interim 1xx responses")
            }
        }
    }

    /// Header (or trailer) fields up to the empty line, at most ``HTTPLimits/maxHeaderCount``.
    mutating func readFields(_ what: String) async throws -> [String: String] {
        var headers: [String: String] = [:]
        var count = 0
        while true {
            let line = try await readLine(what)
            if line.isEmpty { return headers }
            count += 1
            if count > limits.maxHeaderCount {
                throw fail(.tooManyHeaders, "more than \(limits.maxHeaderCount) fields in the \(what)")
            }
            guard let colon = line.firstIndex(of: ":") else {
                throw fail(.malformed, "header line without a colon: '\(line.prefix(80))'")
            }
            let name = line[..<colon].lowercased()
            headers[name] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
    }

    /// Reads a response, handing body bytes to `onBody`; at most `bodyCap` body bytes in all.
    mutating func readResponse(
        bodyCap: Int, method: String = "GET", onBody: (Data) throws -> Void
    ) async throws -> (status: Int, headers: [String: String]) {
        let (status, headers) = try await readHead()
        if status == 204 || status == 304 || method == "HEAD" { return (status, headers) }
        var delivered = 0
        func tooLarge() -> HTTPProtocolError {
            fail(.bodyTooLarge, "the body is larger than \(bodyCap) bytes")
        }
        if let encoding = headers["transfer-encoding"], encoding.lowercased().contains("chunked") {
            while true {
                let sizeLine = try await readLine("chunk size")
                guard let size = parseChunkSize(sizeLine[...]) else {
                    throw fail(
                        .badChunkSize,
                        "bad chunk size '\(sizeLine.prefix(40))' (must be 1 to \(HTTPLimits.maxChunkSizeDigits) hex digits)")
                }
                if size == 0 {
                    _ = try await readFields("chunked trailer")
                    break
                }
                guard size <= bodyCap - delivered else { throw tooLarge() }
                try await deliver(size, onBody: onBody)
                delivered += size
                guard try await readLine("chunk end").isEmpty else {
                    throw fail(.malformed, "chunk of \(size) bytes not followed by CRLF")
                }
            }
        } else if let lengthText = headers["content-length"] {
            guard let length = parseContentLength(lengthText) else {
                throw fail(.malformed, "bad Content-Length '\(lengthText.prefix(40))'")
            }
            guard length <= bodyCap else { throw tooLarge() }
            try await deliver(length, onBody: onBody)
        } else {
            while true {
                if !buffer.isEmpty {
                    guard buffer.count <= bodyCap - delivered else { throw tooLarge() }
                    delivered += buffer.count
                    try onBody(buffer)
                    buffer.removeAll()
                }
                if !(try await fill()) { break }
            }
        }
        return (status, headers)
    }

    /// Hands exactly `count` body bytes to `onBody` as they arrive.
    mutating func deliver(_ count: Int, onBody: (Data) throws -> Void) async throws {
        var remaining = count
        while remaining > 0 {
            if buffer.isEmpty, !(try await fill()) {
                throw fail(.truncated, "connection closed with \(remaining) of \(count) body bytes missing")
            }
            let take = min(remaining, buffer.count)
            try onBody(Data(buffer.prefix(take)))
            buffer.removeFirst(take)
            remaining -= take
        }
    }
}
