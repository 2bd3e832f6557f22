import Foundation
import Testing

@testable import Crossnet

extension Tag {
    /// Tests of the inventory layer: YAML loading, validation, ssh config resolution.
    @Tag static var inventory: Self
}

/// Files the inventory tests need on disk, made once per test run in a fresh temp folder.
///
/// Layout:
/// - `inventory/` — where inventories are written; `keys/id_ed25519`, `keys/id_h2` inside it,
///   and `keys/folder/` (a folder, not a key).
/// - `home/` — the home directory: `keys/home_key`, `keys/lab_key`.
enum InventoryFixtures {
    static let root: String = {
        let root = NSTemporaryDirectory() + "crossnet-inventory-\(UUID().uuidString)"
        let files = [
            "inventory/keys/id_ed25519", "inventory/keys/id_h2", "home/keys/home_key", "home/keys/lab_key",
        ]
        let manager = FileManager.default
        try! manager.createDirectory(atPath: root + "/inventory/keys/folder", withIntermediateDirectories: true)
        try! manager.createDirectory(atPath: root + "/home/keys", withIntermediateDirectories: true)
        for file in files {
            // Not real keys: the loader only checks that the files exist and can be read.
            try! "-----BEGIN OPENSSH PRIVATE KEY-----\nfixture\n-----END OPENSSH PRIVATE KEY-----\n"
                .write(toFile: root + "/" + file, atomically: true, encoding: .utf8)
        }
        return root
    }()

    static var inventoryDirectory: String { root + "/inventory" }
    static var home: String { root + "/home" }

    /// A checked-in fixture file under `Fixtures/inventory/`.
    static func fixturePath(_ name: String) -> String {
        Bundle.module.resourceURL!.appendingPathComponent("Fixtures/inventory/\(name)").path
    }

    static func fixtureText(_ name: String) throws -> String {
        try String(contentsOfFile: fixturePath(name), encoding: .utf8)
    }

    static func sshConfig() throws -> SSHConfig {
        try SSHConfig.load(path: fixturePath("ssh_config"), homeDirectory: home)
    }

    /// Parses `yaml` as if it were `inventory/test.yaml`, with the fixture ssh config and the
    /// fixture name lookup (no DNS query leaves the machine).
    static func parse(_ yaml: String, lookup: @escaping DataAddress.Lookup = InventoryFixtures.lookup) throws -> Inventory {
        try InventoryLoader.parse(
            yaml: yaml, file: "test.yaml", baseDirectory: inventoryDirectory, sshConfig: try sshConfig(),
            homeDirectory: home, lookup: lookup)
    }

    /// Names the fixtures use, as a resolver would answer them; any other name fails the way
    /// getaddrinfo does for an unknown name ("Name or service not known").
    static let lookup: DataAddress.Lookup = { name in
        switch name {
        case "h2.lab.example": return ["fd00:18::12", "198.18.0.12"]
        case "data-h1.lab.example": return ["198.18.1.11"]
        case "tunnel.lab.example": return ["127.0.0.1"]
        default: throw DataAddress.LookupError(name: name, reason: "getaddrinfo: Name or service not known")
        }
    }
}
