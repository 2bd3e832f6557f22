import Foundation
import Testing

@testable import Crossnet

/// ssh config resolution through libssh's own parser (`ssh_options_parse_config`).
@Suite(.tags(.inventory))
struct InventorySSHConfigTests {
    /// A home folder with `.ssh/` for configs written by a test (Include resolves under it).
    static func makeHome(_ files: [String: String]) throws -> String {
        let home = NSTemporaryDirectory() + "crossnet-sshconfig-\(UUID().uuidString)"
        for (name, text) in files {
            let path = home + "/.ssh/" + name
            try FileManager.default.createDirectory(
                atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        }
        return home
    }

    static func config(_ files: [String: String]) throws -> SSHConfig {
        let home = try makeHome(files)
        return try SSHConfig.load(path: home + "/.ssh/config", homeDirectory: home)
    }

    static func fixture() throws -> SSHConfig {
        try SSHConfig.load(path: InventoryFixtures.fixturePath("ssh_config"), homeDirectory: "/home/tester")
    }

    @Test(
        "Aliases resolve with libssh's first-wins rules across every matching block",
        arguments: [
            // Specific block first: its values win. libssh puts each IdentityFile before the earlier ones,
            // so the last one parsed (`Host *`) is first.
            // libssh 0.10 matches later Host lines against the HostName (198.18.0.13), so
            // `lab-*` no longer applies and `Host *` gives the Port.
            ("lab-h3", SSHConfig.Resolved(hostName: "198.18.0.13", user: "labuser", port: 2201, identityFile: "%d/keys/star_key")),
            // `key=value` and `key = value`; the later HostName loses.
            ("lab-h5", SSHConfig.Resolved(hostName: "198.18.0.14", user: "everyone", port: 2222, identityFile: "%d/keys/star_key")),
            // libssh 0.10 honours a `!pattern` only before the first positive match on the line, so
            // `Host lab-* !lab-bastion` still applies to lab-bastion (OpenSSH would skip it).
            ("lab-bastion", SSHConfig.Resolved(hostName: "bastion.example.net", user: "fallback", port: 2200, identityFile: "%d/keys/star_key")),
            // `?` wildcard and `%h` in HostName.
            ("web1", SSHConfig.Resolved(hostName: "web1.example.net", user: "everyone", port: 2201, identityFile: "%d/keys/star_key")),
            // Matched by `lab-*` only: no HostName, so the alias itself is the host name.
            ("lab-h7", SSHConfig.Resolved(hostName: "lab-h7", user: "fallback", port: 2200, identityFile: "%d/keys/star_key")),
            // `Match host foo` applies (the hand-written reader skipped Match blocks).
            ("foo", SSHConfig.Resolved(hostName: "wrong.example.net", user: "matched", port: 2201, identityFile: "%d/keys/star_key")),
        ])
    func resolves(alias: String, expected: SSHConfig.Resolved) throws {
        #expect(try Self.fixture().resolve(alias: alias) == expected)
    }

    @Test("Aliases matched by no block, or only by Host *, do not resolve", arguments: ["unknown", "web12", "lab"])
    func unresolved(alias: String) throws {
        #expect(try Self.fixture().resolve(alias: alias) == nil)
    }

    @Test("Include pulls in files (relative to ~/.ssh, globs, nested) at the place of the Include line")
    func include() throws {
        // libssh keeps the Host state of an included file after the Include line, so a second
        // top-level Include after a file ending in another host's block would be skipped: one
        // glob, with nesting, is the form that works the same in libssh and OpenSSH.
        let config = try Self.config([
            "config": """
                Include conf.d/*.conf
                Host *
                  User everyone
                """,
            "conf.d/10-lab.conf": """
                Include extra
                Host lab-a
                  HostName 198.18.120.11
                  Port 2222
                """,
            "conf.d/20-lab.conf": """
                Host lab-b
                  HostName 198.18.120.12
                  User deploy
                """,
            "extra": """
                Host lab-c
                  HostName 198.18.120.13
                """,
        ])
        #expect(try config.resolve(alias: "lab-a") == .init(hostName: "198.18.120.11", user: "everyone", port: 2222))
        #expect(try config.resolve(alias: "lab-b") == .init(hostName: "198.18.120.12", user: "deploy"))
        #expect(try config.resolve(alias: "lab-c") == .init(hostName: "198.18.120.13", user: "everyone"))
        #expect(try config.resolve(alias: "lab-d") == nil)
    }

    @Test("Match all, Match host (after a Host line) and Match localuser apply; a failed Match skips its block")
    func match() throws {
        let config = try Self.config([
            "config": """
                Match host db-*
                  User dba
                  Port 2022
                Match localuser \(SSHConfig.localUserName)
                  UserKnownHostsFile ~/lab_known_hosts
                Match localuser nobody-like-this
                  User never
                Host db-1
                  HostName 198.18.121.21
                Match all
                  Port 2999
                """
        ])
        let resolved = try #require(try config.resolve(alias: "db-1"))
        #expect(resolved.hostName == "198.18.121.21")
        #expect(resolved.user == "dba")
        #expect(resolved.port == 2022)
        #expect(resolved.knownHostsFile == config.homeDirectory + "/lab_known_hosts")
        // Match all and Match localuser alone do not make a typo a known alias.
        #expect(try config.resolve(alias: "dbx") == nil)
    }

    @Test("ProxyJump lists come back in OpenSSH order, with users and ports, never as a ProxyCommand")
    func proxyJumpChain() throws {
        let config = try Self.config([
            "config": """
                Host target
                  HostName 198.18.120.13
                  ProxyJump ops@bastion:2200,inner,[fd00::5]:2222
                Host single
                  HostName 198.18.120.14
                  ProxyJump bastion
                Host direct
                  HostName 198.18.120.15
                  ProxyJump none
                """
        ])
        #expect(
            try config.resolve(alias: "target")?.proxyJump == [
                .init(host: "bastion", user: "ops", port: 2200), .init(host: "inner"), .init(host: "fd00::5", port: 2222),
            ])
        #expect(try config.resolve(alias: "single")?.proxyJump == [.init(host: "bastion")])
        #expect(try config.resolve(alias: "direct")?.proxyJump == [])
    }

