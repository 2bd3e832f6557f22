import CLibSSH
import Foundation

/// A byte stream to a Unix socket on the remote host (an SSH direct-streamlocal channel), for
/// example the Docker Engine socket. Every call runs on the owning session's thread; several
/// channels may be open on one session at once.
public final class SSHChannel: Sendable {
    /// The session this channel belongs to (kept alive while the channel exists).
    public let session: SSHSession
    /// The remote socket path.
    public let path: String
    /// Deadline of ``write(_:)`` (the `timeout` the channel was opened with).
    public let writeTimeout: Duration
    /// The connection the channel lives on (a reconnected session has a new one; this channel
    /// then fails with `.connectionLost`).
    private let core: SSHSessionCore
    private let box: SendableBox

    /// `@unchecked Sendable`: the wrapped ``ChannelBox`` is only touched on the session thread.
    private final class SendableBox: @unchecked Sendable {
        let box: ChannelBox
        init(_ box: ChannelBox) { self.box = box }
    }

    init(session: SSHSession, core: SSHSessionCore, path: String, box: ChannelBox, writeTimeout: Duration) {
        self.session = session
        self.core = core
        self.path = path
        self.box = SendableBox(box)
        self.writeTimeout = writeTimeout
    }

    deinit {
        let box = self.box
        let core = self.core
        core.submit { core.closeChannel(box.box) }
    }

    /// Writes all of `data` within ``writeTimeout``, waiting while the channel window is full.
    /// - Throws: ``SSHError`` when the channel or session is closed or lost, or `.timeout`.
    public func write(_ data: Data) async throws {
        try await write(data, timeout: writeTimeout)
    }

    /// Writes all of `data`, waiting while the channel window is full, by `timeout`.
    /// - Throws: ``SSHError`` when the channel or session is closed or lost; `.timeout` (the
    ///   channel is then closed: part of the data went out) when the peer stops reading.
    public func write(_ data: Data, timeout: Duration) async throws {
        let box = self.box
        try await core.run { (_, completion: @escaping (Result<Void, Error>) -> Void) in
            ChannelWriteOperation(box: box.box, data: data, timeout: timeout, completion: completion)
        }
    }

    /// Reads what is available, at most `maxBytes` (and at most 64 KiB).
    /// - Returns: the bytes, or `nil` when the remote side ended the stream.
    /// - Throws: ``SSHError`` of kind `.timeout` when nothing arrived within `timeout` (the channel
    ///   stays open), or when the channel or session is closed or lost.
    public func read(maxBytes: Int = 65536, timeout: Duration) async throws -> Data? {
        let box = self.box
        return try await core.run { (_, completion: @escaping (Result<Data?, Error>) -> Void) in
            ChannelReadOperation(box: box.box, maxBytes: maxBytes, timeout: timeout, completion: completion)
        }
    }

    /// Tells the remote side no more data will be written (half close).
    public func sendEOF() async throws {
        let box = self.box
        try await core.perform { core in
            guard let channel = box.box.channel else {
                throw SSHError(core.endpoint, .channelClosed, "\(box.box.label): EOF on a closed channel")
            }
            try core.call.check(ssh_channel_send_eof(channel), "ssh_channel_send_eof", context: box.box.label)
        }
    }

    /// Closes the channel; further reads and writes fail. Closing twice is harmless.
    public func close() async {
        let box = self.box
        _ = try? await core.perform(evenIfFailed: true) { core in core.closeChannel(box.box) }
    }
}
