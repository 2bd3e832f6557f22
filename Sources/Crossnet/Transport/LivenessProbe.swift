import CLibSSH
import Foundation

/// Checks that the SSH server still answers: opens a session channel, which the server must
/// confirm or refuse; either answer proves the connection alive. No answer by the deadline marks
/// the connection lost.
final class LivenessProbe: LoopOperation {
    let deadline: ContinuousClock.Instant?
    private let started = ContinuousClock.now
    private let timeout: Duration
    private let reason: String
    private var box: ChannelBox?

    init(timeout: Duration, after reason: String) {
        self.timeout = timeout
        self.deadline = started + timeout
        self.reason = reason
    }

    func step(_ core: SSHSessionCore, now: ContinuousClock.Instant) -> StepResult {
        if let deadline, now >= deadline {
            release(core)
            core.markLost(reason: "no answer to a liveness check within \(formatSeconds(timeout)) after \(reason)")
            return .finished
        }
        if box == nil {
            guard let channel = ssh_channel_new(core.session) else {
                core.markLost(reason: "ssh_channel_new failed during a liveness check")
                return .finished
            }
            let created = ChannelBox(channel: channel, label: "liveness check")
            core.register(created)
            box = created
        }
        let rc = ssh_channel_open_session(box?.channel)
        if rc == SSH_AGAIN { return .waiting }
        release(core)
        if rc == SSH_OK || core.isAlive {
            core.logger.debug("liveness check answered", metadata: ["after": "\(reason)"])
            core.livenessConfirmed(self)
        } else {
            core.markLost()
        }
        return .finished
    }

    func abort(_ error: Error, core: SSHSessionCore) { release(core) }

    private func release(_ core: SSHSessionCore) {
        if let box { core.closeChannel(box) }
        box = nil
    }
}
