import CLibSSH
import Foundation

/// Runs one command on an exec channel: streams input with backpressure (never more than the
/// channel window), reads stdout and stderr in the same pass so neither side can deadlock, and
/// finishes with the exit status once both streams ended.
final class ExecOperation: LoopOperation {
    private enum State { case queued, opening, requesting, running }

    let deadline: ContinuousClock.Instant?
    private let command: String
    private let started: ContinuousClock.Instant
    private var input: InputReader?
    private let onOutput: (ExecStream, Data) -> Void
    private var completion: ((Result<Int32, Error>) -> Void)?

    private var state = State.queued
    private var box: ChannelBox?
    private var holdsSlot = false
    private var eofSent = false
    private var stdoutEOF = false
    private var stderrEOF = false
    private var pending = Data()
    private var retryAt: ContinuousClock.Instant?
    private var pendingOffset = 0

    init(
        command: String, input: ExecInput?, timeout: Duration, endpoint: SSHEndpoint,
        onOutput: @escaping (ExecStream, Data) -> Void, completion: @escaping (Result<Int32, Error>) -> Void
    ) throws {
        self.command = command
        self.started = .now
        self.deadline = started + timeout
        self.onOutput = onOutput
        self.completion = completion
        if let input { self.input = try InputReader(input, endpoint: endpoint) }
    }

    private var label: String { "exec \"\(abbreviate(command))\"" }

    func step(_ core: SSHSessionCore, now: ContinuousClock.Instant) -> StepResult {
        if let deadline, now >= deadline {
            timedOut(core, elapsed: now - started)
            return .finished
        }
        do {
            let call = core.call
            switch state {
            case .queued:
                if let retryAt, now < retryAt { return .waiting }
                guard core.acquireExecSlot() else { return .waiting }
                holdsSlot = true
                guard let channel = ssh_channel_new(core.session) else {
                    throw call.error(SSH_ERROR, "ssh_channel_new", context: label)
                }
                let box = ChannelBox(channel: channel, label: label)
                core.register(box)
                self.box = box
                state = .opening
                fallthrough
            case .opening:
                let rc = ssh_channel_open_session(box?.channel)
                if rc == SSH_ERROR, core.activeExecs > 1, core.isAlive {
                    // The server still counts channels we just closed against MaxSessions (its
                    // close handshake lags); wait for the others to drain and try again.
                    core.logger.debug("exec channel refused while others are open; retrying", metadata: ["reason": "\(call.lastError)"])
                    releaseChannelAndSlot(core)
                    retryAt = now + .milliseconds(50)
                    state = .queued
                    return .waiting
                }
                try call.check(rc, "ssh_channel_open_session", context: label, accept: { $0 == SSH_OK || $0 == SSH_AGAIN })
                if rc == SSH_AGAIN { return .waiting }
                state = .requesting
                fallthrough
            case .requesting:
                let rc = try call.check(
                    ssh_channel_request_exec(box?.channel, command), "ssh_channel_request_exec", context: label,
                    accept: { $0 == SSH_OK || $0 == SSH_AGAIN })
                if rc == SSH_AGAIN { return .waiting }
                state = .running
                if input == nil {
                    try call.check(ssh_channel_send_eof(box?.channel), "ssh_channel_send_eof", context: label)
                    eofSent = true
                }
                fallthrough
            case .running:
                return try pump(core)
            }
        } catch {
            finish(core, .failure(core.translate(error)))
            return .finished
        }
    }

    private func pump(_ core: SSHSessionCore) throws -> StepResult {
        guard let channel = box?.channel else { throw core.translate(SSHError(core.endpoint, .channelClosed, "\(label): channel closed")) }
        let call = core.call
        var progressed = false
        var budget = 1 << 20
        for (stream, isStderr) in [(ExecStream.stdout, Int32(0)), (ExecStream.stderr, Int32(1))] {
            while budget > 0, !(isStderr == 0 ? stdoutEOF : stderrEOF) {
                let n = try call.check(
                    ssh_channel_read_nonblocking(channel, core.readBuffer, UInt32(SSHSessionCore.chunkSize), isStderr),
                    "ssh_channel_read_nonblocking", context: label, accept: { $0 >= 0 || $0 == SSH_EOF })
                if n == SSH_EOF {
                    if isStderr == 0 { stdoutEOF = true } else { stderrEOF = true }
                    break
                }
                if n == 0 { break }
                onOutput(stream, Data(bytes: core.readBuffer, count: Int(n)))
                budget -= Int(n)
                progressed = true
            }
        }
        if !eofSent, try writeInput(channel, core: core) { progressed = true }
        if stdoutEOF && stderrEOF {
            let status = ssh_channel_get_exit_status(channel)
            if status != -1 || ssh_channel_is_closed(channel) != 0 {
                guard core.isAlive else { throw core.translate(call.error(status, "ssh_channel_get_exit_status")) }
                finish(core, .success(status))
                return .finished
            }
        }
        return progressed ? .progressed : .waiting
    }

