import Foundation

/// The machine and process that run Crossnet (the *controller*), as far as another run needs to
/// know it to tell whether this one is still alive.
///
/// A process is named by machine, boot, pid and the pid's start time: a pid alone is reused, and
/// after a reboot every pid is new.
public struct ControllerIdentity: Sendable, Equatable {
    /// `hostname` of the controller, for people.
    public var hostname: String
    /// `/etc/machine-id`: the same machine, whatever its hostname.
    public var machineID: String
    /// `/proc/sys/kernel/random/boot_id`: changes at every boot.
    public var bootID: String
    public var pid: Int32
    /// Field 22 of `/proc/PID/stat`: the process's start time in clock ticks since boot.
    public var processStart: String

    public init(hostname: String, machineID: String, bootID: String, pid: Int32, processStart: String) {
        self.hostname = hostname
        self.machineID = machineID
        self.bootID = bootID
        self.pid = pid
        self.processStart = processStart
    }

    /// This process.
    public static func current() -> ControllerIdentity {
        let pid = getpid()
        return ControllerIdentity(
            hostname: ProcessInfo.processInfo.hostName,
            machineID: read("/etc/machine-id") ?? "unknown",
            bootID: read("/proc/sys/kernel/random/boot_id") ?? "unknown",
            pid: pid, processStart: processStart(of: pid) ?? "unknown")
    }

    /// The start time of process `pid` on this machine, `nil` when there is no such process.
    public static func processStart(of pid: Int32) -> String? {
        read("/proc/\(pid)/stat").flatMap(startTime(statLine:))
    }

    /// Field 22 (`starttime`) of a `/proc/PID/stat` line. The command name (field 2) is in
    /// parentheses and may itself hold spaces and parentheses, so fields count from the last `)`.
    public static func startTime(statLine: String) -> String? {
        guard let close = statLine.lastIndex(of: ")") else { return nil }
        let rest = statLine[statLine.index(after: close)...].split(separator: " ")
        // rest[0] is field 3 (state); field 22 is rest[19].
        guard rest.count > 19, rest[19].allSatisfy(\.isNumber) else { return nil }
        return String(rest[19])
    }

    static func read(_ path: String) -> String? {
        (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
