import CLibSSH
import Foundation

/// A direct-tcpip channel (`ssh -W host:port`) on a jump host's session, pumped to one end of a
/// local socketpair; the other end goes to the next hop's libssh session (`SSH_OPTIONS_FD`).
///
/// Opening completes with that other end; the pumping then runs on the jump session's thread
/// until either side ends: bytes from the socket go to the channel (never more than its window),
/// bytes from the channel go to the socket (the socket is polled for writing while it is full).
final class TCPTunnelOperation: LoopOperation {
    private enum State { case opening, pumping }

    private(set) var deadline: ContinuousClock.Instant?
    private let host: String
    private let port: Int
    private let started = ContinuousClock.now
    private var state = State.opening
    private var box: ChannelBox?
    private var local: Int32 = -1
    private var completion: ((Result<Int32, Error>) -> Void)?

    private var toChannel = Data()
    private var toSocket = Data()
    private var socketEOF = false
    private var channelEOF = false
    private var eofSent = false
    private var socketShut = false
    private var watchingWrites = false
    private let buffer = UnsafeMutableRawPointer.allocate(byteCount: SSHSessionCore.chunkSize, alignment: 16)

    init(host: String, port: Int, timeout: Duration, completion: @escaping (Result<Int32, Error>) -> Void) {
        self.host = host
        self.port = port
        self.deadline = started + timeout
        self.completion = completion
    }

    deinit { buffer.deallocate() }

    private var label: String { "tunnel to \(host):\(port)" }

    func step(_ core: SSHSessionCore, now: ContinuousClock.Instant) -> StepResult {
        switch state {
        case .opening: return open(core, now: now)
        case .pumping: return pump(core)
        }
    }

    private func open(_ core: SSHSessionCore, now: ContinuousClock.Instant) -> StepResult {
        if let deadline, now >= deadline {
            let elapsed = now - started
            fail(core, SSHError(
                core.endpoint, .timeout(operation: label, elapsed: elapsed),
                "opening the \(label) timed out after \(formatSeconds(elapsed))",
                hint: "check that the jump host may reach \(host):\(port)"))
            return .finished
        }
        do {
            let call = core.call
            if box == nil {
                guard let channel = ssh_channel_new(core.session) else {
                    throw call.error(SSH_ERROR, "ssh_channel_new", context: label)
                }
                let created = ChannelBox(channel: channel, label: label)
                core.register(created)
                box = created
            }
            let rc = ssh_channel_open_forward(box?.channel, host, Int32(port), "127.0.0.1", 0)
            if rc == SSH_AGAIN { return .waiting }
            if rc != SSH_OK {
                throw SSHError(
                    core.endpoint, .libssh(function: "ssh_channel_open_forward", code: rc),
                    "the jump host refused a tunnel to \(host):\(port): \(call.lastError)",
                    hint: "the jump host's sshd must allow TCP forwarding (AllowTcpForwarding yes, no "
                        + "DisableForwarding) and reach \(host):\(port)")
            }
            var pair: [Int32] = [-1, -1]
            guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &pair) == 0 else {
                throw SSHError(
                    core.endpoint, .libssh(function: "socketpair", code: errno),
                    "socketpair failed: \(String(cString: strerror(errno)))")
            }
            local = pair[0]
            _ = fcntl(local, F_SETFL, fcntl(local, F_GETFL) | O_NONBLOCK)
            _ = fcntl(local, F_SETFD, FD_CLOEXEC)
            _ = fcntl(pair[1], F_SETFD, FD_CLOEXEC)
            core.watch(local, events: Int16(POLLIN))
            state = .pumping
            deadline = nil
            completion?(.success(pair[1]))
            completion = nil
            return .progressed
        } catch {
            fail(core, core.translate(error))
            return .finished
        }
    }

    private func pump(_ core: SSHSessionCore) -> StepResult {
        guard let channel = box?.channel else {
            finish(core)
            return .finished
        }
        var progressed = false
        // Socket → channel.
        if toChannel.isEmpty, !socketEOF {
            let n = read(local, buffer, SSHSessionCore.chunkSize)
            if n > 0 {
                toChannel = Data(bytes: buffer, count: n)
                progressed = true
            } else if n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                socketEOF = true
                progressed = true
            }
        }
        while !toChannel.isEmpty {
            let window = Int(ssh_channel_window_size(channel))
            if window == 0 { break }
            let count = min(window, toChannel.count)
            let written = toChannel.withUnsafeBytes { ssh_channel_write(channel, $0.baseAddress!, UInt32(count)) }
            if written < 0 {
                finish(core)
                return .finished
            }
            if written == 0 { break }
            toChannel.removeFirst(Int(written))
            progressed = true
        }
        if socketEOF, toChannel.isEmpty, !eofSent {
            eofSent = true
            _ = ssh_channel_send_eof(channel)
        }
        // Channel → socket.
        if toSocket.isEmpty, !channelEOF {
            let n = ssh_channel_read_nonblocking(channel, buffer, UInt32(SSHSessionCore.chunkSize), 0)
            if n > 0 {
                toSocket = Data(bytes: buffer, count: Int(n))
                progressed = true
            } else if n == SSH_EOF || n < 0 || ssh_channel_is_eof(channel) != 0 || ssh_channel_is_closed(channel) != 0 {
                channelEOF = true
                progressed = true
            }
        }
        while !toSocket.isEmpty {
            let written = toSocket.withUnsafeBytes { write(local, $0.baseAddress!, toSocket.count) }
            if written > 0 {
                toSocket.removeFirst(written)
                progressed = true
            } else if written < 0, errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR {
                break
            } else {
                finish(core)  // the next hop's session is gone
                return .finished
            }
        }
        let wantWrites = !toSocket.isEmpty
        if wantWrites != watchingWrites {
            watchingWrites = wantWrites
            core.watch(local, events: Int16(wantWrites ? POLLIN | POLLOUT : POLLIN))
        }
        if channelEOF, toSocket.isEmpty, !socketShut {
            socketShut = true
            _ = shutdown(local, Int32(SHUT_WR))
        }
        if (socketEOF && eofSent && channelEOF && toSocket.isEmpty) || ssh_channel_is_closed(channel) != 0 {
            finish(core)
            return .finished
        }
        return progressed ? .progressed : .waiting
    }

    func abort(_ error: Error, core: SSHSessionCore) { fail(core, error) }

    private func finish(_ core: SSHSessionCore) {
        if local >= 0 {
            core.unwatch(local)
            close(local)
            local = -1
        }
        if let box { core.closeChannel(box) }
        box = nil
    }

    private func fail(_ core: SSHSessionCore, _ error: Error) {
        finish(core)
        if let completion {
            self.completion = nil
            completion(.failure(error))
        }
    }
}

