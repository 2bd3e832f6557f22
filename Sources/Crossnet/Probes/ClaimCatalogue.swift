import Foundation

/// Every claim Crossnet checks, per driver. The lab suites run exactly these (one parameterized
/// test case per claim), the report's reachability matrix lists them, and `crossnet claims` prints
/// them as the Markdown table in README's "What it checks".
public enum ClaimCatalogue {
    /// All claims, in driver order.
    public static let all: [Claim] = DriverID.allCases.flatMap { claims(for: $0) }

    /// The claims of one driver.
    public static func claims(for driver: DriverID) -> [Claim] {
        switch driver {
        case .bridge: bridge
        case .userBridge: userBridge
        case .compose: compose
        case .host: host
        case .none: none
        case .overlay: overlay
        case .macvlan: macvlan
        }
    }

    /// The claim with this id.
    public static func claim(id: String) -> Claim? { all.first { $0.id == id } }

    private static let http = ProbeCommand.httpPort

    static let bridge: [Claim] = [
        Claim(id: "bridge.ip-ping", driver: .bridge, statement: "containers on the default bridge reach each other by IP (ping)",
              scope: .eachHost, source: "probe a", target: .peerAddress, method: .pingAddress, expected: .reachable,
              why: "both containers sit on docker0 in one subnet; the bridge forwards between them"),
        Claim(id: "bridge.ip-tcp", driver: .bridge, statement: "containers on the default bridge reach each other by IP (TCP)",
              scope: .eachHost, source: "probe a", target: .peerAddress, method: .tcpConnect, port: http, expected: .reachable,
              why: "inter-container traffic on docker0 is allowed by default (icc)"),
        Claim(id: "bridge.no-name-dns", driver: .bridge, statement: "containers on the default bridge cannot resolve each other by name",
              scope: .eachHost, source: "probe a", target: .peerName, method: .dnsLookup, expected: .unreachable,
              why: "the default bridge has no embedded DNS; container names resolve only on user-defined networks"),
        Claim(id: "bridge.no-name-ping", driver: .bridge, statement: "containers on the default bridge cannot ping each other by name",
              scope: .eachHost, source: "probe a", target: .peerName, method: .pingName, expected: .unreachable,
              why: "without name resolution the name never becomes an address (legacy --link is not used)"),
    ]

    static let userBridge: [Claim] = [
        Claim(id: "user-bridge.name-dns", driver: .userBridge, statement: "containers on a user-defined bridge resolve each other by name through Docker's DNS",
              scope: .eachHost, source: "probe a", target: .peerName, method: .dnsLookup, expected: .reachable,
              why: "user-defined networks get Docker's embedded DNS at 127.0.0.11, which answers container names"),
        Claim(id: "user-bridge.name-ping", driver: .userBridge, statement: "containers on a user-defined bridge reach each other by name (ping)",
              scope: .eachHost, source: "probe a", target: .peerName, method: .pingName, expected: .reachable,
              why: "the embedded DNS answer is the peer's address on the same bridge"),
        Claim(id: "user-bridge.name-tcp", driver: .userBridge, statement: "containers on a user-defined bridge reach each other by name (TCP)",
              scope: .eachHost, source: "probe a", target: .peerName, method: .tcpConnect, port: http, expected: .reachable,
              why: "containers on one user-defined bridge may talk on any port"),
        Claim(id: "user-bridge.unknown-name", driver: .userBridge, statement: "a name that no container has does not resolve on a user-defined bridge",
              scope: .eachHost, source: "probe a", target: .unknownName, method: .dnsLookup, expected: .unreachable,
              why: "the embedded DNS answers only names it knows; others fail (NXDOMAIN or no upstream)"),
    ]

