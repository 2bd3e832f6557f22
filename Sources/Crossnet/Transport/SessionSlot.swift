import Foundation

/// The connection an ``SSHSession`` currently uses and its reconnect state, guarded by `lock`.
final class SessionSlot: @unchecked Sendable {
    enum Next {
        case use(SSHSessionCore)
        case closed
        case backingOff(attempts: Int, retryIn: Duration, last: String)
        case wait(Task<SSHSessionCore, Error>)
    }

    private let lock = NSLock()
    private var core: SSHSessionCore
    private var closed = false
    private var attempt: Task<SSHSessionCore, Error>?
    private var failedAttempts = 0
    private var nextAttempt: ContinuousClock.Instant?
    private var lastFailure = ""
    private var reconnectCount = 0

    init(core: SSHSessionCore) { self.core = core }

    var current: SSHSessionCore {
        lock.lock()
        defer { lock.unlock() }
        return core
    }

    var reconnects: Int {
        lock.lock()
        defer { lock.unlock() }
        return reconnectCount
    }

    /// What the next call should do; starts a reconnect attempt (shared by concurrent callers)
    /// when the connection is gone and no backoff is pending.
    func next(now: ContinuousClock.Instant, makeAttempt: () -> Task<SSHSessionCore, Error>) -> Next {
        lock.lock()
        defer { lock.unlock() }
        if closed { return .closed }
        if core.isUsable { return .use(core) }
        if let attempt { return .wait(attempt) }
        if let nextAttempt, now < nextAttempt {
            return .backingOff(attempts: failedAttempts, retryIn: nextAttempt - now, last: lastFailure)
        }
        let started = makeAttempt()
        attempt = started
        return .wait(started)
    }

    func reconnected(_ fresh: SSHSessionCore) {
        lock.lock()
        let old = core
        let wasClosed = closed
        if !wasClosed { core = fresh }
        attempt = nil
        failedAttempts = 0
        nextAttempt = nil
        reconnectCount += 1
        lock.unlock()
        old.shutdown()
        if wasClosed { fresh.shutdown() }
    }

    /// Records a failed attempt; returns the wait before the next one.
    func failedReconnect(_ error: Error, now: ContinuousClock.Instant, cap: Duration) -> Duration {
        lock.lock()
        defer { lock.unlock() }
        failedAttempts += 1
        let backoff = min(cap, .seconds(1 << min(failedAttempts - 1, 10)))
        nextAttempt = now + backoff
        lastFailure = (error as? SSHError)?.message ?? "\(error)"
        attempt = nil
        return backoff
    }

    /// Marks the session closed and returns the core to shut down.
    func close() -> SSHSessionCore {
        lock.lock()
        defer { lock.unlock() }
        closed = true
        return core
    }
}