    @Test("libssh 0.10's ProxyCommand form of ProxyJump decodes; any other command does not")
    func libsshProxyCommandForm() {
        // What libssh 0.10.6 stores for `ProxyJump u@a:2200,b,c:22` (ssh_config_parse_proxy_jump).
        #expect(
            SSHConfig.proxyJump(fromLibSSHCommand: "ssh -l u -p 2200 -J b,c:22 -W '[%h]:%p' a")
                == [.init(host: "a", user: "u", port: 2200), .init(host: "b"), .init(host: "c", port: 22)])
        #expect(SSHConfig.proxyJump(fromLibSSHCommand: "ssh -W '[%h]:%p' a") == [.init(host: "a")])
        #expect(SSHConfig.proxyJump(fromLibSSHCommand: "nc -X connect -x proxy:3128 %h %p") == nil)
        #expect(SSHConfig.proxyJump(fromLibSSHCommand: "ssh -W %h:%p bastion") == nil)
    }

    @Test("A ProxyCommand is refused with a hint to use ProxyJump")
    func proxyCommandRefused() throws {
        let config = try Self.config(["config": "Host old\n  HostName 198.18.120.16\n  ProxyCommand ssh -W %h:%p bastion\n"])
        let error = #expect(throws: InputError.self) { try config.resolve(alias: "old") }
        #expect(error?.message.contains("use 'ProxyJump host'") == true)
    }

    @Test("Jump specs parse [user@]host[:port] and refuse malformed ones", arguments: [
        ("bastion", SSHConfig.JumpSpec(host: "bastion")), ("ops@b:22", SSHConfig.JumpSpec(host: "b", user: "ops", port: 22)),
        ("[fd00::1]:2222", SSHConfig.JumpSpec(host: "fd00::1", port: 2222)), ("a@b@c", SSHConfig.JumpSpec(host: "c", user: "a@b")),
    ])
    func jumpSpec(text: String, expected: SSHConfig.JumpSpec) {
        #expect(SSHConfig.JumpSpec(parsing: text) == expected)
        #expect(SSHConfig.JumpSpec(parsing: expected.description) == expected)
    }

    @Test("Malformed jump specs are refused", arguments: ["", "@b", "b:0", "b:x", "[fd00::1", "b:70000"])
    func badJumpSpec(text: String) {
        #expect(SSHConfig.JumpSpec(parsing: text) == nil)
    }

    @Test("A line libssh cannot parse is an input error naming the file")
    func parseError() throws {
        let config = try Self.config(["config": "Match bogus-criterion x\n  User y\n"])
        let error = #expect(throws: InputError.self) { try config.resolve(alias: "anything") }
        #expect(error?.file == config.path)
        #expect(error?.message.contains("Unknown argument 'bogus-criterion' for Match keyword") == true)
    }

    @Test("A missing explicit config file is an input error; a config path of nil configures nothing")
    func missingFile() throws {
        #expect(throws: InputError.self) { try SSHConfig.load(path: "/nonexistent/ssh_config") }
        #expect(try SSHConfig(path: nil).resolve(alias: "anything") == nil)
    }
}

/// Inventory hosts named by ssh config alias: jump hosts, defaults.
@Suite(.tags(.inventory))
struct InventorySSHConfigHostTests {
    static func load(config: String, inventory: String) throws -> Inventory {
        let home = try InventorySSHConfigTests.makeHome(["config": config])
        let folder = home + "/inv"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try inventory.write(toFile: folder + "/inventory.yaml", atomically: true, encoding: .utf8)
        return try InventoryLoader.load(
            path: folder + "/inventory.yaml", sshConfigPath: home + "/.ssh/config", homeDirectory: home)
    }

