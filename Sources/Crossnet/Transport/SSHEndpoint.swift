/// Where and as whom to open an SSH session, and how to verify the server.
public struct SSHEndpoint: Sendable, Equatable, Hashable {
    /// The inventory name of the host, used in log metadata and error messages.
    public var hostName: String
    /// Address or DNS name to connect to.
    public var address: String
    /// TCP port of the SSH server.
    public var port: Int
    /// User to log in as.
    public var user: String
    /// Private key files to try (in order) after ssh-agent, absolute paths. Empty: libssh's list
    /// (the ssh config's `IdentityFile` entries, then `~/.ssh/id_ed25519`, `id_ecdsa`, `id_rsa`).
    public var identityFiles: [String]
    /// known_hosts file the server's host key is verified against (absolute path).
    public var knownHostsFile: String
    /// Jump hosts to pass through, first hop first (each verified against its own known_hosts
    /// entry); empty for a direct TCP connection.
    public var proxyJump: [SSHEndpoint]
    /// ssh config file libssh applies to the session (with ``configHost`` as the host name)
    /// before Crossnet's own settings override it; `nil` to read no config file at all.
    public var sshConfigFile: String?
    /// The name matched against the ssh config's `Host`/`Match` lines (the alias).
    public var configHost: String?

    /// Creates an endpoint from its parts.
    public init(
        hostName: String, address: String, port: Int = 22, user: String, identityFiles: [String] = [],
        knownHostsFile: String, proxyJump: [SSHEndpoint] = [], sshConfigFile: String? = nil, configHost: String? = nil
    ) {
        self.hostName = hostName
        self.address = address
        self.port = port
        self.user = user
        self.identityFiles = identityFiles
        self.knownHostsFile = knownHostsFile
        self.proxyJump = proxyJump
        self.sshConfigFile = sshConfigFile
        self.configHost = configHost
    }

    /// Creates the endpoint for an inventory host.
    public init(host: HostConfig) {
        let jumps = host.proxyJump.map { hop in
            SSHEndpoint(
                hostName: "\(hop.name) (jump host for \(host.name))", address: hop.address, port: hop.port,
                user: hop.user, identityFiles: hop.identityFiles, knownHostsFile: hop.knownHostsFile,
                sshConfigFile: host.sshConfigFile, configHost: hop.name)
        }
        self.init(
            hostName: host.name, address: host.address, port: host.port, user: host.user,
            identityFiles: host.identityFiles, knownHostsFile: host.knownHostsFile, proxyJump: jumps,
            sshConfigFile: host.sshConfigFile, configHost: host.sshAlias)
    }

    /// The same endpoint reached directly (its jump hosts dropped), for the last leg of a jump.
    var withoutJumps: SSHEndpoint {
        var copy = self
        copy.proxyJump = []
        return copy
    }

    /// `address:port` (IPv6 addresses in brackets), as used in messages.
    public var addressAndPort: String {
        address.contains(":") ? "[\(address)]:\(port)" : "\(address):\(port)"
    }

    /// The name this server has in known_hosts: `address`, or `[address]:port` for a non-default port.
    public var knownHostsName: String {
        port == 22 ? address : "[\(address)]:\(port)"
    }
}
