extension Preflight {
    /// `architecture`: the host's CPU architecture (the Engine's `Architecture`, i.e. `uname -m`)
    /// has a probe image variant, or the host is refused with what to do.
    static func architectureCheck(host: String, machine: String?) -> CheckResult {
        guard let machine, !machine.isEmpty else {
            return CheckResult(
                host: host, check: "architecture", status: .fail, detail: "the Engine did not report an architecture",
                hint: "check `uname -m` on the host: Crossnet's probe image exists for \(ProbeArchitecture.supportedList)")
        }
        guard let architecture = ProbeArchitecture(machine: machine) else {
            return CheckResult(
                host: host, check: "architecture", status: .fail,
                detail: "\(machine) is not supported: Crossnet's probe image exists for \(ProbeArchitecture.supportedList) only",
                hint: "leave this host out of the inventory")
        }
        return CheckResult(host: host, check: "architecture", status: .pass, detail: "\(machine) (probe image \(architecture.rawValue))")
    }

    /// `data-address`: where the other hosts reach this one, and the DNS name it came from.
    static func dataAddressCheck(_ host: HostConfig) -> CheckResult {
        let source = host.dataAddressName.map { " (resolved from \($0))" } ?? (host.dataAddress == host.address ? " (the SSH address)" : "")
        return CheckResult(host: host.name, check: "data-address", status: .pass, detail: host.dataAddress + source)
    }
}
