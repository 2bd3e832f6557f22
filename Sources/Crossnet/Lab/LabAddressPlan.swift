/// An IPv4 address as a 32-bit number (network byte order: first octet in the high bits).
public struct LabIPv4: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The address as a number.
    public var value: UInt32

    public init(_ value: UInt32) { self.value = value }

    /// Parses dotted-quad text (`198.18.0.1`); `nil` when malformed.
    public init?(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard !part.isEmpty, part.count <= 3, part.allSatisfy(\.isASCII), let octet = UInt32(part),
                octet <= 255
            else { return nil }
            value = value << 8 | octet
        }
        self.value = value
    }

    public var description: String {
        "\(value >> 24).\(value >> 16 & 255).\(value >> 8 & 255).\(value & 255)"
    }

    public static func < (lhs: LabIPv4, rhs: LabIPv4) -> Bool { lhs.value < rhs.value }

    /// The address `offset` places after this one.
    public func advanced(by offset: UInt32) -> LabIPv4 { LabIPv4(value &+ offset) }
}

/// An IPv4 subnet in CIDR form (`198.18.0.0/24`).
public struct LabSubnet: Sendable, Hashable, CustomStringConvertible {
    /// The network address (host bits zero).
    public var network: LabIPv4
    /// The prefix length, 0...32.
    public var prefixLength: Int

    public init(network: LabIPv4, prefixLength: Int) {
        self.network = network
        self.prefixLength = prefixLength
    }

    /// Parses `a.b.c.d/p`; `nil` when malformed. Host bits may be set (see ``isAligned``).
    public init?(cidr: String) {
        let parts = cidr.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let address = LabIPv4(String(parts[0])),
            parts[1].allSatisfy(\.isASCII), let length = Int(parts[1]), (0...32).contains(length)
        else { return nil }
        network = address
        prefixLength = length
    }

    /// Netmask as a number.
    public var mask: UInt32 { prefixLength == 0 ? 0 : UInt32.max << UInt32(32 - prefixLength) }
    /// `true` when the address part has no host bits set.
    public var isAligned: Bool { network.value & ~mask == 0 }
    /// The same prefix with host bits cleared.
    public var aligned: LabSubnet { LabSubnet(network: LabIPv4(network.value & mask), prefixLength: prefixLength) }
    /// Number of addresses, network and broadcast included.
    public var size: UInt64 { UInt64(1) << UInt64(32 - prefixLength) }
    /// The last address (broadcast).
    public var last: LabIPv4 { LabIPv4(network.value | ~mask) }

    /// `true` when `address` is inside this subnet.
    public func contains(_ address: LabIPv4) -> Bool { address.value & mask == network.value & mask }
    /// `true` when `other` lies entirely inside this subnet.
    public func contains(_ other: LabSubnet) -> Bool {
        other.prefixLength >= prefixLength && contains(other.network)
    }
    /// `true` when the two subnets share at least one address.
    public func overlaps(_ other: LabSubnet) -> Bool { contains(other.network) || other.contains(network) }

    public var description: String { "\(network)/\(prefixLength)" }
}

/// One lab host's place in the address plan and its kernel object names.
public struct LabHostPlan: Sendable, Equatable {
    /// Host name (`h1`…); also its hostname inside its UTS namespace.
    public var name: String
    /// The host's address on the lab bridge (its `eth0`).
    public var address: LabIPv4
    /// Network namespace name (`cn<id>-h1`), also the UTS namespace file name.
    public var netns: String
    /// Root-side veth name (`cn<id>h1`); the namespace side is renamed `eth0`.
    public var veth: String
    /// The host's share of the subnet for macvlan containers (Docker `--ip-range`).
    public var macvlanRange: LabSubnet
}

