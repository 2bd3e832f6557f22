/// Caps on what Crossnet accepts from a Docker Engine, so that a broken or hostile answer ends in
/// an ``HTTPProtocolError`` instead of unbounded memory, an endless loop or a crash.
///
/// The defaults are far above anything Docker sends (its response heads are a few hundred bytes,
/// its largest JSON answers — `docker ps -a`, `docker network ls` on a busy host — a few MB) and
/// leave room for what Crossnet streams: exec output (iperf3, sockperf logs) and `docker load`
/// progress.
public struct HTTPLimits: Sendable, Equatable {
    /// Longest status line, header line or chunk-size line, in bytes without the CRLF (16 KiB).
    public var maxLineBytes: Int
    /// Most header fields in one response head (or in the trailer of a chunked body) (100).
    public var maxHeaderCount: Int
    /// Most interim `1xx` responses before the final one (8).
    public var maxInterimResponses: Int
    /// Largest body of a response read whole into memory, e.g. `docker ps`, `docker inspect`
    /// (64 MiB).
    public var maxBodyBytes: Int
    /// Largest body of a streamed response (exec output, `docker load` progress), counted over
    /// the whole stream (1 GiB).
    public var maxStreamedBodyBytes: Int
    /// Most hex digits in a chunk size (8: a chunk is at most 4 GiB − 1, and always below
    /// the body caps above).
    public static let maxChunkSizeDigits = 8

    /// The limits Crossnet uses against every Engine.
    public static let standard = HTTPLimits(
        maxLineBytes: 16 * 1024, maxHeaderCount: 100, maxInterimResponses: 8, maxBodyBytes: 64 << 20,
        maxStreamedBodyBytes: 1 << 30)

    public init(maxLineBytes: Int, maxHeaderCount: Int, maxInterimResponses: Int, maxBodyBytes: Int, maxStreamedBodyBytes: Int) {
        self.maxLineBytes = maxLineBytes
        self.maxHeaderCount = maxHeaderCount
        self.maxInterimResponses = maxInterimResponses
        self.maxBodyBytes = maxBodyBytes
        self.maxStreamedBodyBytes = maxStreamedBodyBytes
    }
}

/// Parses a chunk-size line strictly: 1 to ``HTTPLimits/maxChunkSizeDigits`` hex digits, then
/// optional blanks and an optional `;extension`. No sign, no `0x`, nothing else.
/// - Returns: the size, or `nil` when the line is not such a chunk size.
func parseChunkSize(_ line: Substring) -> Int? {
    let sizePart = line.prefix { $0 != ";" }
    let digits = sizePart.prefix { $0.isHexDigit && $0.isASCII }
    guard !digits.isEmpty, digits.count <= HTTPLimits.maxChunkSizeDigits,
        sizePart.dropFirst(digits.count).allSatisfy({ $0 == " " || $0 == "\t" })
    else { return nil }
    return Int(digits, radix: 16)
}

/// Parses a `Content-Length` value strictly: decimal digits only (at most 18, so it fits an Int).
func parseContentLength(_ text: String) -> Int? {
    guard !text.isEmpty, text.count <= 18, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
    return Int(text)
}
