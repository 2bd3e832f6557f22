import Foundation
import Testing

@testable import Crossnet

@Suite(.tags(.inventory))
struct InventoryLoaderTests {
    @Test("A full inventory parses with defaults applied, aliases resolved and paths made absolute")
    func fullExample() throws {
        let directory = InventoryFixtures.inventoryDirectory
        let home = InventoryFixtures.home
        let path = directory + "/full.yaml"
        try InventoryFixtures.fixtureText("full.yaml").write(toFile: path, atomically: true, encoding: .utf8)

        let inventory = try InventoryLoader.load(
            path: path, sshConfigPath: InventoryFixtures.fixturePath("ssh_config"), homeDirectory: home,
            lookup: InventoryFixtures.lookup)

        #expect(inventory.sourcePath == path)
        #expect(inventory.hosts.map(\.name) == ["h1", "h2", "h3"])
        #expect(
            inventory.hosts[0]
                == HostConfig(
                    name: "h1", address: "198.18.0.11", port: 2022, user: "crossnet",
                    identityFiles: [directory + "/keys/id_ed25519"], knownHostsFile: directory + "/known_hosts",
                    interface: "eth0", dockerSocket: "/var/run/docker.sock"))
        #expect(
            inventory.hosts[1]
                == HostConfig(
                    name: "h2", address: "h2.lab.example", dataAddress: "198.18.0.12", dataAddressName: "h2.lab.example",
                    port: 22, user: "root",
                    identityFiles: [directory + "/keys/id_h2", home + "/keys/home_key"],
                    knownHostsFile: home + "/.ssh/lab_known_hosts", interface: "ens3",
                    dockerSocket: "/run/docker.sock"))
        // ssh config values beat `defaults` (libssh 0.10: `Host *` gives the Port once HostName
        // applied); the config's IdentityFile entries are libssh's to try, so none are listed here.
        #expect(
            inventory.hosts[2]
                == HostConfig(
                    name: "h3", address: "198.18.0.13", sshAlias: "lab-h3", port: 2201, user: "labuser",
                    identityFiles: [], knownHostsFile: directory + "/known_hosts",
                    interface: "eth0", dockerSocket: "/var/run/docker.sock",
                    sshConfigFile: InventoryFixtures.fixturePath("ssh_config")))
        #expect(
            inventory.network
                == NetworkSettings(
                    macvlan: MacvlanSettings(
                        subnet: "198.18.0.0/24", gateway: "198.18.0.1",
                        ranges: ["h1": "198.18.0.64/28", "h2": "198.18.0.80/28", "h3": "198.18.0.96/28"]),
                    overlaySubnet: "198.19.240.0/24"))
        #expect(
            inventory.measurement
                == MeasurementSettings(
                    durationSeconds: 5, repeats: 2, pairs: .star, parallelStreams: 8, udpRateBitsPerSecond: 500e6,
                    latencySamples: 1000))
        #expect(
            inventory.thresholds
                == Thresholds(regressionTolerancePercent: 7.5, noisyCoefficientOfVariationPercent: 12, cpuBoundPercent: 85))
    }

    @Test("A minimal inventory gets every default")
    func minimalDefaults() throws {
        let inventory = try InventoryFixtures.parse(
            """
            hosts:
              - name: h1
                address: 198.18.0.11
            """)
        #expect(
            inventory
                == Inventory(
                    hosts: [
                        HostConfig(
                            name: "h1", address: "198.18.0.11", port: 22, user: "root", identityFiles: [],
                            knownHostsFile: InventoryFixtures.home + "/.ssh/known_hosts", interface: nil,
                            dockerSocket: "/var/run/docker.sock")
                    ],
                    network: NetworkSettings(), measurement: MeasurementSettings(), thresholds: Thresholds()))
    }

    @Test("udp_rate accepts plain numbers and SI suffixes", arguments: [
        ("1G", 1e9), ("500M", 5e8), ("2.5g", 2.5e9), ("100k", 1e5), ("1000000", 1e6),
    ])
    func udpRate(text: String, bitsPerSecond: Double) throws {
        let inventory = try InventoryFixtures.parse(
            """
            hosts: [{name: h1, address: 198.18.0.11}]
            measurement: {udp_rate: \(text)}
            """)
        #expect(inventory.measurement.udpRateBitsPerSecond == bitsPerSecond)
    }

    @Test("An IPv6 address and an IPv6 overlay subnet are accepted")
    func ipv6() throws {
        let inventory = try InventoryFixtures.parse(
            """
            hosts: [{name: h1, address: "fd00::11"}, {name: h2, address: "fd00::12"}]
            network: {overlay: {subnet: "fd00:1::/64"}}
            """)
        #expect(inventory.hosts.map(\.address) == ["fd00::11", "fd00::12"])
        #expect(inventory.network.overlaySubnet == "fd00:1::/64")
    }

    @Test("Errors print as file:line:column: message")
    func errorDescription() {
        let error = #expect(throws: InputError.self) {
            try InventoryFixtures.parse("hosts: []\n")
        }
        #expect(error?.description.hasPrefix("test.yaml:1:8: 'hosts' is empty") == true)
        #expect(error?.isInputError == true)
    }

    @Test("A missing inventory file is an input error naming the path")
    func missingFile() {
        let error = #expect(throws: InputError.self) {
            try InventoryLoader.load(path: InventoryFixtures.root + "/nope.yaml", homeDirectory: InventoryFixtures.home)
        }
        #expect(error?.message.contains("nope.yaml does not exist") == true)
    }

    @Test("An explicit ssh config that does not exist is an input error")
    func missingSSHConfig() throws {
        let path = InventoryFixtures.inventoryDirectory + "/small.yaml"
        try "hosts: [{name: h1, address: 198.18.0.11}]\n".write(toFile: path, atomically: true, encoding: .utf8)
        let error = #expect(throws: InputError.self) {
            try InventoryLoader.load(
                path: path, sshConfigPath: InventoryFixtures.root + "/no_config", homeDirectory: InventoryFixtures.home)
        }
        #expect(error?.message.contains("cannot read the ssh config file") == true)
        // Without an explicit path, a missing ~/.ssh/config is simply empty.
        #expect(try InventoryLoader.load(path: path, homeDirectory: InventoryFixtures.home).hosts.count == 1)
    }

    @Test(
        "An identity file without read permission is rejected, naming the path",
        .enabled(if: getuid() != 0, "root can read any file, so permissions cannot make it unreadable"))
    func unreadableIdentity() throws {
        let path = InventoryFixtures.root + "/inventory/keys/locked_\(UUID().uuidString)"
        try "key".write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o000], ofItemAtPath: path)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let error = #expect(throws: InputError.self) {
            try InventoryFixtures.parse("hosts: [{name: h1, address: 198.18.0.11, identity: \(path)}]\n")
        }
        #expect(error?.line == 1)
        #expect(error?.message.contains("identity file \(path) in host 'h1' is not readable") == true)
    }

    @Test("Each bad inventory fails at the offending node with a message saying what to fix", arguments: BadInventory.all)
    func badInventory(_ bad: BadInventory) {
        let error = #expect(throws: InputError.self) {
            try InventoryFixtures.parse(bad.yaml)
        }
        guard let error else { return }
        #expect(error.file == "test.yaml")
        #expect(error.line == bad.line, "\(error)")
        #expect(error.column == bad.column, "\(error)")
        #expect(error.message.contains(bad.phrase), "\(error)")
    }
}