    static let compose: [Claim] = [
        Claim(id: "compose.service-dns", driver: .compose, statement: "Compose services resolve each other by service name on the project network",
              scope: .eachHost, source: "service client", target: .serviceName, method: .dnsLookup, expected: .reachable,
              why: "Compose gives each container its service name as a network alias on <project>_default"),
        Claim(id: "compose.service-ping", driver: .compose, statement: "Compose services reach each other by service name (ping)",
              scope: .eachHost, source: "service client", target: .serviceName, method: .pingName, expected: .reachable,
              why: "the alias resolves to the web container's address on the project network"),
        Claim(id: "compose.service-tcp", driver: .compose, statement: "Compose services reach each other by service name (TCP)",
              scope: .eachHost, source: "service client", target: .serviceName, method: .tcpConnect, port: http, expected: .reachable,
              why: "services on one project network may talk on any port"),
        Claim(id: "compose.project-network", driver: .compose, statement: "the Compose project network is named <project>_default and carries Compose's labels",
              scope: .eachHost, source: "the host's Engine", target: .itself, method: .inspect, expected: .reachable,
              why: "Compose names the default network after the project and labels it com.docker.compose.project"),
    ]

    static let host: [Claim] = [
        Claim(id: "host.sees-host-stack", driver: .host, statement: "a container on the host network sees the host's interfaces and address",
              scope: .eachHost, source: "probe", target: .itself, method: .inspect, expected: .reachable,
              why: "--network host shares the host's network namespace: same interfaces, same addresses"),
        Claim(id: "host.server-at-host-address", driver: .host, statement: "a server on the host network is reachable at the host's address with no port mapping",
              scope: .eachPair, source: "probe", target: .remoteHostAddress, method: .tcpConnect, port: ProbeCommand.hostNetworkHTTPPort,
              expected: .reachable, why: "a socket bound in the host's namespace listens on the host's own address"),
    ]

    static let none: [Claim] = [
        Claim(id: "none.loopback-only", driver: .none, statement: "a container on the none network has only loopback and no route",
              scope: .eachHost, source: "probe", target: .itself, method: .inspect, expected: .reachable,
              why: "--network none gives the container its own namespace with lo and nothing else"),
        Claim(id: "none.loopback-ping", driver: .none, statement: "a container on the none network reaches its own loopback",
              scope: .eachHost, source: "probe", target: .loopback, method: .pingAddress, expected: .reachable,
              why: "lo is up in every container namespace"),
        Claim(id: "none.no-own-host", driver: .none, statement: "a container on the none network does not reach its own host",
              scope: .eachHost, source: "probe", target: .ownHostAddress, method: .pingAddress, expected: .unreachable,
              why: "with no interface but lo there is no route to any other address"),
        Claim(id: "none.no-other-host", driver: .none, statement: "a container on the none network does not reach another host",
              scope: .eachPair, source: "probe", target: .remoteHostAddress, method: .pingAddress, expected: .unreachable,
              why: "with no interface but lo there is no route to any other address"),
        Claim(id: "none.no-ssh", driver: .none, statement: "a container on the none network cannot open TCP 22 on another host",
              scope: .eachPair, source: "probe", target: .remoteHostAddress, method: .tcpConnect, port: 22, expected: .unreachable,
              why: "with no route, a connect fails at once (network unreachable)"),
    ]

