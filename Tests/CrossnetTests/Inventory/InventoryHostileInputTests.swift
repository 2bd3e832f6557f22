import Foundation
import Testing

@testable import Crossnet

/// Inventories that must never load: absurd numbers, networks that collide, and strings that
/// would turn into commands on a host. Each fails at the offending node, saying what to fix.
@Suite(.tags(.inventory))
struct InventoryHostileInputTests {
    @Test("Each hostile inventory fails at the offending node with a message saying what to fix", arguments: BadInventory.hostile)
    func hostileInventory(_ bad: BadInventory) {
        let error = #expect(throws: InputError.self) {
            try InventoryFixtures.parse(bad.yaml)
        }
        guard let error else { return }
        #expect(error.file == "test.yaml")
        #expect(error.line == bad.line, "\(error)")
        #expect(error.column == bad.column, "\(error)")
        #expect(error.message.contains(bad.phrase), "\(error)")
    }

    @Test("The bounds themselves are accepted", arguments: [
        ("measurement: {udp_rate: 100G}", 100e9), ("measurement: {udp_rate: 1K}", 1e3),
        ("thresholds: {regression_tolerance: 1000}", 1000), ("thresholds: {noisy_cv: 1000}", 1000),
    ])
    func bounds(line: String, value: Double) throws {
        let inventory = try InventoryFixtures.parse("hosts: [{name: h1, address: 198.18.0.11}]\n\(line)\n")
        let read = line.hasPrefix("measurement")
            ? inventory.measurement.udpRateBitsPerSecond
            : line.contains("noisy_cv") ? inventory.thresholds.noisyCoefficientOfVariationPercent
            : inventory.thresholds.regressionTolerancePercent
        #expect(read == value)
    }

    @Test("A User from the ssh config with shell characters is refused at the ssh_alias")
    func sshConfigUser() throws {
        let path = InventoryFixtures.root + "/ssh_config_evil_\(UUID().uuidString.prefix(6))"
        try "Host evil\n    HostName 198.18.0.20\n    User root;reboot\n".write(toFile: path, atomically: true, encoding: .utf8)
        let config = try SSHConfig.load(path: path, homeDirectory: InventoryFixtures.home)
        let error = #expect(throws: InputError.self) {
            try InventoryLoader.parse(
                yaml: "hosts:\n  - name: h1\n    ssh_alias: evil\n", file: "test.yaml",
                baseDirectory: InventoryFixtures.inventoryDirectory, sshConfig: config, homeDirectory: InventoryFixtures.home)
        }
        #expect(error?.line == 3)
        #expect(error?.column == 16)
        #expect(error?.message.contains("User 'root;reboot' of ssh_alias 'evil' in host 'h1' must be a login name") == true,
                "\(String(describing: error))")
    }

    @Test("Plain names for users, interfaces and sockets still load")
    func plainStrings() throws {
        let inventory = try InventoryFixtures.parse(
            """
            hosts:
              - name: node-1.lab_a
                address: 198.18.0.11
                user: ci.runner-2
                interface: enp0s3.100
                docker_socket: /run/user/1000/docker.sock
            """)
        let host = try #require(inventory.hosts.first)
        #expect(host.name == "node-1.lab_a")
        #expect(host.user == "ci.runner-2")
        #expect(host.interface == "enp0s3.100")
        #expect(host.dockerSocket == "/run/user/1000/docker.sock")
    }

    @Test("Overlay subnet, swarm pool and macvlan subnet that do not overlap load")
    func disjointNetworks() throws {
        let inventory = try InventoryFixtures.parse(
            """
            hosts: [{name: h1, address: 198.18.0.11, interface: eth0}]
            network:
              macvlan: {subnet: 198.18.0.0/24, gateway: 198.18.0.1, ranges: {h1: 198.18.0.64/28}}
              overlay: {subnet: 198.19.240.0/24, swarm_address_pool: 198.19.0.0/17}
            """)
        #expect(inventory.network.overlaySubnet == "198.19.240.0/24")
        #expect(inventory.network.swarmAddressPool == "198.19.0.0/17")
        // The virtual lab's layout: the overlay subnet inside the swarm pool.
        let lab = try InventoryFixtures.parse(
            """
            hosts: [{name: h1, address: 198.18.0.11}]
            network:
              overlay: {subnet: 198.19.240.0/24, swarm_address_pool: 198.19.128.0/17}
            """)
        #expect(lab.network.swarmAddressPool == "198.19.128.0/17")
    }
}

