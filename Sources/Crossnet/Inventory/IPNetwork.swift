import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An IPv4 or IPv6 address as its network-order bytes (4 or 16 of them).
public struct IPAddress: Sendable, Hashable, CustomStringConvertible {
    public let bytes: [UInt8]

    public var isIPv4: Bool { bytes.count == 4 }

    /// Parses dotted-quad IPv4 (`198.18.0.1`) or any textual IPv6 form (`fd00::1`).
    public init?(_ text: String) {
        if text.contains(":") {
            var storage = in6_addr()
            guard inet_pton(AF_INET6, text, &storage) == 1 else { return nil }
            bytes = withUnsafeBytes(of: &storage) { Array($0) }
        } else {
            let parts = text.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count == 4 else { return nil }
            var result: [UInt8] = []
            for part in parts {
                guard !part.isEmpty, part.count <= 3, part.allSatisfy(\.isASCIIDigit),
                    let value = UInt8(part), part == "0" || !part.hasPrefix("0")
                else { return nil }
                result.append(value)
            }
            bytes = result
        }
    }

    public init(bytes: [UInt8]) { self.bytes = bytes }

    public var description: String {
        if isIPv4 { return bytes.map(String.init).joined(separator: ".") }
        var storage = in6_addr()
        withUnsafeMutableBytes(of: &storage) { raw in
            for (index, byte) in bytes.enumerated() { raw[index] = byte }
        }
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        guard inet_ntop(AF_INET6, &storage, &buffer, socklen_t(buffer.count)) != nil else { return "?" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The first `prefix` bits of this address, the rest zeroed.
    public func masked(to prefix: Int) -> IPAddress {
        var result = bytes
        for index in result.indices {
            let bitsHere = max(0, min(8, prefix - index * 8))
            let mask: UInt8 = bitsHere == 0 ? 0 : UInt8(truncatingIfNeeded: 0xFF << (8 - bitsHere))
            result[index] &= mask
        }
        return IPAddress(bytes: result)
    }
}

/// An IP network in CIDR notation (`198.18.0.0/24`), with no host bits set.
public struct IPNetwork: Sendable, Hashable, CustomStringConvertible {
    public let address: IPAddress
    public let prefixLength: Int

    /// Why a text is not a valid CIDR network, phrased as what to fix.
    public enum ParseProblem: Error {
        case malformed
        case badAddress(String)
        case badPrefix(String, max: Int)
        case hostBitsSet(suggestion: String)
    }

    public static func parse(_ text: String) -> Result<IPNetwork, ParseProblem> {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return .failure(.malformed) }
        guard let address = IPAddress(String(parts[0])) else { return .failure(.badAddress(String(parts[0]))) }
        let maxPrefix = address.bytes.count * 8
        guard parts[1].allSatisfy(\.isASCIIDigit), let prefix = Int(parts[1]), (0...maxPrefix).contains(prefix)
        else { return .failure(.badPrefix(String(parts[1]), max: maxPrefix)) }
        let network = address.masked(to: prefix)
        guard network == address else {
            return .failure(.hostBitsSet(suggestion: "\(network)/\(prefix)"))
        }
        return .success(IPNetwork(address: address, prefixLength: prefix))
    }

    public var description: String { "\(address)/\(prefixLength)" }

    public func contains(_ other: IPAddress) -> Bool {
        other.bytes.count == address.bytes.count && other.masked(to: prefixLength) == address
    }

    /// `true` when `other` lies entirely inside this network.
    public func contains(_ other: IPNetwork) -> Bool {
        other.prefixLength >= prefixLength && contains(other.address)
    }

    /// CIDR blocks overlap exactly when one contains the other.
    public func overlaps(_ other: IPNetwork) -> Bool { contains(other) || other.contains(self) }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
