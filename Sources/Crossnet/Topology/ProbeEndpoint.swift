/// A probe container deployed for a topology: where it runs and how others can address it.
public struct ProbeEndpoint: Sendable, Equatable {
    /// The inventory host it runs on.
    public var host: String
    /// Container ID on that host.
    public var containerID: String
    /// Container name (what Docker's DNS resolves on user networks).
    public var name: String
    /// Extra DNS names (network aliases, Compose service name).
    public var aliases: [String]
    /// Its IPv4 address on the topology's network (the host address for `host`, `nil` for `none`).
    public var address: String?
    /// `true` for a swarm service's task container (created by the swarm, not by Crossnet directly).
    public var isServiceTask: Bool

    public init(host: String, containerID: String, name: String, aliases: [String] = [], address: String?, isServiceTask: Bool = false) {
        self.host = host
        self.containerID = containerID
        self.name = name
        self.aliases = aliases
        self.address = address
        self.isServiceTask = isServiceTask
    }
}

/// The probe command every probe container runs: an HTTP server on ``ProbeEndpoint/httpPort`` for
/// TCP checks, then sleep.
public enum ProbeCommand {
    /// TCP port of the HTTP server in each probe container (bridge-type networks).
    public static let httpPort = 8080
    /// TCP port used on the host network, away from common services.
    public static let hostNetworkHTTPPort = 47080

    /// `sh -c` script: write an index page, start busybox httpd on `port`, sleep forever.
    public static func serve(port: Int) -> [String] {
        ["sh", "-c", "echo crossnet > /tmp/index.html && httpd -p \(port) -h /tmp && exec sleep infinity"]
    }
}
