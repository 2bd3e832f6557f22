import CLibSSH
import Foundation
import Logging

/// Outcome of one non-blocking step of a ``LoopOperation``.
enum StepResult {
    /// Finished; its continuation has been resumed. Remove it.
    case finished
    /// Made progress; step again soon without waiting.
    case progressed
    /// Waiting for the network (or a free exec slot).
    case waiting
}

/// Work the session thread drives, one non-blocking step at a time, until it finishes.
protocol LoopOperation: AnyObject {
    /// When the operation must give up, if ever.
    var deadline: ContinuousClock.Instant? { get }
    /// Makes as much progress as possible without blocking.
    func step(_ core: SSHSessionCore, now: ContinuousClock.Instant) -> StepResult
    /// Ends the operation with `error` (session closed or lost, or the caller cancelled),
    /// releasing its channel.
    func abort(_ error: Error, core: SSHSessionCore)
}

/// A libssh channel owned by the session thread; `channel` is `nil` once closed.
final class ChannelBox {
    var channel: OpaquePointer?
    let label: String
    /// The channel counts against ``SSHOptions/maxConcurrentExecs`` until it is closed.
    var holdsExecSlot = false
    init(channel: OpaquePointer, label: String) {
        self.channel = channel
        self.label = label
    }
}

/// Owns one libssh session and the one thread that makes every libssh call for it.
///
/// `@unchecked Sendable`: the job queue and `stopped` flag are guarded by `lock`; every other stored
/// property is touched only on the session thread (jobs and operations run there), which is what
/// libssh requires of a session and its channels.
final class SSHSessionCore: @unchecked Sendable {
    let endpoint: SSHEndpoint
    let options: SSHOptions
    let logger: Logger

    // Guarded by `lock`.
    private let lock = NSLock()
    private var jobs: [() -> Void] = []
    private var stopped = false
    private var lost = false

    private let wakeRead: Int32
    private let wakeWrite: Int32

    // Session-thread state.
    private(set) var session: OpaquePointer?
    private var event: OpaquePointer?
    private var operations: [LoopOperation] = []
    private var openChannels: [ObjectIdentifier: ChannelBox] = [:]
    private(set) var activeExecs = 0
    private var exitRequested = false
    private var lastKeepalive = ContinuousClock.now
    /// The far end of a direct-tcpip channel to this host on a jump host's session, handed to
    /// libssh (`SSH_OPTIONS_FD`) when connecting; `nil` for a direct TCP connection.
    var tunnelSocket: Int32?
    /// The jump host this session is reached through, for messages.
    var connectedThroughJump: String?
    private var probe: LivenessProbe?
    /// Set once the session is closed or lost; later calls fail with it.
    private(set) var failure: SSHError?
    /// Scratch buffer for channel reads.
    let readBuffer = UnsafeMutableRawPointer.allocate(byteCount: SSHSessionCore.chunkSize, alignment: 16)

    static let chunkSize = 64 * 1024

    init(endpoint: SSHEndpoint, options: SSHOptions, logger: Logger) {
        self.endpoint = endpoint
        self.options = options
        self.logger = logger
        var fds: [Int32] = [0, 0]
        if pipe(&fds) != 0 { fatalError("crossnet: pipe() failed: \(String(cString: strerror(errno)))") }
        for fd in fds { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
        wakeRead = fds[0]
        wakeWrite = fds[1]
    }

    deinit {
        close(wakeRead)
        close(wakeWrite)
        readBuffer.deallocate()
    }

    /// Session threads running now, in this process (abandoned connects included).
    static let liveThreads = LockedCounter()

    /// Starts the session thread.
    func start() {
        Self.liveThreads.increment()
        let thread = Thread { [self] in
            runLoop()
            Self.liveThreads.decrement()
        }
        thread.name = "crossnet.ssh.\(endpoint.hostName)"
        thread.start()
    }

    // MARK: Submitting work (any thread)

    /// Queues `job` for the session thread; `false` when the thread has stopped.
    @discardableResult
    func submit(_ job: @escaping () -> Void) -> Bool {
        lock.lock()
        if stopped {
            lock.unlock()
            return false
        }
        jobs.append(job)
        lock.unlock()
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)  // EAGAIN means a wake-up is already pending
        return true
    }

