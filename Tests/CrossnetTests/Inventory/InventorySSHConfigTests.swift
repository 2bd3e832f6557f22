import Foundation
import Testing

@testable import Crossnet

@Suite(.tags(.inventory))
struct InventorySSHConfigTests {
    static let home = "/home/tester"

    static func fixture() throws -> SSHConfig {
        try SSHConfig.load(path: InventoryFixtures.fixturePath("ssh_config"), homeDirectory: home)
    }

    @Test(
        "Aliases resolve with OpenSSH first-wins semantics across every matching block",
        arguments: [
            // Specific block first: its values win; Port comes from `lab-*`; IdentityFiles accumulate.
            (
                "lab-h3",
                SSHConfig.Resolved(
                    hostName: "198.18.0.13", user: "labuser", port: 2200,
                    identityFiles: [
                        "\(home)/keys/lab_key", "\(home)/keys/missing_key", "\(home)/keys/common_key",
                        "\(home)/keys/star_key",
                    ])
            ),
            // Second pattern on a `Host` line; `key=value` and `key = value`; the later HostName loses.
            (
                "lab-h5",
                SSHConfig.Resolved(
                    hostName: "198.18.0.14", user: "fallback", port: 2222,
                    identityFiles: ["\(home)/keys/common_key", "\(home)/keys/star_key"])
            ),
            // Negated pattern: `lab-bastion` is excluded from `lab-*`, so `Host *` supplies User and Port.
            (
                "lab-bastion",
                SSHConfig.Resolved(
                    hostName: "bastion.example.net", user: "everyone", port: 2201,
                    identityFiles: ["\(home)/keys/star_key"])
            ),
            // Case-insensitive host matching.
            (
                "LAB-H3",
                SSHConfig.Resolved(
                    hostName: "198.18.0.13", user: "labuser", port: 2200,
                    identityFiles: [
                        "\(home)/keys/lab_key", "\(home)/keys/missing_key", "\(home)/keys/common_key",
                        "\(home)/keys/star_key",
                    ])
            ),
            // `?` wildcard and `%h` in HostName.
            (
                "web1",
                SSHConfig.Resolved(
                    hostName: "web1.example.net", user: "everyone", port: 2201,
                    identityFiles: ["\(home)/keys/star_key"])
            ),
            // Matched by `lab-*` only: no HostName, so the alias itself is the host name.
            (
                "lab-h7",
                SSHConfig.Resolved(
                    hostName: "lab-h7", user: "fallback", port: 2200,
                    identityFiles: ["\(home)/keys/common_key", "\(home)/keys/star_key"])
            ),
        ])
    func resolves(alias: String, expected: SSHConfig.Resolved) throws {
        #expect(try Self.fixture().resolve(alias: alias) == expected)
    }

    @Test(
        "Aliases matched by no block, or only by Host * and Match blocks, do not resolve",
        arguments: ["unknown", "web12", "foo", "lab"])
    func unresolved(alias: String) throws {
        #expect(try Self.fixture().resolve(alias: alias) == nil)
    }

    @Test("Settings before the first Host apply to every host and win over later blocks")
    func globalSettingsFirst() throws {
        let config = try SSHConfig(
            text: """
                user=early
                IdentityFile ~/.ssh/id_global
                Host db
                  User late
                  Port 2022
                  IdentityFile /keys/db
                """, homeDirectory: "/h")
        #expect(
            config.resolve(alias: "db")
                == SSHConfig.Resolved(
                    hostName: "db", user: "early", port: 2022, identityFiles: ["/h/.ssh/id_global", "/keys/db"]))
    }

    @Test("Keywords are case-insensitive; quotes, tabs, comments and Match blocks are handled")
    func syntaxForms() throws {
        let config = try SSHConfig(
            text: """
                # comment line
                   # indented comment
                HOST\tbox "other box"
                \tHOSTNAME\t10.0.0.5   # trailing comment
                \tiDeNtItYfIlE "/keys/with space"
                \tidentityfile=/keys/second
                Match user root
                \tHostName 10.9.9.9
                \tIdentityFile /keys/from_match
                Host box
                \tUser after-match
                """, homeDirectory: "/h")
        #expect(
            config.resolve(alias: "box")
                == SSHConfig.Resolved(
                    hostName: "10.0.0.5", user: "after-match", port: nil,
                    identityFiles: ["/keys/with space", "/keys/second"]))
        #expect(config.resolve(alias: "other box")?.hostName == "10.0.0.5")
    }

    @Test("Negation excludes a host even when another pattern on the line matches", arguments: [
        ("Host * !secret", "secret", false), ("Host * !secret", "public", true),
        ("Host !secret *", "secret", false), ("Host !*.corp *.lab", "a.lab", true),
        ("Host !*.corp *.lab", "a.corp", false), ("Host !only", "only", false),
    ])
    func negation(hostLine: String, alias: String, matches: Bool) throws {
        let config = try SSHConfig(text: hostLine + "\n  HostName 10.1.1.1\n", homeDirectory: "/h")
        let block = try #require(config.blocks.last)
        #expect(block.matches(alias) == matches)
    }

    @Test("Wildcards follow OpenSSH glob rules", arguments: [
        ("*", "anything", true), ("h?", "h1", true), ("h?", "h12", false), ("*.example.net", "a.b.example.net", true),
        ("lab-*-x", "lab-1-x", true), ("lab-*-x", "lab-1-y", false), ("a*b*c", "aXbYc", true), ("", "", true),
    ])
    func wildcards(pattern: String, name: String, matches: Bool) {
        #expect(SSHConfig.wildcardMatch(pattern, name) == matches)
    }

    @Test("A bad Port is an input error at its line")
    func badPort() {
        let error = #expect(throws: InputError.self) {
            try SSHConfig(text: "Host a\n  HostName 1.2.3.4\n  Port ssh\n", path: "cfg", homeDirectory: "/h")
        }
        #expect(error?.line == 3)
        #expect(error?.file == "cfg")
        #expect(error?.message.contains("'Port ssh' is not a port number") == true)
    }
}
