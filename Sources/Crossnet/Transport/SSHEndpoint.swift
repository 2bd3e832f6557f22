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
    /// Private key files to try (in order) after ssh-agent, absolute paths.
    public var identityFiles: [String]
    /// known_hosts file the server's host key is verified against (absolute path).
    public var knownHostsFile: String

    /// Creates an endpoint from its parts.
    public init(
        hostName: String, address: String, port: Int = 22, user: String, identityFiles: [String] = [],
        knownHostsFile: String
    ) {
        self.hostName = hostName
        self.address = address
        self.port = port
        self.user = user
        self.identityFiles = identityFiles
        self.knownHostsFile = knownHostsFile
    }

    /// Creates the endpoint for an inventory host.
    public init(host: HostConfig) {
        self.init(
            hostName: host.name, address: host.address, port: host.port, user: host.user,
            identityFiles: host.identityFiles, knownHostsFile: host.knownHostsFile)
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
