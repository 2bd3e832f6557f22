import Foundation

/// Outcome of one preflight check on one host.
public enum CheckStatus: String, Sendable, Codable {
    case pass, warn, fail, skip

    /// One-character mark for the table.
    public var mark: String {
        switch self {
        case .pass: "ok"
        case .warn: "WARN"
        case .fail: "FAIL"
        case .skip: "-"
        }
    }
}

/// One cell of the host × check table.
public struct CheckResult: Sendable, Codable, Equatable {
    public var host: String
    /// Check name: `ssh`, `docker`, `kernel`, `ip_vs`, `macvlan-parent`, `swarm-ports`, `clock`, `probe-image`.
    public var check: String
    public var status: CheckStatus
    /// What was observed, e.g. `Docker 20.10.24 (API 1.41)`.
    public var detail: String
    /// What to do about a failure or warning.
    public var hint: String?

    public init(host: String, check: String, status: CheckStatus, detail: String, hint: String? = nil) {
        self.host = host
        self.check = check
        self.status = status
        self.detail = detail
        self.hint = hint
    }
}

/// The full result of `crossnet check`.
public struct PreflightReport: Sendable {
    public static let checkNames = ["ssh", "docker", "architecture", "data-address", "kernel", "ip_vs", "macvlan-parent", "swarm-ports", "clock", "probe-image"]
    public var hosts: [String]
    public var results: [CheckResult]

    /// `true` when no check failed (warnings allowed).
    public var passed: Bool { !results.contains { $0.status == .fail } }

    /// The host × check table followed by one line per failure or warning with its hint.
    public var table: String {
        let columns = Self.checkNames.filter { name in results.contains { $0.check == name } }
        let hostWidth = max(4, hosts.map(\.count).max() ?? 4)
        var lines: [String] = []
        func pad(_ text: String, _ width: Int) -> String { text + String(repeating: " ", count: max(0, width - text.count)) }
        lines.append(pad("host", hostWidth) + "  " + columns.map { pad($0, max($0.count, 4)) }.joined(separator: "  "))
        for host in hosts {
            var row = pad(host, hostWidth)
            for column in columns {
                let status = results.first { $0.host == host && $0.check == column }?.status ?? .skip
                row += "  " + pad(status.mark, max(column.count, 4))
            }
            lines.append(row)
        }
        let notable = results.filter { $0.status == .fail || $0.status == .warn }.sorted {
            (hosts.firstIndex(of: $0.host) ?? 0, Self.checkNames.firstIndex(of: $0.check) ?? 0)
                < (hosts.firstIndex(of: $1.host) ?? 0, Self.checkNames.firstIndex(of: $1.check) ?? 0)
        }
        if !notable.isEmpty {
            lines.append("")
            for result in notable {
                var line = "\(result.status.mark) \(result.host) \(result.check): \(result.detail)"
                if let hint = result.hint { line += "\n     fix: \(hint)" }
                lines.append(line)
            }
        }
        return lines.joined(separator: "\n")
    }
}