/// Opens an exec channel whose stdin and stdout are a byte stream (for example
/// `docker system dial-stdio`, which relays them to the Engine's socket). The channel takes an
/// exec slot until it is closed.
final class ExecStreamOpenOperation: LoopOperation {
    private enum State { case queued, opening, requesting }

    let deadline: ContinuousClock.Instant?
    private let command: String
    private let started = ContinuousClock.now
    private var state = State.queued
    private var box: ChannelBox?
    private var completion: ((Result<ChannelBox, Error>) -> Void)?

    init(command: String, timeout: Duration, completion: @escaping (Result<ChannelBox, Error>) -> Void) {
        self.command = command
        self.deadline = started + timeout
        self.completion = completion
    }

    private var label: String { "exec stream \"\(abbreviate(command))\"" }

    func step(_ core: SSHSessionCore, now: ContinuousClock.Instant) -> StepResult {
        if let deadline, now >= deadline {
            let elapsed = now - started
            fail(core, SSHError(
                core.endpoint, .timeout(operation: label, elapsed: elapsed),
                "\(label) did not start within \(formatSeconds(elapsed))"))
            return .finished
        }
        do {
            let call = core.call
            switch state {
            case .queued:
                guard core.acquireExecSlot() else { return .waiting }
                guard let channel = ssh_channel_new(core.session) else {
                    core.releaseExecSlot()
                    throw call.error(SSH_ERROR, "ssh_channel_new", context: label)
                }
                let created = ChannelBox(channel: channel, label: label)
                created.holdsExecSlot = true
                core.register(created)
                box = created
                state = .opening
                fallthrough
            case .opening:
                let rc = try call.check(
                    ssh_channel_open_session(box?.channel), "ssh_channel_open_session", context: label,
                    accept: { $0 == SSH_OK || $0 == SSH_AGAIN })
                if rc == SSH_AGAIN { return .waiting }
                state = .requesting
                fallthrough
            case .requesting:
                let rc = try call.check(
                    ssh_channel_request_exec(box?.channel, command), "ssh_channel_request_exec", context: label,
                    accept: { $0 == SSH_OK || $0 == SSH_AGAIN })
                if rc == SSH_AGAIN { return .waiting }
                if let box, let completion {
                    self.completion = nil
                    completion(.success(box))
                }
                return .finished
            }
        } catch {
            fail(core, core.translate(error))
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