/// An inventory that must be rejected, where, and with which words.
struct BadInventory: Sendable, CustomTestStringConvertible {
    var name: String
    var yaml: String
    var line: Int
    var column: Int
    var phrase: String

    var testDescription: String { name }

    static let all: [BadInventory] = [
        BadInventory(
            name: "unknown host key with a suggestion",
            yaml: """
                hosts:
                  - name: h1
                    address: 198.18.0.11
                  - name: h2
                    adress: 198.18.0.12
                """, line: 5, column: 5,
            phrase: "unknown key 'adress' in host 'h2' (did you mean 'address'?); allowed keys: name, address"),
        BadInventory(
            name: "unknown top-level key",
            yaml: """
                host:
                  - name: h1
                """, line: 1, column: 1, phrase: "unknown key 'host' in the inventory (did you mean 'hosts'?)"),
        BadInventory(
            name: "unknown key in measurement",
            yaml: """
                hosts: [{name: h1, address: 198.18.0.11}]
                measurement:
                  streams: 4
                """, line: 3, column: 3, phrase: "unknown key 'streams' in 'measurement'"),
        BadInventory(
            name: "string where an integer is expected",
            yaml: """
                hosts:
                  - name: h1
                    address: 198.18.0.11
                measurement:
                  duration: ten
                """, line: 5, column: 13,
            phrase: "'duration' in 'measurement' must be an integer from 1 to 3600, got the string 'ten'"),
        BadInventory(
            name: "quoted port",
            yaml: """
                hosts:
                  - name: h1
                    address: 198.18.0.11
                    port: "22"
                """, line: 4, column: 11, phrase: "remove the quotes"),
        BadInventory(
            name: "list where a string is expected",
            yaml: """
                hosts:
                  - name: h1
                    address: [198.18.0.11]
                """, line: 3, column: 14, phrase: "'address' in host 'h1' must be a string, got a list"),
        BadInventory(
            name: "hosts is a mapping",
            yaml: """
                hosts:
                  h1: 198.18.0.11
                """, line: 2, column: 3, phrase: "'hosts' must be a list of hosts"),
        BadInventory(
            name: "missing name",
            yaml: """
                hosts:
                  - name: h1
                    address: 198.18.0.11
                  - address: 198.18.0.12
                """, line: 4, column: 5, phrase: "host #2 is missing required key 'name'"),
        BadInventory(
            name: "missing hosts",
            yaml: """
                measurement:
                  repeats: 3
                """, line: 1, column: 1, phrase: "the inventory is missing required key 'hosts'"),
        BadInventory(
            name: "invalid host name",
            yaml: """
                hosts:
                  - name: "h 1"
                    address: 198.18.0.11
                """, line: 2, column: 11, phrase: "host name 'h 1' is not valid"),
        BadInventory(
            name: "duplicate host name",
            yaml: """
                hosts:
                  - name: h1
                    address: 198.18.0.11
                  - name: h1
                    address: 198.18.0.12
                """, line: 4, column: 11, phrase: "duplicate host name 'h1' (already used at line 2)"),
        BadInventory(
            name: "duplicate address",
            yaml: """
                hosts:
                  - name: h1
                    address: 198.18.0.11
                  - name: h2
                    address: 198.18.0.11
                """, line: 5, column: 14,
            phrase: "host 'h2' has the same address and port (198.18.0.11:22) as host 'h1'"),
        BadInventory(
            name: "duplicate address after alias resolution",
            yaml: """
                hosts:
                  - name: h1
                    address: 198.18.0.13
                    port: 2201
                  - name: h3
                    ssh_alias: lab-h3
                """, line: 6, column: 16, phrase: "same address and port (198.18.0.13:2201) as host 'h1'"),
        BadInventory(
            name: "port 0",
            yaml: """
                hosts:
                  - name: h1
                    address: 198.18.0.11
                    port: 0
                """, line: 4, column: 11, phrase: "'port' in host 'h1' must be from 1 to 65535, got 0"),
        BadInventory(
            name: "port 70000",
            yaml: """
                defaults:
                  port: 70000
                hosts:
                  - name: h1
                    address: 198.18.0.11
                """, line: 2, column: 9, phrase: "'port' in 'defaults' must be from 1 to 65535, got 70000"),
        BadInventory(
            name: "both address and ssh_alias",
            yaml: """
                hosts:
                  - name: h1
                    address: 198.18.0.11
                    ssh_alias: lab-h3
                """, line: 4, column: 5, phrase: "host 'h1' has both 'address' and 'ssh_alias'; keep exactly one"),
        BadInventory(
            name: "neither address nor ssh_alias",
            yaml: """
                hosts:
                  - name: h1
                    user: root
                """, line: 2, column: 5, phrase: "host 'h1' needs exactly one of 'address'"),
        BadInventory(
            name: "unknown ssh alias",
            yaml: """
                hosts:
                  - name: h1
                    ssh_alias: lab9
                """, line: 3, column: 16, phrase: "ssh_alias 'lab9' in host 'h1' matches no Host entry"),
        BadInventory(
            name: "alias matched only by Host *",
            yaml: """
                hosts:
                  - name: h1
                    ssh_alias: elsewhere
                """, line: 3, column: 16, phrase: "add a 'Host elsewhere' block"),
        BadInventory(
            name: "invalid IP address",
            yaml: """
                hosts:
                  - name: h1
                    address: 198.18.0.300
                """, line: 3, column: 14, phrase: "address '198.18.0.300' in host 'h1' is not a valid IP address"),
        BadInventory(
            name: "bad CIDR prefix",
            yaml: """
                hosts: [{name: h1, address: 198.18.0.11}]
                network:
                  macvlan:
                    subnet: 198.18.0.0/33
                    gateway: 198.18.0.1
                    ranges: {h1: 198.18.0.64/28}
                """, line: 4, column: 13, phrase: "prefix length '/33' must be from 0 to 32"),
        BadInventory(
            name: "CIDR with a bad address",
            yaml: """
                hosts: [{name: h1, address: 198.18.0.11}]
                network:
                  overlay:
                    subnet: 198.19.240/24
                """, line: 4, column: 13, phrase: "'198.19.240' is not a valid IP address"),
        BadInventory(
            name: "CIDR with host bits set",
            yaml: """
                hosts: [{name: h1, address: 198.18.0.11}]
                network:
                  macvlan:
                    subnet: 198.18.0.0/24
                    gateway: 198.18.0.1
                    ranges: {h1: 198.18.0.70/28}
                """, line: 6, column: 18, phrase: "has host bits set; did you mean 198.18.0.64/28?"),
        BadInventory(
            name: "macvlan without gateway",
            yaml: """
                hosts: [{name: h1, address: 198.18.0.11}]
                network:
                  macvlan:
                    subnet: 198.18.0.0/24
                    ranges: {h1: 198.18.0.64/28}
                """, line: 4, column: 5, phrase: "'network.macvlan' is missing required key 'gateway'"),
        BadInventory(
            name: "overlapping macvlan ranges",
            yaml: """
                hosts: [{name: h1, address: 198.18.0.11}, {name: h2, address: 198.18.0.12}]
                network:
                  macvlan:
                    subnet: 198.18.0.0/24
                    gateway: 198.18.0.1
                    ranges:
                      h1: 198.18.0.64/27
                      h2: 198.18.0.80/28
                """, line: 8, column: 11,
            phrase: "macvlan range 198.18.0.80/28 of host 'h2' overlaps range 198.18.0.64/27 of host 'h1'"),
        BadInventory(
            name: "macvlan range outside the subnet",
            yaml: """
                hosts: [{name: h1, address: 198.18.0.11}]
                network:
                  macvlan:
                    subnet: 198.18.0.0/24
                    gateway: 198.18.0.1
                    ranges:
                      h1: 198.18.1.64/28
                """, line: 7, column: 11, phrase: "macvlan range 198.18.1.64/28 of host 'h1' is outside the subnet 198.18.0.0/24"),
        BadInventory(
            name: "gateway inside a range",
            yaml: """
                hosts: [{name: h1, address: 198.18.0.11}]
                network:
                  macvlan:
                    subnet: 198.18.0.0/24
                    gateway: 198.18.0.65
                    ranges: {h1: 198.18.0.64/28}
                """, line: 6, column: 18, phrase: "contains the gateway 198.18.0.65"),
        BadInventory(
            name: "gateway outside the subnet",
            yaml: """
                hosts: [{name: h1, address: 198.18.0.11}]
                network:
                  macvlan:
                    subnet: 198.18.0.0/24
                    gateway: 198.18.9.1
                    ranges: {h1: 198.18.0.64/28}
                """, line: 5, column: 14, phrase: "gateway 198.18.9.1 is outside the macvlan subnet 198.18.0.0/24"),
        BadInventory(
            name: "range for an unknown host",
            yaml: """
                hosts: [{name: h1, address: 198.18.0.11}]
                network:
                  macvlan:
                    subnet: 198.18.0.0/24
                    gateway: 198.18.0.1
                    ranges: {h2: 198.18.0.64/28}
                """, line: 6, column: 14, phrase: "'h2' in 'network.macvlan.ranges' is not a host in 'hosts'"),
        BadInventory(
            name: "identity file missing",
            yaml: """
                hosts:
                  - name: h1
                    address: 198.18.0.11
                    identity:
                      - keys/id_ed25519
                      - keys/id_missing
                """, line: 6, column: 9,
            phrase: "identity file \(InventoryFixtures.inventoryDirectory)/keys/id_missing in host 'h1' does not exist"),
        BadInventory(
            name: "identity is a folder, not a readable key",
            yaml: """
                defaults:
                  identity: keys/folder
                hosts: [{name: h1, address: 198.18.0.11}]
                """, line: 2, column: 13,
            phrase: "identity file \(InventoryFixtures.inventoryDirectory)/keys/folder in 'defaults' is a folder"),
        BadInventory(
            name: "YAML syntax error",
            yaml: """
                hosts:
                  - name: h1
                    address: 198.18.0.11
                   user: root
                """, line: 4, column: 4, phrase: "YAML syntax error"),
        BadInventory(
            name: "duplicate key in a mapping",
            yaml: """
                hosts:
                  - name: h1
                    address: 198.18.0.11
                    address: 198.18.0.12
                """, line: 3, column: 5, phrase: "duplicate key 'address' in the same mapping"),
        BadInventory(
            name: "empty hosts list",
            yaml: """
                hosts: []
                """, line: 1, column: 8, phrase: "'hosts' is empty"),
        BadInventory(
            name: "empty file",
            yaml: "# nothing yet\n", line: 1, column: 1, phrase: "the inventory is empty"),
        BadInventory(
            name: "unknown pair mode",
            yaml: """
                hosts: [{name: h1, address: 198.18.0.11}]
                measurement: {pairs: ring}
                """, line: 2, column: 22, phrase: "'pairs' in 'measurement' must be one of mesh, star, got 'ring'"),
        BadInventory(
            name: "bad udp rate",
            yaml: """
                hosts: [{name: h1, address: 198.18.0.11}]
                measurement: {udp_rate: 1T}
                """, line: 2, column: 25, phrase: "'udp_rate' in 'measurement' must be a positive rate in bits/s"),
        BadInventory(
            name: "latency samples out of range",
            yaml: """
                hosts: [{name: h1, address: 198.18.0.11}]
                measurement:
                  latency_samples: 5
                """, line: 3, column: 20, phrase: "must be from 10 to 100000, got 5"),
        BadInventory(
            name: "zero threshold",
            yaml: """
                hosts: [{name: h1, address: 198.18.0.11}]
                thresholds:
                  noisy_cv: 0
                """, line: 3, column: 13, phrase: "'noisy_cv' in 'thresholds' is a percentage and must be greater than 0"),
        BadInventory(
            name: "relative docker socket",
            yaml: """
                hosts:
                  - name: h1
                    address: 198.18.0.11
                    docker_socket: run/docker.sock
                """, line: 4, column: 20, phrase: "must be an absolute path"),
    ]
}
