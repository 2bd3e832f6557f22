/// `lab up` found this directory's lab already running; nothing was changed.
///
/// Not a failure of the lab itself: the CLI prints ``description`` and decides the exit code.
public struct LabAlreadyUp: CrossnetError, Equatable {
    /// The lab directory (absolute).
    public var directory: String
    /// Number of hosts of the running lab.
    public var hostCount: Int
    /// Subnet of the running lab.
    public var subnet: String

    public init(directory: String, hostCount: Int, subnet: String) {
        self.directory = directory
        self.hostCount = hostCount
        self.subnet = subnet
    }

    public var description: String {
        "lab in \(directory) is already up (\(hostCount) hosts, subnet \(subnet)); "
            + "run `crossnet lab down` first to rebuild it"
    }
}

/// A step of building, querying or tearing down the virtual lab failed.
public struct LabError: CrossnetError {
    /// The step, e.g. `create bridge cnab12cbr` or `start dockerd on h2`.
    public var step: String
    /// What happened (exit status, last lines of output or log).
    public var reason: String
    /// What to do about it.
    public var hint: String?

    public init(step: String, reason: String, hint: String? = nil) {
        self.step = step
        self.reason = reason
        self.hint = hint
    }

    public var description: String {
        var text = "lab: \(step) failed: \(reason)"
        if let hint { text += " — \(hint)" }
        return text
    }
}