    /// Writes as much input as the window allows; sends EOF after the last byte.
    private func writeInput(_ channel: OpaquePointer, core: SSHSessionCore) throws -> Bool {
        guard let input else { return false }
        let call = core.call
        var progressed = false
        var budget = 4 << 20
        while budget > 0 {
            if ssh_channel_is_closed(channel) != 0 {
                eofSent = true  // the command is gone; drop the rest of its input like a broken pipe
                return true
            }
            if pendingOffset >= pending.count {
                guard let next = try input.nextChunk() else {
                    try call.check(ssh_channel_send_eof(channel), "ssh_channel_send_eof", context: label)
                    eofSent = true
                    self.input = nil
                    return true
                }
                pending = next
                pendingOffset = 0
            }
            let window = Int(ssh_channel_window_size(channel))
            if window == 0 { break }
            let count = min(window, pending.count - pendingOffset)
            let offset = pendingOffset
            let written = pending.withUnsafeBytes { bytes in
                ssh_channel_write(channel, bytes.baseAddress! + offset, UInt32(count))
            }
            try call.check(written, "ssh_channel_write", context: label, accept: { $0 >= 0 })
            if written == 0 { break }
            pendingOffset += Int(written)
            budget -= Int(written)
            progressed = true
        }
        return progressed
    }

    /// Best effort: stops the remote command so the server releases the channel promptly.
    private func signalKill(_ core: SSHSessionCore) {
        guard let channel = box?.channel, state == .running, core.isAlive else { return }
        _ = try? core.call.check(
            ssh_channel_request_send_signal(channel, "KILL"), "ssh_channel_request_send_signal",
            accept: { $0 == SSH_OK || $0 == SSH_AGAIN })
    }

    private func timedOut(_ core: SSHSessionCore, elapsed: Duration) {
        signalKill(core)
        let error = SSHError(
            core.endpoint, .timeout(operation: label, elapsed: elapsed),
            "\(label) timed out after \(formatSeconds(elapsed)); the channel was closed",
            hint: "raise the timeout if the command needs longer; if the host stopped answering, the session reconnects on the next call")
        core.logger.warning("exec timed out", metadata: ["command": "\(abbreviate(command))"])
        finish(core, .failure(error))
        core.suspectConnection(after: "\(label) timed out")
    }

    func abort(_ error: Error, core: SSHSessionCore) {
        if error is CancellationError { signalKill(core) }
        finish(core, .failure(error))
    }

    private func releaseChannelAndSlot(_ core: SSHSessionCore) {
        if let box { core.closeChannel(box) }
        box = nil
        if holdsSlot {
            holdsSlot = false
            core.releaseExecSlot()
        }
    }

    private func finish(_ core: SSHSessionCore, _ result: Result<Int32, Error>) {
        releaseChannelAndSlot(core)
        input = nil
        if let completion {
            self.completion = nil
            completion(result)
        }
    }
}

/// Reads command input in chunks from memory or a file.
final class InputReader {
    private let data: Data?
    private var offset = 0
    private let handle: FileHandle?
    private let path: String
    private let endpoint: SSHEndpoint

    init(_ input: ExecInput, endpoint: SSHEndpoint) throws {
        self.endpoint = endpoint
        switch input {
        case .data(let data):
            self.data = data
            self.handle = nil
            self.path = "(memory)"
        case .file(let url):
            self.data = nil
            self.path = url.path
            do {
                self.handle = try FileHandle(forReadingFrom: url)
            } catch {
                throw SSHError(
                    endpoint, .localFile(path: url.path), "cannot read input file \(url.path): \(error.localizedDescription)")
            }
        }
    }

    deinit { try? handle?.close() }

    /// The next chunk, or `nil` at the end.
    func nextChunk() throws -> Data? {
        if let data {
            guard offset < data.count else { return nil }
            let end = min(data.count, offset + SSHSessionCore.chunkSize)
            let chunk = data.subdata(in: data.startIndex + offset..<data.startIndex + end)
            offset = end
            return chunk
        }
        guard let handle else { return nil }
        do {
            guard let chunk = try handle.read(upToCount: SSHSessionCore.chunkSize), !chunk.isEmpty else { return nil }
            return chunk
        } catch {
            throw SSHError(endpoint, .localFile(path: path), "cannot read input file \(path): \(error.localizedDescription)")
        }
    }
}
