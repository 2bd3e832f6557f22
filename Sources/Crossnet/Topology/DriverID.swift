/// The network setups Crossnet tests; the raw values are the ids used in test names, tags and
/// results.
public enum DriverID: String, Sendable, Codable, CaseIterable, Comparable {
    /// Docker's default `bridge` network.
    case bridge
    /// A user-defined bridge network (`docker network create -d bridge`).
    case userBridge = "user-bridge"
    /// The Compose model: project network `<project>_default`, service names as aliases.
    case compose
    /// The host's own network stack (`--network host`).
    case host
    /// No network but loopback (`--network none`).
    case none
    /// An attachable overlay across every host of a swarm.
    case overlay
    /// A macvlan network on each host's physical interface.
    case macvlan

    public static func < (lhs: DriverID, rhs: DriverID) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}