extension BadInventory {
    static let hostile: [BadInventory] = [
        BadInventory(
            name: "absurd UDP rate",
            yaml: """
                hosts: [{name: h1, address: 198.18.0.11}]
                measurement: {udp_rate: 10000000000G}
                """, line: 2, column: 25, phrase: "'udp_rate' in 'measurement' must be at most 100G (100 Gbit/s), got 10000000000G"),
        BadInventory(
            name: "UDP rate just above the bound",
            yaml: """
                hosts: [{name: h1, address: 198.18.0.11}]
                measurement:
                  udp_rate: 100001M
                """, line: 3, column: 13, phrase: "must be at most 100G"),
        BadInventory(
            name: "UDP rate below 1K",
            yaml: """
                hosts: [{name: h1, address: 198.18.0.11}]
                measurement: {udp_rate: 10}
                """, line: 2, column: 25, phrase: "must be at least 1K"),
        BadInventory(
            name: "duration beyond Int",
            yaml: """
                hosts: [{name: h1, address: 198.18.0.11}]
                measurement: {duration: 99999999999999999999999}
                """, line: 2, column: 25, phrase: "'duration' in 'measurement' must be an integer from 1 to 3600"),
        BadInventory(
            name: "parallel streams above the bound",
            yaml: """
                hosts: [{name: h1, address: 198.18.0.11}]
                measurement: {parallel_streams: 129}
                """, line: 2, column: 33, phrase: "must be from 1 to 128, got 129"),
        BadInventory(
            name: "repeats above the bound",
            yaml: """
                hosts: [{name: h1, address: 198.18.0.11}]
                measurement: {repeats: 101}
                """, line: 2, column: 24, phrase: "must be from 1 to 100, got 101"),
        BadInventory(
            name: "regression tolerance above the bound",
            yaml: """
                hosts: [{name: h1, address: 198.18.0.11}]
                thresholds: {regression_tolerance: 1e300}
                """, line: 2, column: 36, phrase: "'regression_tolerance' in 'thresholds' is a percentage and must be at most 1000"),
        BadInventory(
            name: "noisy_cv above the bound",
            yaml: """
                hosts: [{name: h1, address: 198.18.0.11}]
                thresholds:
                  noisy_cv: 5000
                """, line: 3, column: 13, phrase: "must be at most 1000, got 5000"),
        BadInventory(
            name: "overlay subnet overlapping the macvlan subnet",
            yaml: """
                hosts: [{name: h1, address: 198.18.0.11, interface: eth0}]
                network:
                  macvlan: {subnet: 198.18.0.0/24, gateway: 198.18.0.1, ranges: {h1: 198.18.0.64/28}}
                  overlay:
                    subnet: 198.18.0.128/25
                """, line: 5, column: 13,
            phrase: "the overlay subnet 'network.overlay.subnet' 198.18.0.128/25 overlaps the macvlan subnet 'network.macvlan.subnet' 198.18.0.0/24"),
        BadInventory(
            name: "swarm pool inside a larger overlay subnet",
            yaml: """
                hosts: [{name: h1, address: 198.18.0.11}]
                network:
                  overlay:
                    subnet: 198.19.0.0/16
                    swarm_address_pool: 198.19.128.0/17
                """, line: 5, column: 25,
            phrase: "the swarm address pool 'network.overlay.swarm_address_pool' 198.19.128.0/17 overlaps the overlay subnet 'network.overlay.subnet' 198.19.0.0/16; give each network its own addresses (the overlay subnet may also lie wholly inside the pool)"),
        BadInventory(
            name: "swarm pool inside the macvlan subnet",
            yaml: """
                hosts: [{name: h1, address: 198.18.0.11, interface: eth0}]
                network:
                  macvlan: {subnet: 198.18.0.0/16, gateway: 198.18.0.1, ranges: {h1: 198.18.0.64/28}}
                  overlay: {swarm_address_pool: 198.18.128.0/17}
                """, line: 4, column: 33, phrase: "overlaps the macvlan subnet"),
        BadInventory(
            name: "host name with a command substitution",
            yaml: """
                hosts:
                  - name: "$(reboot)"
                    address: 198.18.0.11
                """, line: 2, column: 11, phrase: "host name '$(reboot)' is not valid"),
        BadInventory(
            name: "host name with a semicolon",
            yaml: """
                hosts:
                  - name: h1;reboot
                    address: 198.18.0.11
                """, line: 2, column: 11, phrase: "host name 'h1;reboot' is not valid"),
        BadInventory(
            name: "host name with a backquote",
            yaml: """
                hosts:
                  - name: h1`id`
                    address: 198.18.0.11
                """, line: 2, column: 11, phrase: "is not valid; use at most 63 letters"),
        BadInventory(
            name: "host name with a newline",
            yaml: """
                hosts:
                  - name: "h1\\nid"
                    address: 198.18.0.11
                """, line: 2, column: 11, phrase: "is not valid"),
        BadInventory(
            name: "interface with a command substitution",
            yaml: """
                hosts:
                  - name: h1
                    address: 198.18.0.11
                    interface: $(reboot)
                """, line: 4, column: 16, phrase: "'interface' in host 'h1' must be a network interface name"),
        BadInventory(
            name: "interface with a semicolon",
            yaml: """
                hosts:
                  - name: h1
                    address: 198.18.0.11
                    interface: eth0;reboot
                """, line: 4, column: 16, phrase: "got 'eth0;reboot'"),
        BadInventory(
            name: "interface with a space in defaults",
            yaml: """
                defaults:
                  interface: "eth0 x"
                hosts: [{name: h1, address: 198.18.0.11}]
                """, line: 2, column: 14, phrase: "'interface' in 'defaults' must be a network interface name"),
        BadInventory(
            name: "address with a command substitution",
            yaml: """
                hosts:
                  - name: h1
                    address: $(reboot)
                """, line: 3, column: 14, phrase: "is neither an IP address nor a DNS name"),
        BadInventory(
            name: "user with a semicolon",
            yaml: """
                hosts:
                  - name: h1
                    address: 198.18.0.11
                    user: root;reboot
                """, line: 4, column: 11, phrase: "'user' in host 'h1' must be a login name"),
        BadInventory(
            name: "user starting with a dash",
            yaml: """
                hosts:
                  - name: h1
                    address: 198.18.0.11
                    user: -oProxyCommand=id
                """, line: 4, column: 11, phrase: "must be a login name"),
        BadInventory(
            name: "docker socket with a command substitution",
            yaml: """
                hosts:
                  - name: h1
                    address: 198.18.0.11
                    docker_socket: /run/$(id).sock
                """, line: 4, column: 20, phrase: "'docker_socket' in host 'h1' may hold only letters, digits"),
        BadInventory(
            name: "docker socket climbing out with ..",
            yaml: """
                hosts:
                  - name: h1
                    address: 198.18.0.11
                    docker_socket: /run/../etc/docker.sock
                """, line: 4, column: 20, phrase: "may hold only letters"),
        BadInventory(
            name: "duplicate host",
            yaml: """
                hosts:
                  - name: h1
                    address: 198.18.0.11
                  - name: h1
                    address: 198.18.0.12
                """, line: 4, column: 11, phrase: "duplicate host name 'h1' (already used at line 2)"),
        BadInventory(
            name: "quoted port",
            yaml: """
                hosts:
                  - name: h1
                    address: 198.18.0.11
                    port: "22"
                """, line: 4, column: 11, phrase: "'port' in host 'h1' must be an integer from 1 to 65535, got the string '22'; remove the quotes"),
        BadInventory(
            name: "missing identity",
            yaml: """
                hosts:
                  - name: h1
                    address: 198.18.0.11
                    identity: keys/no_such_key
                """, line: 4, column: 15, phrase: "identity file \(InventoryFixtures.inventoryDirectory)/keys/no_such_key in host 'h1' does not exist"),
        BadInventory(
            name: "empty host list",
            yaml: """
                hosts: []
                """, line: 1, column: 8, phrase: "'hosts' is empty; list at least one host"),
    ]
}
