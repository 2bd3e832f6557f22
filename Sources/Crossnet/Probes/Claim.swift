import Foundation

/// How a claim is checked from its source container.
public enum ClaimMethod: String, Codable, Sendable, CaseIterable {
    case pingAddress = "ping by IP"
    case pingName = "ping by name"
    case dnsLookup = "DNS lookup"
    case tcpConnect = "TCP connect"
    case inspect = "interface/route inspection"
}

/// Which hosts a claim is checked on: each host on its own, or each ordered pair of hosts.
public enum ClaimScope: String, Codable, Sendable {
    case eachHost = "each host"
    case eachPair = "each pair of hosts"
}

/// What a claim's probe aims at, resolved against a deployment when the claim is checked.
public enum ClaimTarget: String, Codable, Sendable {
    /// The other probe container on the same host, by its address.
    case peerAddress = "the other container on the same host, by IP"
    /// The other probe container on the same host, by its container name.
    case peerName = "the other container on the same host, by name"
    /// A name no container has.
    case unknownName = "a name no container has"
    /// The service name `web` (Compose service or swarm service alias).
    case serviceName = "`web`"
    /// The swarm service task on the target host, by its address.
    case taskAddress = "the service task on the other host, by IP"
    /// The probe container on the target host, by its name.
    case remoteContainerName = "the probe container on the other host, by name"
    /// The probe container on the target host, by its address.
    case remoteContainerAddress = "the probe container on the other host, by IP"
    /// The target host's address (`data_address`/`address`).
    case remoteHostAddress = "the other host's address"
    /// The source container's own host address.
    case ownHostAddress = "its own host's address"
    /// The loopback address.
    case loopback = "127.0.0.1"
    /// The container itself: its interfaces, routes or addresses.
    case itself = "the container itself"
}

/// One claim of the catalogue: a driver, what is checked from where to where, how, what is
/// expected and why. Suites, the report's reachability matrix and `crossnet claims` derive from it.
public struct Claim: Codable, Sendable, Hashable, CustomStringConvertible {
    /// Stable id, `<driver>.<what>`, e.g. `bridge.no-name`.
    public var id: String
    public var driver: DriverID
    /// The claim as a sentence a person reads in a report.
    public var statement: String
    public var scope: ClaimScope
    /// The source: which container probes.
    public var source: String
    public var target: ClaimTarget
    public var method: ClaimMethod
    /// TCP port for `tcpConnect`.
    public var port: Int?
    public var expected: Expectation
    /// Why the expectation holds (the driver's documented behaviour).
    public var why: String

    public var description: String { id }
}
