import Foundation
import Testing

@testable import Crossnet

@Suite("Lab options: a lab that looks real", .tags(.lab))
struct LabOptionsTests {
    static let plan = try! LabAddressPlan.make(labID: "ab12c", hostCount: 3, subnet: "198.18.121.0/24")

    @Test("The lab's ssh_config resolves through libssh: aliases, user, port, key, known_hosts, ProxyJump h1")
    func sshConfigResolves() throws {
        let folder = NSTemporaryDirectory() + "crossnet-labconfig-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let text = LabInventoryWriter.sshConfig(plan: Self.plan, directory: folder, options: .lookReal)
        try text.write(toFile: folder + "/ssh_config", atomically: true, encoding: .utf8)
        try LabInventoryWriter.yaml(plan: Self.plan, directory: folder, options: .lookReal)
            .write(toFile: folder + "/inventory.yaml", atomically: true, encoding: .utf8)

        let inventory = try InventoryLoader.load(path: folder + "/inventory.yaml", sshConfigPath: folder + "/ssh_config")
        #expect(inventory.hosts.map(\.address) == ["198.18.121.11", "198.18.121.12", "198.18.121.13"])
        #expect(inventory.hosts.allSatisfy {
            $0.user == "crossnet" && $0.port == 2222 && $0.interface == "ens3" && $0.knownHostsFile == folder + "/known_hosts"
        })
        let bastion = SSHHop(name: "h1", address: "198.18.121.11", port: 2222, user: "crossnet", knownHostsFile: folder + "/known_hosts")
        #expect(inventory.hosts.map(\.proxyJump) == [[], [bastion], [bastion]])
        #expect(try SSHConfig(path: folder + "/ssh_config").settings(for: "h2").identityFile == folder + "/id_ed25519")
    }

    @Test("Without a bastion the inventory keeps addresses and carries user, port and interface")
    func plainInventory() throws {
        let folder = NSTemporaryDirectory() + "crossnet-labinv-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        FileManager.default.createFile(atPath: folder + "/id_ed25519", contents: Data("key".utf8))
        let options = LabOptions(sshUser: "ops", sshPort: 2200, interfaceName: "ens4")
        let yaml = LabInventoryWriter.yaml(plan: Self.plan, directory: folder, options: options)
        let inventory = try InventoryLoader.parse(yaml: yaml, file: "inventory.yaml", baseDirectory: folder)
        #expect(inventory.hosts.allSatisfy { $0.user == "ops" && $0.port == 2200 && $0.interface == "ens4" && $0.sshAlias == nil })
    }

    @Test("Forwarding: all allowed by default; forbidden stream-local keeps TCP forwarding on the bastion only")
    func forwarding() {
        #expect(VirtualLab.forwardingSettings(options: .lookReal, isBastion: true) == "AllowStreamLocalForwarding yes\nAllowTcpForwarding yes")
        var options = LabOptions.lookReal
        options.forbidStreamLocalForwarding = true
        #expect(VirtualLab.forwardingSettings(options: options, isBastion: true) == "AllowStreamLocalForwarding no\nAllowTcpForwarding yes")
        #expect(VirtualLab.forwardingSettings(options: options, isBastion: false) == "DisableForwarding yes")
    }

    @Test("Bad options are input errors", arguments: [
        LabOptions(sshUser: "root"), LabOptions(sshUser: "Bad User"), LabOptions(sshPort: 0),
        LabOptions(interfaceName: "a-name-longer-than-15"), LabOptions(interfaceName: "lo"), LabOptions(bastion: true),
    ])
    func invalid(options: LabOptions) {
        #expect(throws: InputError.self) { try options.validate(hostCount: options.bastion ? 1 : 3) }
    }

    @Test("--look-real is user crossnet, port 2222, ens3, bastion")
    func lookReal() throws {
        #expect(LabOptions.lookReal == LabOptions(sshUser: "crossnet", sshPort: 2222, interfaceName: "ens3", bastion: true))
        try LabOptions.lookReal.validate(hostCount: 3)
    }
}
