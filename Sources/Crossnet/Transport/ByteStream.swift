import Foundation

/// A bidirectional byte stream to a remote endpoint, such as an SSH `direct-streamlocal` channel
/// to a host's Docker socket. The HTTP client speaks over it.
public protocol ByteStream: Sendable {
    /// Writes all of `data`, waiting while the peer's window is full.
    func write(_ data: Data) async throws
    /// Reads up to `maxBytes`; returns `nil` at end of stream.
    func read(maxBytes: Int, timeout: Duration) async throws -> Data?
    /// Closes the stream; further calls fail.
    func close() async
}
