import Foundation

/// A continuation that may be resumed from several places (the session thread, a deadline timer,
/// a cancellation handler); the first resume wins and the others are ignored.
///
/// This is what lets a caller return by its deadline or on cancellation even while the session
/// thread is still busy in a blocking libssh call (the connect): the thread's late answer is
/// dropped. `@unchecked Sendable`: all state is guarded by `lock`.
final class ResumeOnce<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<T, Error>?
    private var early: Result<T, Error>?
    private var done = false

    /// Installs the continuation; resumes it at once if a result arrived before.
    func install(_ continuation: CheckedContinuation<T, Error>) {
        lock.lock()
        if let early {
            self.early = nil
            lock.unlock()
            continuation.resume(with: early)
            return
        }
        self.continuation = continuation
        lock.unlock()
    }

    /// Resumes with `result` unless something resumed first; `true` when this call won.
    @discardableResult
    func resume(with result: Result<T, Error>) -> Bool {
        lock.lock()
        if done {
            lock.unlock()
            return false
        }
        done = true
        guard let continuation else {
            early = result
            lock.unlock()
            return true
        }
        self.continuation = nil
        lock.unlock()
        continuation.resume(with: result)
        return true
    }
}

/// Marks an operation submitted to a session thread as cancelled by its caller.
///
/// `cancelled` is guarded by `lock`; `operation` is set and read only on the session thread.
final class CancellationToken: @unchecked Sendable {
    private let lock = NSLock()
    private var cancelled = false
    /// The running operation, once the session thread has started it.
    var operation: LoopOperation?

    var isCancelled: Bool {
        lock.lock()
        defer { lock.unlock() }
        return cancelled
    }

    func cancel() {
        lock.lock()
        cancelled = true
        lock.unlock()
    }
}
