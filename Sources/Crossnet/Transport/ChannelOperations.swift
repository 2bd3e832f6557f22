import CLibSSH
import Foundation

/// Opens a direct-streamlocal channel to a Unix socket on the server.
final class UnixSocketOpenOperation: LoopOperation {
    let deadline: ContinuousClock.Instant?
    private let path: String
    private let started = ContinuousClock.now
    private var box: ChannelBox?
    private var completion: ((Result<ChannelBox, Error>) -> Void)?

    init(path: String, timeout: Duration, completion: @escaping (Result<ChannelBox, Error>) -> Void) {
        self.path = path
        self.deadline = started + timeout
        self.completion = completion
    }

    private var label: String { "open unix socket \(path)" }

    func step(_ core: SSHSessionCore, now: ContinuousClock.Instant) -> StepResult {
        if let deadline, now >= deadline {
            let elapsed = now - started
            fail(core, SSHError(
                core.endpoint, .timeout(operation: label, elapsed: elapsed),
                "\(label) timed out after \(formatSeconds(elapsed))",
                hint: "check that the host is reachable and its sshd answers"))
            core.suspectConnection(after: "\(label) timed out")
            return .finished
        }
        do {
            let call = core.call
            if box == nil {
                guard let channel = ssh_channel_new(core.session) else {
                    throw call.error(SSH_ERROR, "ssh_channel_new", context: label)
                }
                let created = ChannelBox(channel: channel, label: "unix socket \(path)")
                core.register(created)
                box = created
            }
            let rc = try call.check(
                ssh_channel_open_forward_unix(box?.channel, path, "127.0.0.1", 0), "ssh_channel_open_forward_unix",
                context: label, accept: { $0 == SSH_OK || $0 == SSH_AGAIN })
            if rc == SSH_AGAIN { return .waiting }
            if let box, let completion {
                self.completion = nil
                completion(.success(box))
            }
            return .finished
        } catch {
            var translated = core.translate(error)
            if var refused = translated as? SSHError, case .libssh = refused.kind, refused.hint == nil {
                // The server refused the channel: nothing listens on the socket (or forwarding is off).
                refused.hint = "check that the daemon behind \(path) runs on \(core.endpoint.hostName) (`crossnet check`) and that sshd allows AllowStreamLocalForwarding"
                translated = refused
            }
            fail(core, translated)
            return .finished
        }
    }

    func abort(_ error: Error, core: SSHSessionCore) { fail(core, error) }

    private func fail(_ core: SSHSessionCore, _ error: Error) {
        if let box { core.closeChannel(box) }
        box = nil
        if let completion {
            self.completion = nil
            completion(.failure(error))
        }
    }
}

/// Reads what is available (up to `maxBytes`) from a channel; `nil` at end of stream.
final class ChannelReadOperation: LoopOperation {
    let deadline: ContinuousClock.Instant?
    private let box: ChannelBox
    private let maxBytes: Int
    private let started = ContinuousClock.now
    private var completion: ((Result<Data?, Error>) -> Void)?

    init(box: ChannelBox, maxBytes: Int, timeout: Duration, completion: @escaping (Result<Data?, Error>) -> Void) {
        self.box = box
        self.maxBytes = max(1, min(maxBytes, SSHSessionCore.chunkSize))
        self.deadline = started + timeout
        self.completion = completion
    }

    func step(_ core: SSHSessionCore, now: ContinuousClock.Instant) -> StepResult {
        guard let channel = box.channel else {
            finish(.failure(core.translate(SSHError(core.endpoint, .channelClosed, "\(box.label): read on a closed channel"))))
            return .finished
        }
        do {
            let n = try core.call.check(
                ssh_channel_read_nonblocking(channel, core.readBuffer, UInt32(maxBytes), 0),
                "ssh_channel_read_nonblocking", context: "read from \(box.label)", accept: { $0 >= 0 || $0 == SSH_EOF })
            if n > 0 {
                finish(.success(Data(bytes: core.readBuffer, count: Int(n))))
                return .finished
            }
            if n == SSH_EOF || ssh_channel_is_closed(channel) != 0 {
                finish(.success(nil))
                return .finished
            }
        } catch {
            finish(.failure(core.translate(error)))
            return .finished
        }
        if let deadline, now >= deadline {
            let elapsed = now - started
            finish(.failure(SSHError(
                core.endpoint, .timeout(operation: "read from \(box.label)", elapsed: elapsed),
                "read from \(box.label) got no data within \(formatSeconds(elapsed))",
                hint: "the channel stays open; read again or close it")))
            core.suspectConnection(after: "read from \(box.label) timed out")
            return .finished
        }
        return .waiting
    }

    func abort(_ error: Error, core: SSHSessionCore) { finish(.failure(error)) }

    private func finish(_ result: Result<Data?, Error>) {
        if let completion {
            self.completion = nil
            completion(result)
        }
    }
}

/// Writes all of `data` to a channel, never more than the channel window at a time, by a deadline.
final class ChannelWriteOperation: LoopOperation {
    let deadline: ContinuousClock.Instant?
    private let box: ChannelBox
    private let data: Data
    private let started = ContinuousClock.now
    private var offset = 0
    private var completion: ((Result<Void, Error>) -> Void)?

    init(box: ChannelBox, data: Data, timeout: Duration, completion: @escaping (Result<Void, Error>) -> Void) {
        self.box = box
        self.data = data
        self.deadline = started + timeout
        self.completion = completion
    }

    func step(_ core: SSHSessionCore, now: ContinuousClock.Instant) -> StepResult {
        guard let channel = box.channel, ssh_channel_is_closed(channel) == 0 else {
            finish(.failure(core.translate(SSHError(core.endpoint, .channelClosed, "\(box.label): write on a closed channel"))))
            return .finished
        }
        var progressed = false
        do {
            while offset < data.count {
                let window = Int(ssh_channel_window_size(channel))
                if window == 0 { break }
                let count = min(window, data.count - offset, SSHSessionCore.chunkSize)
                let start = offset
                let written = data.withUnsafeBytes { bytes in
                    ssh_channel_write(channel, bytes.baseAddress! + start, UInt32(count))
                }
                try core.call.check(written, "ssh_channel_write", context: "write to \(box.label)", accept: { $0 >= 0 })
                if written == 0 { break }
                offset += Int(written)
                progressed = true
            }
        } catch {
            finish(.failure(core.translate(error)))
            return .finished
        }
        if offset >= data.count {
            finish(.success(()))
            return .finished
        }
        if let deadline, now >= deadline {
            let elapsed = now - started
            let label = "write to \(box.label)"
            finish(.failure(SSHError(
                core.endpoint, .timeout(operation: label, elapsed: elapsed),
                "\(label) wrote \(offset) of \(data.count) bytes within \(formatSeconds(elapsed)) (the peer stopped reading)",
                hint: "the stream is now out of step: close the channel")))
            core.closeChannel(box)
            core.suspectConnection(after: "\(label) timed out")
            return .finished
        }
        return progressed ? .progressed : .waiting
    }

    func abort(_ error: Error, core: SSHSessionCore) { finish(.failure(error)) }

    private func finish(_ result: Result<Void, Error>) {
        if let completion {
            self.completion = nil
            completion(result)
        }
    }
}