/// Addresses and kernel object names of one lab, computed from its id, host count and subnet.
///
/// Rule, with `S` the subnet size and `R = min(64, S/4)` the *reserved* low part of the subnet:
/// - gateway (the bridge in the root namespace): offset 1 (`.1` of a /24);
/// - host `hI`: offset `10 + I` when `10 + N < R` (`.11`, `.12`, … of a /24), else `1 + I`;
/// - macvlan ranges: from offset `R` upwards, one aligned block per host of
///   `min(16, largest power of two ≤ (S − R) / N)` addresses (at least 4): a /24 with up to 12
///   hosts gives h1 `.64/28`, h2 `.80/28`, …; with 13–20 hosts /29 blocks.
///
/// Names: lab id = 5 hex digits; bridge `cn<id>br`, veth `cn<id>h<I>` (≤ 15 characters, the
/// kernel limit), namespaces `cn<id>-h<I>`.
public struct LabAddressPlan: Sendable, Equatable {
    /// Host counts a lab accepts.
    public static let hostCountRange = 1...20
    /// Prefix lengths a lab subnet may have.
    public static let prefixRange = 16...28
    /// Where lab subnets must lie (RFC 2544 benchmarking range).
    public static let allowedSpace = LabSubnet(cidr: "198.18.0.0/15")!
    /// Reserved for container networks inside lab hosts (Docker address pools, overlay).
    public static let containerSpace = LabSubnet(cidr: "198.19.0.0/16")!
    /// Overlay subnet written to the inventory.
    public static let overlaySubnet = "198.19.240.0/24"
    /// Address pool for a swarm Crossnet creates on the lab (holds the overlay subnet; the
    /// dockerds' local pools take 198.19.0.0/17).
    public static let swarmAddressPool = "198.19.128.0/17"

    /// The lab id (5 lowercase hex digits).
    public var labID: String
    /// The lab subnet.
    public var subnet: LabSubnet
    /// The bridge address, the first address of the subnet.
    public var gateway: LabIPv4
    /// Bridge name in the root namespace.
    public var bridge: String
    /// Hosts `h1`…`hN`.
    public var hosts: [LabHostPlan]

    /// Computes the plan.
    /// - Throws: ``InputError`` for a host count outside 1...20, a malformed, misaligned, too small
    ///   or too large subnet, or one outside 198.18.0.0/16.
    public static func make(labID: String, hostCount: Int, subnet text: String) throws -> LabAddressPlan {
        guard hostCountRange.contains(hostCount) else {
            throw InputError("lab host count \(hostCount) is out of range: use 1 to 20 hosts")
        }
        guard let subnet = LabSubnet(cidr: text) else {
            throw InputError("lab subnet '\(text)' is not an IPv4 CIDR such as 198.18.0.0/24")
        }
        guard prefixRange.contains(subnet.prefixLength) else {
            throw InputError(
                "lab subnet \(text) has prefix /\(subnet.prefixLength): use /16 to /28, for example 198.18.0.0/24")
        }
        guard subnet.isAligned else {
            throw InputError("lab subnet \(text) has host bits set: did you mean \(subnet.aligned)?")
        }
        guard allowedSpace.contains(subnet) else {
            throw InputError(
                "lab subnet \(text) is outside 198.18.0.0/15 (the benchmarking range the lab uses so it never "
                    + "clashes with real networks): use for example 198.18.0.0/24")
        }
        guard !containerSpace.overlaps(subnet) else {
            throw InputError(
                "lab subnet \(text) overlaps 198.19.0.0/16, reserved for container networks inside lab hosts: "
                    + "use a subnet inside 198.18.0.0/16")
        }
        let size = subnet.size
        let reserved = min(64, size / 4)
        let count = UInt64(hostCount)
        let hostBase: UInt64 = 10 + count < reserved ? 10 : 1
        var block: UInt64 = 16
        while block > 1 && block * count > size - reserved { block /= 2 }
        guard hostBase + count < reserved, block >= 4 else {
            throw InputError(
                "lab subnet \(text) is too small for \(hostCount) hosts (each needs an address and a macvlan "
                    + "range of at least 4 addresses): use a larger subnet such as /24")
        }
        let gateway = subnet.network.advanced(by: 1)
        var hosts: [LabHostPlan] = []
        for index in 1...hostCount {
            let i = UInt64(index)
            hosts.append(
                LabHostPlan(
                    name: "h\(index)",
                    address: subnet.network.advanced(by: UInt32(hostBase + i)),
                    netns: "cn\(labID)-h\(index)",
                    veth: "cn\(labID)h\(index)",
                    macvlanRange: LabSubnet(
                        network: subnet.network.advanced(by: UInt32(reserved + (i - 1) * block)),
                        prefixLength: 32 - block.trailingZeroBitCount)))
        }
        return LabAddressPlan(
            labID: labID, subnet: subnet, gateway: gateway, bridge: "cn\(labID)br", hosts: hosts)
    }

    /// The lab id for a lab directory: 5 hex digits of a FNV-1a hash of its absolute path.
    public static func labID(forDirectory absolutePath: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in absolutePath.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        let folded = (hash ^ (hash >> 20) ^ (hash >> 40)) & 0xFFFFF
        let hex = String(folded, radix: 16)
        return String(repeating: "0", count: 5 - hex.count) + hex
    }
}