    static let bastionConfig = """
        Host bastion
          HostName 198.18.120.11
          Port 2222
          User crossnet
          UserKnownHostsFile /lab/known_hosts
        Host h2 h3
          ProxyJump bastion
        Host h2
          HostName 198.18.120.12
        Host h3
          HostName 198.18.120.13
          ProxyJump bastion,relay:2200
        Host relay
          HostName 198.18.121.5
        Host *
          Port 2222
          User crossnet
          IdentityFile /lab/id_ed25519
          UserKnownHostsFile /lab/known_hosts
        """

    @Test("Hosts behind ProxyJump get resolved hops: address, port, user and known_hosts per hop")
    func hops() throws {
        let inventory = try Self.load(config: Self.bastionConfig, inventory: """
            hosts:
              - name: h1
                ssh_alias: bastion
              - name: h2
                ssh_alias: h2
              - name: h3
                ssh_alias: h3
            """)
        let h1 = try #require(inventory.host(named: "h1"))
        #expect(h1.address == "198.18.120.11" && h1.port == 2222 && h1.user == "crossnet" && h1.proxyJump.isEmpty)
        #expect(h1.knownHostsFile == "/lab/known_hosts")
        #expect(h1.identityFiles.isEmpty, "IdentityFile comes from the ssh config, through libssh")
        let bastion = SSHHop(name: "bastion", address: "198.18.120.11", port: 2222, user: "crossnet", knownHostsFile: "/lab/known_hosts")
        let h2 = try #require(inventory.host(named: "h2"))
        #expect(h2.address == "198.18.120.12" && h2.port == 2222 && h2.user == "crossnet")
        #expect(h2.proxyJump == [bastion])
        // The first ProxyJump line that applies wins (libssh first-wins), so h3 goes through bastion only.
        let h3 = try #require(inventory.host(named: "h3"))
        #expect(h3.proxyJump == [bastion])
        #expect(h3.sshConfigFile?.hasSuffix("/.ssh/config") == true)
    }

    @Test("A chain of jump hosts keeps its order; the first hop's own ProxyJump comes before it")
    func chain() throws {
        let inventory = try Self.load(config: """
            Host far
              HostName 198.18.121.30
              ProxyJump middle,ops@198.18.121.20:2200
            Host middle
              HostName 198.18.121.10
              ProxyJump edge
            Host edge
              HostName 198.18.120.1
            Host *
              User crossnet
            """, inventory: "hosts:\n  - name: h1\n    ssh_alias: far\n    known_hosts: /kh\n")
        let host = try #require(inventory.host(named: "h1"))
        #expect(host.proxyJump.map(\.name) == ["edge", "middle", "198.18.121.20"])
        #expect(host.proxyJump.map(\.address) == ["198.18.120.1", "198.18.121.10", "198.18.121.20"])
        #expect(host.proxyJump.map(\.port) == [22, 22, 2200])
        #expect(host.proxyJump.map(\.user) == ["crossnet", "crossnet", "ops"])
        #expect(host.proxyJump.allSatisfy { $0.knownHostsFile == "/kh" })
        #expect(SSHEndpoint(host: host).proxyJump.map(\.hostName) == [
            "edge (jump host for h1)", "middle (jump host for h1)", "198.18.121.20 (jump host for h1)",
        ])
    }

    @Test("A ProxyJump loop is an input error")
    func loop() throws {
        #expect(throws: InputError.self) {
            try Self.load(config: """
                Host a
                  HostName 198.18.120.5
                  ProxyJump b
                Host b
                  HostName 198.18.120.6
                  ProxyJump a
                """, inventory: "hosts:\n  - name: h1\n    ssh_alias: a\n")
        }
    }

    @Test("Without User anywhere the user is the local user name (OpenSSH's default), for hosts and hops")
    func defaultUser() throws {
        let inventory = try Self.load(config: """
            Host lab-x
              HostName 198.18.120.40
              ProxyJump 198.18.120.41
            """, inventory: "hosts:\n  - name: h1\n    ssh_alias: lab-x\n  - name: h2\n    address: 198.18.120.42\n")
        #expect(inventory.hosts.map(\.user) == [SSHConfig.localUserName, SSHConfig.localUserName])
        #expect(inventory.hosts[0].proxyJump.map(\.user) == [SSHConfig.localUserName])
        // No identity anywhere: libssh's defaults (~/.ssh/id_ed25519, id_ecdsa, id_rsa) are used.
        #expect(inventory.hosts.allSatisfy { $0.identityFiles.isEmpty })
        #expect(inventory.hosts[1].sshConfigFile == nil, "hosts given by address do not use the ssh config")
    }

    @Test("An unknown alias still gets the typo hint when the config has only catch-all blocks")
    func typo() throws {
        let error = #expect(throws: InputError.self) {
            try Self.load(config: Self.bastionConfig, inventory: "hosts:\n  - name: h1\n    ssh_alias: bastoin\n")
        }
        #expect(error?.message.contains("ssh_alias 'bastoin' in host 'h1' matches no Host entry") == true)
    }
}
