import Foundation

/// A process recognised by the program it runs and the moment it started, never by its command
/// line: a pid alone may since have been reused, and any process can put "sshd" in its arguments.
///
/// `executable` is the target of `/proc/PID/exe`; `startTime` is field 22 of `/proc/PID/stat`
/// (clock ticks after boot), which differs for every process that ever held the pid.
struct ProcessIdentity: Codable, Sendable, Equatable, Hashable {
    var pid: Int32
    var executable: String
    var startTime: UInt64

    /// The identity of the process now holding `pid`; `nil` when there is none, it is a zombie,
    /// or `/proc` does not show it.
    static func current(of pid: Int32) -> ProcessIdentity? {
        guard pid > 0, let executable = LabProcesses.executable(pid), let stat = LabProcesses.statFields(pid),
            stat.count > 19, stat[0] != "Z", stat[0] != "X", let start = UInt64(stat[19])
        else { return nil }
        return ProcessIdentity(pid: pid, executable: executable, startTime: start)
    }

    /// The process now holding `pid` if it runs `executable` (an absolute path; symbolic links
    /// are resolved before comparing).
    static func current(of pid: Int32, runs executable: String) -> ProcessIdentity? {
        guard let identity = current(of: pid), identity.executable == LabProcesses.resolved(executable) else {
            return nil
        }
        return identity
    }

    /// `true` while the very process this identity was taken from still runs.
    var isRunning: Bool { Self.current(of: pid) == self }
}

extension LabProcesses {
    /// The program `pid` runs: the target of `/proc/PID/exe` (`/usr/sbin/sshd`); `nil` when the
    /// process is gone or is a kernel thread.
    static func executable(_ pid: Int32) -> String? {
        guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/exe") else {
            return nil
        }
        return target
    }

    /// `true` when `pid` runs the program at `path` (after resolving symbolic links in `path`).
    static func runs(_ pid: Int32, executable path: String) -> Bool {
        ProcessIdentity.current(of: pid, runs: path) != nil
    }

    /// `true` when `pid` runs a program whose file name is `name` (`sshd`, `dockerd`), whatever
    /// its folder: for finding daemons of a lab whose state file is gone.
    /// ``runs(_:programNamed:)`` for a pid that may be absent.
    static func isAlive(_ pid: Int32?, program name: String) -> Bool {
        guard let pid else { return false }
        return runs(pid, programNamed: name)
    }

    static func runs(_ pid: Int32, programNamed name: String) -> Bool {
        guard let executable = executable(pid), ProcessIdentity.current(of: pid) != nil else { return false }
        return (executable as NSString).lastPathComponent == name
    }

    /// Fields of `/proc/PID/stat` after the `(comm)` field: `[0]` is the state, `[1]` the parent
    /// pid, `[19]` the start time.
    static func statFields(_ pid: Int32) -> [Substring]? {
        guard let stat = readWhole("/proc/\(pid)/stat"), let close = stat.lastIndex(of: ")") else { return nil }
        return stat[stat.index(after: close)...].split(separator: " ")
    }

    /// `path` with symbolic links resolved (`/sbin/sshd` → `/usr/sbin/sshd` on merged-/usr systems).
    static func resolved(_ path: String) -> String {
        guard let real = realpath(path, nil) else { return path }
        defer { free(real) }
        return String(cString: real)
    }
}
