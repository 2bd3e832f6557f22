import Foundation

/// An HTTP/1.1 request to the Docker Engine API.
public struct HTTPRequest: Sendable {
    public enum Body: Sendable {
        case none
        case data(Data, contentType: String)
        /// Streamed from a file in chunks (used to load images).
        case file(URL, contentType: String)
    }

    public var method: String
    /// Path with query string, e.g. `/v1.41/containers/json?all=1`.
    public var path: String
    public var body: Body

    public init(method: String, path: String, body: Body = .none) {
        self.method = method
        self.path = path
        self.body = body
    }

    /// The request head (request line and headers) as sent on the wire.
    func head(contentLength: Int?) -> Data {
        var lines = ["\(method) \(path) HTTP/1.1", "Host: docker", "User-Agent: crossnet", "Connection: close"]
        switch body {
        case .none:
            if method == "POST" || method == "PUT" { lines.append("Content-Length: 0") }
        case .data(_, let type), .file(_, let type):
            lines.append("Content-Type: \(type)")
            if let contentLength { lines.append("Content-Length: \(contentLength)") }
        }
        return Data((lines.joined(separator: "\r\n") + "\r\n\r\n").utf8)
    }
}

/// A complete HTTP response.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [String: String]
    public var body: Data

    public init(status: Int, headers: [String: String], body: Data) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// A malformed, oversized or truncated answer from the Docker Engine (see ``HTTPLimits``).
public struct HTTPProtocolError: CrossnetError {
    /// What went wrong.
    public enum Kind: String, Sendable, Equatable {
        /// Not HTTP as the Engine speaks it (bad status line, header without a colon, …).
        case malformed
        /// A status, header or chunk-size line above ``HTTPLimits/maxLineBytes``.
        case lineTooLong
        /// More header fields than ``HTTPLimits/maxHeaderCount``.
        case tooManyHeaders
        /// More interim `1xx` responses than ``HTTPLimits/maxInterimResponses``.
        case tooManyInterimResponses
        /// A body above the cap for the call.
        case bodyTooLarge
        /// A chunk size that is not 1 to 8 hex digits (e.g. `-1`).
        case badChunkSize
        /// The connection ended before the response did.
        case truncated
    }

    /// Where it happened: the host and the request (method and path, no query).
    public struct Context: Sendable, Equatable {
        public var host: String
        public var request: String
        public init(host: String, request: String) {
            self.host = host
            self.request = request
        }
    }

    public var host: String
    /// Method and path, e.g. `GET /v1.41/containers/json`.
    public var request: String
    public var kind: Kind
    public var message: String

    public init(context: Context, kind: Kind, message: String) {
        self.host = context.host
        self.request = context.request
        self.kind = kind
        self.message = message
    }

    /// An error outside any request (tests, fixtures).
    public init(message: String) {
        self.init(context: .init(host: "local", request: "-"), kind: .malformed, message: message)
    }

    public var description: String {
        "\(host): `\(request)`: bad HTTP answer from the Docker Engine: \(message) — check that the host's "
            + "docker_socket leads to a Docker Engine and not to another server or a proxy that alters it"
    }
}

/// An SSH `direct-streamlocal` channel carries the Engine API's HTTP.
extension SSHChannel: ByteStream {}
