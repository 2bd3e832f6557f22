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

/// Errors while speaking HTTP to the Engine.
public struct HTTPProtocolError: CrossnetError {
    public var message: String
    public var description: String { "malformed HTTP response from the Docker Engine: \(message)" }
}

/// An SSH `direct-streamlocal` channel carries the Engine API's HTTP.
extension SSHChannel: ByteStream {}
