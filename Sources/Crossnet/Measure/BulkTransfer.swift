import Foundation

/// An HTTP/1.0 response as it arrived: how many body bytes came, and how many the server announced.
public struct HTTPTransfer: Sendable, Equatable {
    /// Bytes of the status line and headers, up to and including the blank line.
    public var headerBytes: Int
    /// Bytes after the headers.
    public var bodyBytes: Int
    /// The `Content-Length` the server announced, if any.
    public var contentLength: Int?

    /// `true` when the whole announced body arrived.
    public var complete: Bool { contentLength.map { bodyBytes == $0 } ?? false }

    /// Splits a raw response; throws when there is no header block (nothing or garbage arrived).
    public static func parse(_ data: Data, host: String = "local", operation: String = "http GET") throws -> HTTPTransfer {
        let separator = Data("\r\n\r\n".utf8)
        guard let range = data.range(of: separator) else {
            throw MeasurementError.unparsable(
                host: host, operation: operation, reason: "no HTTP header block in \(data.count) bytes",
                excerpt: String(decoding: data.prefix(300), as: UTF8.self))
        }
        let headers = String(decoding: data[data.startIndex..<range.lowerBound], as: UTF8.self)
        let length = headers.split(whereSeparator: \.isNewline).lazy.compactMap { line -> Int? in
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "content-length" else { return nil }
            return Int(parts[1].trimmingCharacters(in: .whitespaces))
        }.first
        let headerBytes = data.distance(from: data.startIndex, to: range.upperBound)
        return HTTPTransfer(headerBytes: headerBytes, bodyBytes: data.count - headerBytes, contentLength: length)
    }

    /// Parses what ``BulkTransfer``'s command prints: the response's size in bytes (`wc -c`) on the
    /// first line, then the response's first bytes (its headers and the start of the body).
    public static func parse(counted output: Data, host: String = "local", operation: String = "http GET") throws -> HTTPTransfer {
        guard let newline = output.firstIndex(of: UInt8(ascii: "\n")),
            let total = Int(String(decoding: output[output.startIndex..<newline], as: UTF8.self).trimmingCharacters(in: .whitespaces))
        else {
            throw MeasurementError.unparsable(
                host: host, operation: operation, reason: "no byte count before the response",
                excerpt: String(decoding: output.prefix(300), as: UTF8.self))
        }
        var transfer = try parse(Data(output[output.index(after: newline)...]), host: host, operation: operation)
        transfer.bodyBytes = total - transfer.headerBytes
        return transfer
    }
}

/// Moves bulk data over one TCP connection and counts what arrives: the target's HTTP server
/// serves a file of the given size, the source fetches it with `nc`. Full-sized segments all the
/// way, so a path that black-holes them stalls here instead of completing.
public struct BulkTransfer: Sendable {
    public let shell: ProbeShell

    public init(fleet: HostFleet) { self.shell = ProbeShell(fleet: fleet) }

    /// Writes `bytes` zeros as `/tmp/bulk` in the target, fetches it from the source, and returns
    /// what arrived.
    public func fetch(bytes: Int, between endpoints: MeasurementEndpoints, timeout: Duration = .seconds(60)) async throws -> HTTPTransfer {
        let blocks = max(1, bytes / 65_536)
        try await shell.check(
            endpoints.target, ["dd", "if=/dev/zero", "of=/tmp/bulk", "bs=65536", "count=\(blocks)"], timeout: .seconds(30))
        let port = endpoints.clientPort(ProbeCommand.httpPort)
        // The response is counted where it arrives: only its size and first 4 KiB (the headers)
        // come back to the controller, not megabytes of body.
        let command = [
            "sh", "-c",
            "printf 'GET /bulk HTTP/1.0\\r\\n\\r\\n' | nc -w 10 \(endpoints.targetAddress) \(port) >/tmp/bulk.got; s=$?; "
                + "wc -c </tmp/bulk.got; head -c 4096 /tmp/bulk.got; rm -f /tmp/bulk.got; exit $s",
        ]
        let operation = ProbeShell.display(command, in: endpoints.source)
        let output = try await shell.run(endpoints.source, command, timeout: timeout)
        let transfer = try? HTTPTransfer.parse(counted: output.stdout, host: endpoints.source.host, operation: operation)
        guard output.succeeded || (transfer.map { $0.headerBytes + $0.bodyBytes } ?? 0) > 0 else {
            throw MeasurementError.commandFailed(
                host: endpoints.source.host, operation: operation, exitStatus: output.exitStatus, output: output.stderrText)
        }
        return try HTTPTransfer.parse(counted: output.stdout, host: endpoints.source.host, operation: operation)
    }
}
