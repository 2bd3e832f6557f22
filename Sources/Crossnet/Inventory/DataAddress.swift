import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// How a host's data-plane address (``HostConfig/dataAddress``) is found: the address other hosts
/// and containers use to reach it (swarm advertise address, claims, measurements), which need not
/// be the address SSH connects to.
///
/// - `data_address` in the inventory wins; an IP is used as is, a DNS name is resolved once.
/// - Otherwise the SSH address: an IP as is, a DNS name resolved once.
/// - A loopback (tunnel) address is refused: other hosts cannot reach a host at 127.0.0.1.
public enum DataAddress {
    /// Looks a DNS name up; returns its addresses in the resolver's order, or throws a
    /// ``DataAddress/LookupError``.
    public typealias Lookup = @Sendable (String) throws -> [String]

    /// A name that did not resolve.
    public struct LookupError: Error, Sendable, CustomStringConvertible {
        public var name: String
        public var reason: String
        public var description: String { "cannot resolve '\(name)': \(reason)" }
    }

    /// `true` for an address other hosts cannot use to reach this one: `localhost` (and names under
    /// `.localhost`), 127.0.0.0/8, `::1`, and the unspecified addresses.
    public static func isTunnel(_ address: String) -> Bool {
        let lower = address.lowercased()
        if lower == "localhost" || lower.hasSuffix(".localhost") || lower == "localhost.localdomain" { return true }
        guard let ip = IPAddress(address) else { return false }
        if ip.isIPv4 { return ip.bytes[0] == 127 || ip.bytes == [0, 0, 0, 0] }
        return ip.bytes == Array(repeating: 0, count: 15) + [1] || ip.bytes == Array(repeating: 0, count: 16)
    }

    /// The address to use, and the DNS name it came from (`nil` when it was given as an IP).
    ///
    /// - Parameters:
    ///   - configured: the host's `data_address`, if the inventory has one.
    ///   - sshAddress: the address SSH connects to.
    ///   - lookup: resolves a DNS name (``system`` in production).
    /// - Throws: ``DataAddress/Problem`` naming what to set.
    public static func choose(configured: String?, sshAddress: String, lookup: Lookup) throws(Problem) -> (address: String, name: String?) {
        let source = configured ?? sshAddress
        let key = configured == nil ? "SSH address" : "data_address"
        if isTunnel(source) {
            throw Problem(
                onDataAddress: configured != nil,
                message: configured == nil
                    ? "the SSH address '\(sshAddress)' is a loopback (tunnel) address, which other hosts and containers cannot use; set 'data_address' to the IP the other hosts reach this host at"
                    : "data_address '\(source)' is a loopback address; other hosts and containers cannot reach this host there — give the IP they use")
        }
        if IPAddress(source) != nil { return (source, nil) }
        let addresses: [String]
        do {
            addresses = try lookup(source)
        } catch {
            throw Problem(
                onDataAddress: configured != nil,
                message: "the \(key) '\(source)' does not resolve (\(error)); set 'data_address' to the IP other hosts reach this host at")
        }
        // IPv4 first: swarm advertise addresses and the probes' claims are IPv4 throughout.
        guard let chosen = addresses.first(where: { IPAddress($0)?.isIPv4 == true }) ?? addresses.first else {
            throw Problem(onDataAddress: configured != nil, message: "the \(key) '\(source)' resolves to no address; set 'data_address' to an IP")
        }
        if isTunnel(chosen) {
            throw Problem(
                onDataAddress: configured != nil,
                message: "the \(key) '\(source)' resolves to the loopback address \(chosen) (a tunnel), which other hosts cannot use; set 'data_address' to the IP the other hosts reach this host at")
        }
        return (chosen, source)
    }

    /// Why a data address cannot be chosen; the loader turns it into an ``InputError`` at the key.
    public struct Problem: Error, Sendable {
        /// `true` when `data_address` itself is wrong, `false` when the SSH address is.
        public var onDataAddress: Bool
        public var message: String
    }

    /// `getaddrinfo` on a thread of its own, with a 5 s deadline (the C call has none).
    public static let system: Lookup = { name in
        let box = LookupBox()
        let thread = Thread {
            box.finish(Result { try getAddresses(name) })
        }
        thread.start()
        guard box.done.wait(timeout: .now() + 5) == .success else {
            throw LookupError(name: name, reason: "getaddrinfo gave no answer within 5 s")
        }
        return try box.result!.get()
    }

    static func getAddresses(_ name: String) throws -> [String] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(name, nil, &hints, &list)
        guard status == 0 else {
            throw LookupError(name: name, reason: "getaddrinfo: " + String(cString: gai_strerror(status)))
        }
        defer { freeaddrinfo(list) }
        var addresses: [String] = []
        var cursor = list
        while let entry = cursor {
            var buffer = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            if getnameinfo(entry.pointee.ai_addr, entry.pointee.ai_addrlen, &buffer, socklen_t(buffer.count), nil, 0, NI_NUMERICHOST) == 0 {
                let text = String(cString: buffer)
                if !addresses.contains(text) { addresses.append(text) }
            }
            cursor = entry.pointee.ai_next
        }
        return addresses
    }

    /// Hands the lookup's result from its thread to the waiting caller.
    final class LookupBox: @unchecked Sendable {
        let done = DispatchSemaphore(value: 0)
        private let lock = NSLock()
        private var stored: Result<[String], any Error>?
        var result: Result<[String], any Error>? { lock.withLock { stored } }
        func finish(_ value: Result<[String], any Error>) {
            lock.withLock { stored = value }
            done.signal()
        }
    }
}
