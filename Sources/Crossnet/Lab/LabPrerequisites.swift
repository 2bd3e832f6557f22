import Foundation
import Logging

/// Makes sure the programs a lab needs are installed, installing missing Debian packages.
enum LabPrerequisites {
    /// Program → Debian package that provides it.
    static let programs: [(program: String, package: String)] = [
        ("ip", "iproute2"),
        ("iptables", "iptables"),
        ("ip6tables", "iptables"),
        ("sysctl", "procps"),
        ("sshd", "openssh-server"),
        ("ssh-keygen", "openssh-client"),
        ("ssh", "openssh-client"),
        ("dockerd", "docker.io"),
        ("containerd", "docker.io"),
        ("docker", "docker.io"),
        ("busybox", "busybox-static"),
        ("iperf3", "iperf3"),
        ("sockperf", "sockperf"),
        ("ping", "iputils-ping"),
        ("nsenter", "util-linux"),
        ("unshare", "util-linux"),
        ("setsid", "util-linux"),
        ("bash", "bash"),
    ]

    static let searchPath = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"]

    /// Absolute path of `program`, searching `PATH` and the sbin folders; `nil` when missing.
    static func locate(_ program: String) -> String? {
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
        for folder in path + searchPath where FileManager.default.isExecutableFile(atPath: folder + "/" + program) {
            return folder + "/" + program
        }
        return nil
    }

    /// Debian packages to install for the programs that are missing.
    static func missingPackages() -> [String] {
        var packages: [String] = []
        for entry in programs where locate(entry.program) == nil && !packages.contains(entry.package) {
            packages.append(entry.package)
        }
        return packages
    }

    /// Installs missing packages with apt-get; does nothing when all programs are present.
    ///
    /// A `policy-rc.d` that denies service starts is in place during the install, so Debian's
    /// `docker.io` never starts a dockerd in the root namespace.
    static func ensureInstalled(shell: LabShell) async throws {
        let missing = missingPackages()
        guard !missing.isEmpty else { return }
        shell.logger.info("lab: installing \(missing.joined(separator: " ")) (apt-get)")
        let policy = "/usr/sbin/policy-rc.d"
        let madePolicy = !FileManager.default.fileExists(atPath: policy)
        if madePolicy {
            FileManager.default.createFile(
                atPath: policy, contents: Data("#!/bin/sh\nexit 101\n".utf8),
                attributes: [.posixPermissions: 0o755])
        }
        defer { if madePolicy { try? FileManager.default.removeItem(atPath: policy) } }
        let env = ["DEBIAN_FRONTEND": "noninteractive"]
        let hint = "install them by hand: apt-get install -y --no-install-recommends \(missing.joined(separator: " "))"
        try await shell.run(
            "apt-get update", ["apt-get", "update"], environment: env, timeout: .seconds(600), hint: hint)
        try await shell.run(
            "install \(missing.joined(separator: " "))",
            ["apt-get", "install", "-y", "--no-install-recommends"] + missing, environment: env,
            timeout: .seconds(1200), hint: hint)
        let still = missingPackages()
        guard still.isEmpty else {
            throw LabError(
                step: "check prerequisites", reason: "still missing after apt-get: \(still.joined(separator: ", "))",
                hint: hint)
        }
    }
}
