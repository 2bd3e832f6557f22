/// How much a virtual lab looks like a team's real lab: who logs in, on which port, the name of
/// each host's interface, and whether hosts sit behind a bastion.
public struct LabOptions: Sendable, Equatable, Codable {
    /// Non-root SSH user, made a member of the `docker` group; `nil` logs in as root. The user
    /// (and the `docker` group) is created if missing and removed by `lab down` only if this lab
    /// created it and no other live lab uses it; an existing user is reused (and taken out of the
    /// docker group again if the lab added it).
    public var sshUser: String?
    /// Port every host's sshd listens on.
    public var sshPort: Int
    /// Name of each host's lab interface (the namespace side of its veth).
    public var interfaceName: String
    /// `h1` is a bastion: the other hosts' sshd accept connections only from h1's address
    /// (iptables inside their namespaces), and the inventory names hosts by the aliases of the
    /// `ssh_config` written next to it, h2… with `ProxyJump h1`.
    public var bastion: Bool
    /// sshd forbids stream-local forwarding: `AllowStreamLocalForwarding no` on the bastion (which
    /// still forwards TCP for the jumps), `DisableForwarding yes` on every other host. Crossnet then
    /// reaches the Engines through `docker system dial-stdio`.
    public var forbidStreamLocalForwarding: Bool

    public init(
        sshUser: String? = nil, sshPort: Int = 22, interfaceName: String = "eth0", bastion: Bool = false,
        forbidStreamLocalForwarding: Bool = false
    ) {
        self.sshUser = sshUser
        self.sshPort = sshPort
        self.interfaceName = interfaceName
        self.bastion = bastion
        self.forbidStreamLocalForwarding = forbidStreamLocalForwarding
    }

    /// `--look-real`: user `crossnet` in the docker group, port 2222, interface `ens3`, h1 as the
    /// bastion.
    public static let lookReal = LabOptions(sshUser: "crossnet", sshPort: 2222, interfaceName: "ens3", bastion: true)

    /// The `docker` group non-root users need for the Engine socket.
    public static let dockerGroup = "docker"

    /// Checks the values; throws ``InputError`` naming the bad one.
    public func validate(hostCount: Int) throws {
        if let user = sshUser {
            let allowed = user.unicodeScalars.allSatisfy {
                ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "_"
            }
            guard !user.isEmpty, user.count <= 32, allowed, user.first?.isLetter == true, user != "root" else {
                throw InputError(
                    "--ssh-user '\(user)' is not a plain non-root user name (lower-case letters, digits, '-', '_', starting with a letter)")
            }
        }
        guard (1...65535).contains(sshPort) else { throw InputError("--ssh-port \(sshPort) is not a port from 1 to 65535") }
        let nameOK = interfaceName.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "_" || $0 == "."
        }
        guard !interfaceName.isEmpty, interfaceName.count <= 15, nameOK, interfaceName != "lo" else {
            throw InputError("--interface '\(interfaceName)' is not an interface name (at most 15 letters, digits, '-', '_', '.')")
        }
        if bastion && hostCount < 2 {
            throw InputError("--bastion needs at least 2 hosts (h1 is the bastion, the others sit behind it)")
        }
    }
}