    static let overlay: [Claim] = [
        Claim(id: "overlay.web-dns", driver: .overlay, statement: "a container on another host of the swarm resolves `web` by service name",
              scope: .eachHost, source: "attachable probe", target: .serviceName, method: .dnsLookup, expected: .reachable,
              why: "swarm's embedded DNS answers the service name `web` on the overlay network"),
        Claim(id: "overlay.web-ping", driver: .overlay, statement: "a container on another host of the swarm reaches `web` by service name (ping)",
              scope: .eachHost, source: "attachable probe", target: .serviceName, method: .pingName, expected: .reachable,
              why: "`web` resolves to task addresses on the overlay, carried across hosts in VXLAN"),
        Claim(id: "overlay.web-tcp", driver: .overlay, statement: "a container on another host of the swarm reaches `web` by service name (TCP)",
              scope: .eachHost, source: "attachable probe", target: .serviceName, method: .tcpConnect, port: http, expected: .reachable,
              why: "overlay members may talk on any port"),
        Claim(id: "overlay.tasks-listed", driver: .overlay, statement: "`tasks.web` resolves to one task address per host",
              scope: .eachHost, source: "attachable probe", target: .itself, method: .inspect, expected: .reachable,
              why: "tasks.<service> lists every task of a global service; Crossnet runs one per inventory host"),
        Claim(id: "overlay.task-ping", driver: .overlay, statement: "service task containers reach each other across hosts (ping)",
              scope: .eachPair, source: "service task", target: .taskAddress, method: .pingAddress, expected: .reachable,
              why: "tasks on one overlay share a subnet spanning the swarm"),
        Claim(id: "overlay.task-tcp", driver: .overlay, statement: "service task containers reach each other across hosts (TCP)",
              scope: .eachPair, source: "service task", target: .taskAddress, method: .tcpConnect, port: http, expected: .reachable,
              why: "overlay members may talk on any port"),
        Claim(id: "overlay.attachable-by-name", driver: .overlay, statement: "attachable containers on different hosts reach each other by name over the overlay",
              scope: .eachPair, source: "attachable probe", target: .remoteContainerName, method: .pingName, expected: .reachable,
              why: "the embedded DNS knows every container attached to the overlay, whatever its host"),
    ]

    static let macvlan: [Claim] = [
        Claim(id: "macvlan.address-in-range", driver: .macvlan, statement: "a macvlan container has an address in the physical subnet, in its host's range",
              scope: .eachHost, source: "probe", target: .itself, method: .inspect, expected: .reachable,
              why: "macvlan hands out addresses from the network's subnet, limited to the host's ip_range"),
        Claim(id: "macvlan.container-ping", driver: .macvlan, statement: "a macvlan container reaches the macvlan container of another host directly (ping)",
              scope: .eachPair, source: "probe", target: .remoteContainerAddress, method: .pingAddress, expected: .reachable,
              why: "macvlan containers are stations on the physical segment"),
        Claim(id: "macvlan.container-tcp", driver: .macvlan, statement: "a macvlan container reaches the macvlan container of another host directly (TCP)",
              scope: .eachPair, source: "probe", target: .remoteContainerAddress, method: .tcpConnect, port: http, expected: .reachable,
              why: "no NAT or proxy sits in the path"),
        Claim(id: "macvlan.other-host", driver: .macvlan, statement: "a macvlan container reaches another host's address directly",
              scope: .eachPair, source: "probe", target: .remoteHostAddress, method: .pingAddress, expected: .reachable,
              why: "other hosts are on the same segment as the container"),
        Claim(id: "macvlan.not-own-host", driver: .macvlan, statement: "a macvlan container does not reach its own parent host's address",
              scope: .eachHost, source: "probe", target: .ownHostAddress, method: .pingAddress, expected: .unreachable,
              why: "the kernel never delivers frames between a macvlan port and its own parent; the usual fix is a macvlan interface on the host"),
    ]

    /// The catalogue as a Markdown table (what `crossnet claims` prints).
    public static func markdown(_ claims: [Claim] = all) -> String {
        var lines = [
            "| driver | claim | id | scope | source → target | method | expected | why |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for claim in claims {
            let method = claim.port.map { "\(claim.method.rawValue) :\($0)" } ?? claim.method.rawValue
            let cells = [
                "`\(claim.driver.rawValue)`", claim.statement, "`\(claim.id)`", claim.scope.rawValue,
                "\(claim.source) → \(claim.target.rawValue)", method,
                claim.expected == .reachable ? "holds" : "**does not** get through", claim.why,
            ]
            lines.append("| " + cells.map { $0.replacingOccurrences(of: "|", with: "\\|") }.joined(separator: " | ") + " |")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
