import Foundation
import Testing

@testable import Crossnet

@Suite(.tags(.inventory))
struct DataAddressTests {
    @Test("without data_address, an IP SSH address is the data address")
    func defaultsToSSHAddress() throws {
        let inventory = try InventoryFixtures.parse("hosts: [{name: h1, address: 198.18.0.11}]\n")
        #expect(inventory.hosts[0].dataAddress == "198.18.0.11")
        #expect(inventory.hosts[0].dataAddressName == nil)
    }

    @Test("a DNS SSH address is resolved once, IPv4 preferred, and the name is kept")
    func resolvesSSHName() throws {
        let calls = Counter()
        let inventory = try InventoryFixtures.parse("hosts: [{name: h2, address: h2.lab.example}]\n") { name in
            calls.increment()
            return try InventoryFixtures.lookup(name)
        }
        #expect(inventory.hosts[0].address == "h2.lab.example")
        #expect(inventory.hosts[0].dataAddress == "198.18.0.12")
        #expect(inventory.hosts[0].dataAddressName == "h2.lab.example")
        #expect(calls.value == 1)
    }

    @Test("data_address wins over the SSH address, as an IP or as a name")
    func explicitDataAddress() throws {
        let inventory = try InventoryFixtures.parse(
            """
            hosts:
              - {name: h1, address: 127.0.0.1, port: 2201, data_address: 198.18.0.11}
              - {name: h2, address: 127.0.0.1, port: 2202, data_address: data-h1.lab.example}
              - {name: h3, ssh_alias: lab-h3, data_address: 198.18.0.99}
            """)
        #expect(inventory.hosts.map(\.dataAddress) == ["198.18.0.11", "198.18.1.11", "198.18.0.99"])
        #expect(inventory.hosts.map(\.dataAddressName) == [nil, "data-h1.lab.example", nil])
        #expect(inventory.hosts[0].address == "127.0.0.1")
    }

    @Test("the loader never looks up a name when every address is an IP")
    func noLookupForIPs() throws {
        _ = try InventoryFixtures.parse("hosts: [{name: h1, address: 198.18.0.11}, {name: h2, address: 'fd00:18::12'}]\n") { name in
            Issue.record("unexpected lookup of \(name)")
            return []
        }
    }

    @Test(
        "a tunnel (loopback) or unresolvable address is refused at its key with a hint to set data_address",
        arguments: [
            ("hosts: [{name: h1, address: 127.0.0.1, port: 2201}]", 1, 29, "SSH address '127.0.0.1' is a loopback (tunnel) address"),
            ("hosts: [{name: h1, address: localhost}]", 1, 29, "set 'data_address'"),
            ("hosts: [{name: h1, address: '::1'}]", 1, 29, "set 'data_address'"),
            ("hosts: [{name: h1, address: 127.1.2.3}]", 1, 29, "loopback"),
            ("hosts: [{name: h1, address: tunnel.lab.example}]", 1, 29, "resolves to the loopback address 127.0.0.1"),
            ("hosts: [{name: h1, address: nowhere.lab.example}]", 1, 29, "does not resolve (cannot resolve 'nowhere.lab.example': getaddrinfo: Name or service not known); set 'data_address'"),
            ("hosts: [{name: h1, address: 198.18.0.11, data_address: 127.0.0.1}]", 1, 56, "data_address '127.0.0.1' is a loopback address"),
            ("hosts: [{name: h1, address: 198.18.0.11, data_address: 198.18.0.300}]", 1, 56, "data_address '198.18.0.300' in host 'h1' is not a valid IP address"),
        ])
    func refused(yaml: String, line: Int, column: Int, phrase: String) {
        let error = #expect(throws: InputError.self) { try InventoryFixtures.parse(yaml + "\n") }
        guard let error else { return }
        #expect(error.line == line, "\(error)")
        #expect(error.column == column, "\(error)")
        #expect(error.message.contains(phrase), "\(error)")
        #expect(error.message.contains("host 'h1'"), "\(error)")
    }

    @Test("tunnel addresses are recognised; routable ones are not", arguments: [
        ("localhost", true), ("LOCALHOST", true), ("db.localhost", true), ("127.0.0.1", true), ("127.255.0.9", true),
        ("::1", true), ("0.0.0.0", true), ("198.18.0.11", false), ("fd00::1", false), ("h1.lab.example", false),
        ("128.0.0.1", false),
    ])
    func tunnelDetection(address: String, tunnel: Bool) {
        #expect(DataAddress.isTunnel(address) == tunnel)
    }

    @Test("the system resolver (getaddrinfo on its own thread) answers from /etc/hosts and numeric names")
    func systemResolver() throws {
        // Numeric hosts and /etc/hosts entries never leave the machine (no DNS query): network rule.
        #expect(try DataAddress.system("198.18.0.11") == ["198.18.0.11"])
        #expect(try DataAddress.system("localhost").contains { $0 == "127.0.0.1" || $0 == "::1" })
    }
}

/// Counts calls from a `@Sendable` closure.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    var value: Int { lock.withLock { count } }
    func increment() { lock.withLock { count += 1 } }
}
