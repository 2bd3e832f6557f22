import Foundation

/// A minimal HTTP/1.1 client for the Docker Engine API over any ``ByteStream``.
///
/// The Engine is reached through an SSH `direct-streamlocal` channel, one request per channel
/// (`Connection: close`). libcurl cannot drive a libssh channel without a local socket relay, and
/// a relay would have to pump bytes on the session's own thread; this client does the little HTTP
/// the Engine API needs instead: a request with a known length, and responses framed by
/// `Content-Length`, `chunked` transfer encoding, or end of stream.
public struct HTTPClient: Sendable {
    public init() {}

    /// Sends `request` on `stream` and reads the whole response.
    public func send(_ request: HTTPRequest, on stream: any ByteStream, timeout: Duration) async throws -> HTTPResponse {
        try await writeRequest(request, on: stream)
        var reader = ResponseReader(stream: stream, timeout: timeout)
        return try await reader.readResponse()
    }

    /// Sends `request` and hands body bytes to `onBody` as they arrive (for streams whose end is
    /// the end of the connection, such as exec output or image load progress).
    public func stream(
        _ request: HTTPRequest, on stream: any ByteStream, timeout: Duration,
        onBody: (Data) throws -> Void
    ) async throws -> (status: Int, headers: [String: String]) {
        try await writeRequest(request, on: stream)
        var reader = ResponseReader(stream: stream, timeout: timeout)
        return try await reader.readResponse(onBody: onBody)
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

/// Incremental parser of one HTTP/1.1 response.
struct ResponseReader {
    let stream: any ByteStream
    let timeout: Duration
    var buffer = Data()
    var ended = false

    init(stream: any ByteStream, timeout: Duration) {
        self.stream = stream
        self.timeout = timeout
    }

    mutating func fill() async throws -> Bool {
        if ended { return false }
        guard let chunk = try await stream.read(maxBytes: 256 * 1024, timeout: timeout) else {
            ended = true
            return false
        }
        buffer.append(chunk)
        return true
    }

    mutating func readLine() async throws -> String {
        while true {
            if let range = buffer.firstRange(of: Data("\r\n".utf8)) {
                let line = String(decoding: buffer[buffer.startIndex..<range.lowerBound], as: UTF8.self)
                buffer.removeSubrange(buffer.startIndex..<range.upperBound)
                return line
            }
            if !(try await fill()) { throw HTTPProtocolError(message: "connection closed inside the headers") }
        }
    }

    mutating func readExactly(_ count: Int) async throws -> Data {
        while buffer.count < count {
            if !(try await fill()) { throw HTTPProtocolError(message: "connection closed after \(buffer.count) of \(count) body bytes") }
        }
        let data = buffer.prefix(count)
        buffer.removeFirst(count)
        return Data(data)
    }

    mutating func readHead() async throws -> (Int, [String: String]) {
        var statusLine = try await readLine()
        // Skip interim 1xx responses.
        while true {
            let parts = statusLine.split(separator: " ", maxSplits: 2)
            guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]) else {
                throw HTTPProtocolError(message: "bad status line '\(statusLine.prefix(80))'")
            }
            var headers: [String: String] = [:]
            while true {
                let line = try await readLine()
                if line.isEmpty { break }
                guard let colon = line.firstIndex(of: ":") else { continue }
                let name = line[..<colon].lowercased()
                headers[name] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
            if status >= 100 && status < 200 {
                statusLine = try await readLine()
                continue
            }
            return (status, headers)
        }
    }

    mutating func readResponse() async throws -> HTTPResponse {
        var body = Data()
        let (status, headers) = try await readResponse { body.append($0) }
        return HTTPResponse(status: status, headers: headers, body: body)
    }

    mutating func readResponse(onBody: (Data) throws -> Void) async throws -> (status: Int, headers: [String: String]) {
        let (status, headers) = try await readHead()
        if status == 204 || status == 304 { return (status, headers) }
        if headers["transfer-encoding"]?.lowercased().contains("chunked") == true {
            while true {
                let sizeLine = try await readLine()
                let sizeText = sizeLine.split(separator: ";").first.map(String.init) ?? ""
                guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else {
                    throw HTTPProtocolError(message: "bad chunk size '\(sizeLine.prefix(40))'")
                }
                if size == 0 {
                    // Trailers until the empty line.
                    while !(try await readLine()).isEmpty {}
                    break
                }
                try onBody(try await readExactly(size))
                _ = try await readExactly(2)
            }
        } else if let lengthText = headers["content-length"], let length = Int(lengthText) {
            var remaining = length
            while remaining > 0 {
                if buffer.isEmpty, !(try await fill()) {
                    throw HTTPProtocolError(message: "connection closed with \(remaining) body bytes missing")
                }
                let take = min(remaining, buffer.count)
                try onBody(Data(buffer.prefix(take)))
                buffer.removeFirst(take)
                remaining -= take
            }
        } else {
            if !buffer.isEmpty { try onBody(buffer); buffer.removeAll() }
            while try await fill() {
                try onBody(buffer)
                buffer.removeAll()
            }
        }
        return (status, headers)
    }
}
