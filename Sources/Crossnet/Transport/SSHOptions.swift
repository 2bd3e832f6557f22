import Foundation

/// How SSH sessions are opened and kept alive.
public struct SSHOptions: Sendable {
    /// Record the host key of a server not yet in known_hosts instead of refusing it
    /// (the `--accept-new-host-keys` flag). A *changed* key is always refused.
    public var acceptNewHostKeys: Bool
    /// Deadline for the TCP connection, key exchange and authentication.
    public var connectTimeout: Duration
    /// Interval between keepalive messages while a session is idle.
    public var keepaliveInterval: Duration
    /// Passphrase for encrypted private keys. Defaults to the `CROSSNET_SSH_PASSPHRASE` environment
    /// variable; when that is absent and standard input is a terminal, Crossnet asks for it once per
    /// key. Never logged.
    public var passphrase: String?
    /// Most exec channels open at once on one session; further execs wait for a free slot.
    /// OpenSSH's `MaxSessions` defaults to 10.
    public var maxConcurrentExecs: Int

    /// Creates options; see the properties for the defaults.
    public init(
        acceptNewHostKeys: Bool = false,
        connectTimeout: Duration = .seconds(10),
        keepaliveInterval: Duration = .seconds(15),
        passphrase: String? = ProcessInfo.processInfo.environment["CROSSNET_SSH_PASSPHRASE"],
        maxConcurrentExecs: Int = 10
    ) {
        self.acceptNewHostKeys = acceptNewHostKeys
        self.connectTimeout = connectTimeout
        self.keepaliveInterval = keepaliveInterval
        self.passphrase = passphrase
        self.maxConcurrentExecs = max(1, maxConcurrentExecs)
    }
}

extension SSHOptions: CustomStringConvertible {
    /// A description that never shows the passphrase.
    public var description: String {
        "SSHOptions(acceptNewHostKeys: \(acceptNewHostKeys), connectTimeout: \(connectTimeout), "
            + "keepaliveInterval: \(keepaliveInterval), passphrase: \(passphrase == nil ? "none" : "set"), "
            + "maxConcurrentExecs: \(maxConcurrentExecs))"
    }
}

extension Duration {
    /// The duration in seconds as a `Double`.
    public var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }

    /// The duration in whole milliseconds, at least 0, clamped to `Int32`.
    var clampedMilliseconds: Int32 {
        let ms = seconds * 1000
        if ms <= 0 { return 0 }
        return ms >= Double(Int32.max) ? Int32.max : Int32(ms.rounded(.up))
    }
}