    private var closedError: SSHError {
        SSHError(endpoint, .sessionClosed, "the SSH session is closed", hint: "open a new session")
    }

    /// Runs `body` on the session thread and returns its result; fails fast once the session is
    /// closed or lost (unless `evenIfFailed`).
    ///
    /// With a `deadline`, the caller resumes when it passes even if `body` is still blocked on the
    /// session thread (the connect is the one blocking step), with an ``SSHError`` of kind
    /// `.timeout` naming `operation`; `body`'s late result is dropped. Cancelling the calling task
    /// resumes it at once with `CancellationError`.
    func perform<T: Sendable>(
        evenIfFailed: Bool = false, deadline: Duration? = nil, operation: String = "call",
        _ body: @escaping (SSHSessionCore) throws -> T
    ) async throws -> T {
        let once = ResumeOnce<T>()
        let started = ContinuousClock.now
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, Error>) in
                once.install(continuation)
                let accepted = submit { [self] in
                    if !evenIfFailed, let failure {
                        once.resume(with: .failure(failure))
                        return
                    }
                    once.resume(with: Result { try body(self) })
                }
                if !accepted { once.resume(with: .failure(closedError)) }
                if let deadline {
                    let endpoint = self.endpoint
                    DispatchQueue.global().asyncAfter(deadline: .now() + deadline.seconds) {
                        let elapsed = ContinuousClock.now - started
                        once.resume(with: .failure(SSHError(
                            endpoint, .timeout(operation: operation, elapsed: elapsed),
                            "\(operation) did not finish within \(formatSeconds(elapsed))",
                            hint: "check that \(endpoint.hostName) is up and reachable on \(endpoint.addressAndPort)")))
                    }
                }
            }
        } onCancel: {
            once.resume(with: .failure(CancellationError()))
        }
    }

    /// Builds an operation on the session thread and waits for it to complete.
    ///
    /// Cancelling the calling task resumes it at once with `CancellationError`; the operation is
    /// then aborted on the session thread (its channel closed, a running command signalled).
    func run<T: Sendable>(
        _ make: @escaping (SSHSessionCore, @escaping (Result<T, Error>) -> Void) throws -> LoopOperation
    ) async throws -> T {
        let once = ResumeOnce<T>()
        let token = CancellationToken()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, Error>) in
                once.install(continuation)
                let accepted = submit { [self] in
                    if let failure {
                        once.resume(with: .failure(failure))
                        return
                    }
                    if token.isCancelled {
                        once.resume(with: .failure(CancellationError()))
                        return
                    }
                    do {
                        let operation = try make(self) { once.resume(with: $0) }
                        token.operation = operation
                        operations.append(operation)
                    } catch {
                        once.resume(with: .failure(error))
                    }
                }
                if !accepted { once.resume(with: .failure(closedError)) }
            }
        } onCancel: { [self] in
            token.cancel()
            once.resume(with: .failure(CancellationError()))
            submit { [self] in cancel(token) }
        }
    }

    /// Aborts the operation of a cancelled call. A call cancelled after it waited a while may be
    /// stuck on a dead connection, so the connection is checked too.
    private func cancel(_ token: CancellationToken) {
        guard let operation = token.operation else { return }
        token.operation = nil
        guard let index = operations.firstIndex(where: { $0 === operation }) else { return }
        operations.remove(at: index)
        operation.abort(CancellationError(), core: self)
        suspectConnection(after: "a cancelled call")
    }

    /// `false` once the connection was lost or the session closed: a new session is needed.
    var isUsable: Bool {
        lock.lock()
        defer { lock.unlock() }
        return !stopped && !lost
    }

    /// Closes the session (if not yet) and stops the thread; does not wait.
    func shutdown() {
        submit { [self] in teardown(reason: closedError) }
    }

    /// Closes the session (if not yet), stops the thread and waits for both.
    func shutdownAndWait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let accepted = submit { [self] in
                teardown(reason: closedError)
                continuation.resume()
            }
            if !accepted { continuation.resume() }
        }
    }

    // MARK: Session-thread helpers

    /// The checker for libssh return codes of this session.
    var call: LibSSHCall {
        guard let session else { preconditionFailure("libssh session used before it was created") }
        return LibSSHCall(endpoint: endpoint, session: session)
    }

    /// `true` while the TCP connection and SSH session are up.
    var isAlive: Bool {
        guard let session, failure == nil else { return false }
        return ssh_is_connected(session) != 0
            && (ssh_get_status(session) & (SSH_CLOSED | SSH_CLOSED_ERROR)) == 0
    }

    /// The error to report for a failed call: connection lost if the session died, else `error`.
    func translate(_ error: Error) -> Error {
        if let failure { return failure }
        if session != nil, event != nil, !isAlive { return markLost() }
        return error
    }

    /// Creates the libssh session (called by the connect job).
    func createSession() throws -> OpaquePointer {
        guard let created = ssh_new() else {
            throw SSHError(endpoint, .libssh(function: "ssh_new", code: -1), "ssh_new failed: out of memory")
        }
        session = created
        return created
    }

    /// Switches the connected, authenticated session to the event loop (non-blocking mode).
    func enterEventLoop() throws {
        guard let session else { return }
        let call = self.call
        ssh_set_blocking(session, 0)
        guard let created = ssh_event_new() else {
            throw SSHError(endpoint, .libssh(function: "ssh_event_new", code: -1), "ssh_event_new failed")
        }
        event = created
        try call.check(ssh_event_add_session(created, session), "ssh_event_add_session")
        try call.check(
            ssh_event_add_fd(created, wakeRead, Int16(POLLIN), { fd, _, _ in
                SSHSessionCore.drain(fd)
                return 0
            }, nil),
            "ssh_event_add_fd")
        lastKeepalive = .now
    }

    /// Takes an exec slot if one is free (OpenSSH limits sessions per connection).
    func acquireExecSlot() -> Bool {
        guard activeExecs < options.maxConcurrentExecs else { return false }
        activeExecs += 1
        return true
    }

    func releaseExecSlot() { activeExecs -= 1 }

    func register(_ box: ChannelBox) { openChannels[ObjectIdentifier(box)] = box }

    /// Frees a channel (libssh sends the close and keeps it until the server confirms).
    func closeChannel(_ box: ChannelBox) {
        openChannels[ObjectIdentifier(box)] = nil
        if box.holdsExecSlot {
            box.holdsExecSlot = false
            releaseExecSlot()
        }
        if let channel = box.channel {
            box.channel = nil
            if session != nil { ssh_channel_free(channel) }
        }
    }

    /// Marks the connection lost: every pending operation fails with `.connectionLost`, later calls
    /// on this core fail fast, and ``SSHSession`` opens a new connection on its next call.
    @discardableResult
    func markLost(reason: String? = nil) -> SSHError {
        if let failure { return failure }
        let detail = reason ?? session.map { LibSSHCall(endpoint: endpoint, session: $0).lastError } ?? "unknown error"
        let error = SSHError(
            endpoint, .connectionLost, "connection to \(endpoint.hostName) lost (\(detail))",
            hint: "check that the host is up and reachable; the next call reconnects")
        failure = error
        lock.lock()
        lost = true
        lock.unlock()
        probe = nil
        logger.error("SSH connection lost", metadata: ["reason": "\(detail)"])
        let pending = operations
        operations.removeAll()
        for operation in pending { operation.abort(error, core: self) }
        return error
    }

    /// How long the server has to answer a liveness check before the connection counts as lost.
    static let livenessTimeout: Duration = .seconds(5)

    /// After a call timed out or was cancelled: checks that the server still answers (it must
    /// confirm or refuse a channel open within ``livenessTimeout``), and marks the connection lost
    /// when it does not, so the next call reconnects instead of waiting on a dead link. A frozen
    /// dockerd or a hung command leaves the session usable; a cut link does not.
    func suspectConnection(after what: String, timeout: Duration = livenessTimeout) {
        guard probe == nil, failure == nil, session != nil, event != nil else { return }
        let created = LivenessProbe(timeout: timeout, after: what)
        probe = created
        operations.append(created)
    }

    /// Called by the probe when the server answered.
    func livenessConfirmed(_ finished: LivenessProbe) {
        if probe === finished { probe = nil }
    }

    // MARK: The loop

    private static func drain(_ fd: Int32) {
        var buffer = [UInt8](repeating: 0, count: 256)
        while read(fd, &buffer, buffer.count) > 0 {}
    }

    private func takeJobs() -> [() -> Void] {
        lock.lock()
        defer { lock.unlock() }
        let taken = jobs
        jobs.removeAll()
        return taken
    }

    private var hasPendingJobs: Bool {
        lock.lock()
        defer { lock.unlock() }
        return !jobs.isEmpty
    }

    private func runLoop() {
        while true {
            for job in takeJobs() { job() }
            if exitRequested {
                lock.lock()
                stopped = true
                let remaining = jobs
                jobs.removeAll()
                lock.unlock()
                for job in remaining { job() }
                return
            }
            let now = ContinuousClock.now
            var progressed = false
            var index = 0
            while index < operations.count {
                let operation = operations[index]
                switch operation.step(self, now: now) {
                case .finished:
                    if index < operations.count, operations[index] === operation {
                        operations.remove(at: index)
                    }
                    progressed = true
                    continue
                case .progressed:
                    progressed = true
                case .waiting:
                    break
                }
                index += 1
            }
            if event != nil, failure == nil {
                if !isAlive {
                    markLost()
                } else if now - lastKeepalive >= options.keepaliveInterval, let session {
                    lastKeepalive = now
                    if ssh_send_ignore(session, "crossnet-keepalive") != SSH_OK || !isAlive {
                        markLost()
                    } else if let jump = connectedThroughJump {
                        // Through a jump host the socket is a local socketpair: no TCP timeout
                        // notices a dead target, so the server must answer within the same
                        // time a direct connection's TCP_USER_TIMEOUT allows.
                        suspectConnection(
                            after: "a keepalive through \(jump)",
                            timeout: max(.seconds(10), options.keepaliveInterval * 2))
                    }
                }
            }
            var timeout: Duration = .milliseconds(250)
            if progressed || hasPendingJobs { timeout = .zero }
            for operation in operations {
                if let deadline = operation.deadline { timeout = min(timeout, deadline - now) }
            }
            if event != nil, failure == nil {
                timeout = min(timeout, options.keepaliveInterval - (now - lastKeepalive))
            }
            wait(timeout: timeout)
        }
    }

    private func wait(timeout: Duration) {
        let milliseconds = timeout.clampedMilliseconds
        if let event, failure == nil {
            _ = ssh_event_dopoll(event, milliseconds)  // SSH_AGAIN = timeout; errors surface via isAlive
        } else {
            var descriptor = pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)
            _ = poll(&descriptor, 1, milliseconds)
            Self.drain(wakeRead)
        }
    }

    /// Polls `fd` with the session (for `events`), so that a tunnel's local socket wakes the
    /// session thread; the loop's operations do the reading and writing.
    func watch(_ fd: Int32, events: Int16) {
        guard let event else { return }
        _ = ssh_event_remove_fd(event, fd)
        _ = ssh_event_add_fd(event, fd, events, { _, _, _ in 0 }, nil)
    }

    /// Stops polling `fd`.
    func unwatch(_ fd: Int32) {
        guard let event else { return }
        _ = ssh_event_remove_fd(event, fd)
    }

    /// Ends every operation, frees channels, disconnects, frees the session and stops the thread.
    func teardown(reason: SSHError) {
        if let socket = tunnelSocket {
            close(socket)
            tunnelSocket = nil
        }
        if failure == nil { failure = reason }
        lock.lock()
        lost = true
        lock.unlock()
        probe = nil
        let pending = operations
        operations.removeAll()
        for operation in pending { operation.abort(failure ?? reason, core: self) }
        for box in openChannels.values { closeChannel(box) }
        if let event {
            _ = ssh_event_remove_fd(event, wakeRead)
            if let session { _ = ssh_event_remove_session(event, session) }
            ssh_event_free(event)
            self.event = nil
        }
        if let session {
            if ssh_is_connected(session) != 0 { ssh_disconnect(session) }
            ssh_free(session)
            self.session = nil
            logger.debug("SSH session closed")
        }
        exitRequested = true
    }
}
