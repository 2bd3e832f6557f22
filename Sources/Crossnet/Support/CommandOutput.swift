import Foundation

/// What a command printed and how it ended, whether it ran locally or on a remote host.
///
/// A non-zero exit status is data for the caller to inspect, not an error.
public struct CommandOutput: Sendable, Equatable {
    /// Bytes the command wrote to standard output.
    public var stdout: Data
    /// Bytes the command wrote to standard error.
    public var stderr: Data
    /// The exit status; `-1` when the remote side reported none (for example killed by a signal).
    public var exitStatus: Int32
    /// Wall-clock time the command took.
    public var duration: Duration

    public init(stdout: Data, stderr: Data, exitStatus: Int32, duration: Duration = .zero) {
        self.stdout = stdout
        self.stderr = stderr
        self.exitStatus = exitStatus
        self.duration = duration
    }

    /// `true` when the command exited with status 0.
    public var succeeded: Bool { exitStatus == 0 }
    /// Standard output decoded as UTF-8 (invalid bytes replaced).
    public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    /// Standard error decoded as UTF-8 (invalid bytes replaced).
    public var stderrText: String { String(decoding: stderr, as: UTF8.self) }
    /// Standard output with surrounding whitespace removed.
    public var trimmedStdout: String { stdoutText.trimmingCharacters(in: .whitespacesAndNewlines) }
}
