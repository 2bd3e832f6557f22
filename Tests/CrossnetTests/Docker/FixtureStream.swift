import Foundation

@testable import Crossnet

/// A ``ByteStream`` that answers with recorded bytes (a captured Engine response), in chunks of
/// varying size so the parser meets every possible split, and keeps what the client wrote.
final class FixtureStream: ByteStream, @unchecked Sendable {
    private let lock = NSLock()
    private var remaining: Data
    private var chunkSizes: [Int]
    private(set) var written = Data()

    init(response: Data, chunkSizes: [Int] = [1, 7, 64, 3, 500, 13]) {
        remaining = response
        self.chunkSizes = chunkSizes
    }

    func write(_ data: Data) async throws {
        lock.withLock { written.append(data) }
    }

    func read(maxBytes: Int, timeout: Duration) async throws -> Data? {
        lock.withLock {
            if remaining.isEmpty { return nil }
            let size = min(chunkSizes[0], maxBytes, remaining.count)
            chunkSizes.append(chunkSizes.removeFirst())
            let chunk = remaining.prefix(size)
            remaining = Data(remaining.dropFirst(size))
            return Data(chunk)
        }
    }

    func close() async {}

    /// The request line and headers the client sent.
    var requestHead: String {
        lock.lock()
        defer { lock.unlock() }
        let head = written.firstRange(of: Data("\r\n\r\n".utf8)).map { written[..<$0.lowerBound] } ?? written
        return String(decoding: head, as: UTF8.self)
    }
}

/// Hands out one fixture stream per connection, in order.
final class FixtureConnector: @unchecked Sendable {
    private let lock = NSLock()
    private var responses: [Data]
    private(set) var streams: [FixtureStream] = []

    init(_ responses: [Data]) { self.responses = responses }

    func next() throws -> any ByteStream {
        lock.lock()
        defer { lock.unlock() }
        guard !responses.isEmpty else { throw HTTPProtocolError(message: "test: no more recorded responses") }
        let stream = FixtureStream(response: responses.removeFirst())
        streams.append(stream)
        return stream
    }
}

enum EngineFixtures {
    static func data(_ name: String) throws -> Data {
        guard let url = Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures/engine") else {
            throw HTTPProtocolError(message: "fixture \(name) missing")
        }
        return try Data(contentsOf: url)
    }

    /// A captured JSON body wrapped in the HTTP head the Engine sends with it.
    static func response(status: Int, reason: String, body: Data) -> Data {
        var head = "HTTP/1.1 \(status) \(reason)\r\nApi-Version: 1.41\r\nContent-Type: application/json\r\n"
        head += "Server: Docker/20.10.24+dfsg1 (linux)\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        return Data(head.utf8) + body
    }
}
