import CLibSSH
import Foundation

/// An OpenSSH client configuration file (`~/.ssh/config`, or the file given with `--ssh-config`),
/// read with libssh's own parser (`ssh_options_parse_config`): `Host`, `Match` (`all`, `host`,
/// `user`, `localuser`, `exec`), `Include` (globs; relative paths under `~/.ssh`), `HostName`
/// (`%h` expanded), `User`, `Port`, `IdentityFile`, `UserKnownHostsFile`, `ProxyJump`, and the
/// algorithm and timeout keywords libssh knows.
///
/// Resolution follows libssh 0.10, which differs from OpenSSH in ways worth knowing (see
/// `docs/inventory.md`): once a `HostName` line applied, later `Host` and `Match host` lines are
/// matched against that HostName, not the alias (put shared blocks first); a `!pattern` excludes
/// only when it comes before the positive pattern that matches; the Host state of an included file
/// carries on after its `Include` line.
///
/// libssh 0.10 turns `ProxyJump` into a `ProxyCommand` running the OpenSSH client. Crossnet never
/// runs it: ``resolve(alias:)`` reads the jump list back out of it, and the transport reaches the
/// host through each jump host natively. Any other `ProxyCommand` is refused.
public struct SSHConfig: Sendable, Equatable {
    /// One entry of a `ProxyJump` list: `[user@]host[:port]`, `host` an alias or an address.
    public struct JumpSpec: Sendable, Equatable, Hashable, CustomStringConvertible {
        public var host: String
        public var user: String?
        public var port: Int?

        public init(host: String, user: String? = nil, port: Int? = nil) {
            self.host = host
            self.user = user
            self.port = port
        }

        /// Parses `[user@]host[:port]`; IPv6 addresses in brackets (`[2001:db8::1]:22`).
        public init?(parsing text: String) {
            var rest = Substring(text)
            if let at = rest.lastIndex(of: "@") {
                user = String(rest[..<at])
                rest = rest[rest.index(after: at)...]
                if user?.isEmpty == true { return nil }
            }
            if rest.hasPrefix("[") {
                guard let close = rest.firstIndex(of: "]") else { return nil }
                host = String(rest[rest.index(after: rest.startIndex)..<close])
                rest = rest[rest.index(after: close)...]
            } else if let colon = rest.firstIndex(of: ":") {
                host = String(rest[..<colon])
                rest = rest[colon...]
            } else {
                host = String(rest)
                rest = ""
            }
            if rest.hasPrefix(":") {
                guard let value = Int(rest.dropFirst()), (1...65535).contains(value) else { return nil }
                port = value
            } else if !rest.isEmpty {
                return nil
            }
            if host.isEmpty { return nil }
        }

        public var description: String {
            let name = host.contains(":") ? "[\(host)]" : host
            return (user.map { "\($0)@" } ?? "") + name + (port.map { ":\($0)" } ?? "")
        }
    }

    /// What the configuration gives one host name.
    public struct Resolved: Sendable, Equatable {
        /// The host to connect to: the `HostName` that applied (`%h` expanded), or the name itself.
        public var hostName: String
        /// `User`, if the configuration sets one.
        public var user: String?
        /// `Port`, if the configuration sets one.
        public var port: Int?
        /// `UserKnownHostsFile`, if the configuration sets one (absolute, `~` expanded).
        public var knownHostsFile: String?
        /// The first `IdentityFile` libssh will try (as written, `%` tokens unexpanded), if the
        /// configuration gives any. libssh tries every one given, then `~/.ssh/id_ed25519`,
        /// `id_ecdsa` and `id_rsa`.
        public var identityFile: String?
        /// `ProxyJump` hosts in the order they are passed through: the first is connected to
        /// directly, the host itself through the last.
        public var proxyJump: [JumpSpec]

        public init(
            hostName: String, user: String? = nil, port: Int? = nil, knownHostsFile: String? = nil,
            identityFile: String? = nil, proxyJump: [JumpSpec] = []
        ) {
            self.hostName = hostName
            self.user = user
            self.port = port
            self.knownHostsFile = knownHostsFile
            self.identityFile = identityFile
            self.proxyJump = proxyJump
        }
    }

    /// The configuration file (absolute); `nil` for "no configuration" (nothing resolves).
    public var path: String?
    /// Home directory: `Include` and `%d` resolve under `<home>/.ssh`.
    public var homeDirectory: String

    /// A configuration read from `path` (which need not exist: a missing file configures nothing).
    public init(path: String?, homeDirectory: String? = nil) {
        self.path = path
        self.homeDirectory = homeDirectory ?? SSHConfig.defaultHomeDirectory
    }

    /// The configuration at `path`, which must exist and be readable.
    /// - Throws: ``InputError`` when the file cannot be read.
    public static func load(path: String, homeDirectory: String? = nil) throws -> SSHConfig {
        guard FileManager.default.isReadableFile(atPath: path) else {
            let reason = FileManager.default.fileExists(atPath: path) ? "is not readable" : "does not exist"
            throw InputError(file: path, "cannot read the ssh config file: \(path) \(reason)")
        }
        return SSHConfig(path: path, homeDirectory: homeDirectory)
    }

    /// The `~/.ssh` folder libssh resolves `Include` and `%d` against.
    public var sshDirectory: String { homeDirectory + "/.ssh" }

    /// Resolves `name` as `ssh name` would, with libssh's parser.
    ///
    /// - Returns: `nil` when the name is not known to the configuration: nothing the
    ///   configuration sets for it differs from what it sets for a name no specific `Host`/`Match`
    ///   line matches (so `Host *` alone does not make a typo a known alias).
    /// - Throws: ``InputError`` naming the file for a line libssh cannot parse, a `ProxyCommand`
    ///   (Crossnet connects through `ProxyJump` only), or a bad `ProxyJump` entry.
    public func resolve(alias name: String) throws -> Resolved? {
        let resolved = try lookup(name)
        let baseline = try lookup(Self.unmatchedName)
        let known =
            resolved.hostName.lowercased() != name.lowercased() || resolved.user != baseline.user || resolved.port != baseline.port
            || resolved.knownHostsFile != baseline.knownHostsFile || resolved.identityFile != baseline.identityFile
            || resolved.proxyJump != baseline.proxyJump
        return known ? resolved : nil
    }

    /// Resolves `name` without the "known alias" rule: what a connection to `name` (an address,
    /// or a jump host) gets from the configuration.
    /// - Throws: like ``resolve(alias:)``.
    public func settings(for name: String) throws -> Resolved {
        try lookup(name)
    }

    /// A name no `Host` pattern but a catch-all matches.
    static let unmatchedName = "crossnet-unmatched.invalid"
    /// Port set before parsing to see whether the configuration sets one (a config saying
    /// `Port 1` reads as "no Port").
    private static let portSentinel: UInt32 = 1

    private func lookup(_ name: String) throws -> Resolved {
        guard let path else { return Resolved(hostName: name) }
        guard let session = ssh_new() else { throw InputError(file: path, "ssh_new failed: out of memory") }
        defer { ssh_free(session) }
        func fail(_ what: String) -> InputError {
            let message = ssh_get_error(UnsafeMutableRawPointer(session)).map { String(cString: $0) } ?? ""
            return InputError(
                file: path, "libssh cannot read this ssh config for '\(name)' (\(what))"
                    + (message.isEmpty ? "" : ": \(message)"))
        }
        var port = Self.portSentinel
        guard ssh_options_set(session, SSH_OPTIONS_HOST, name) == SSH_OK,
            ssh_options_set(session, SSH_OPTIONS_SSH_DIR, sshDirectory) == SSH_OK,
            ssh_options_set(session, SSH_OPTIONS_PORT, &port) == SSH_OK
        else { throw fail("setting the host name") }
        guard ssh_options_parse_config(session, path) == SSH_OK else { throw fail("ssh_options_parse_config") }

        func string(_ option: ssh_options_e) -> String? {
            var value: UnsafeMutablePointer<CChar>?
            guard ssh_options_get(session, option, &value) == SSH_OK, let value else { return nil }
            defer { ssh_string_free_char(value) }
            return String(cString: value)
        }
        var resolvedPort: UInt32 = 0
        _ = ssh_options_get_port(session, &resolvedPort)
        var result = Resolved(
            hostName: string(SSH_OPTIONS_HOST) ?? name, user: string(SSH_OPTIONS_USER),
            port: resolvedPort == Self.portSentinel ? nil : Int(resolvedPort),
            knownHostsFile: string(SSH_OPTIONS_KNOWNHOSTS).map { Self.expandTilde($0, home: homeDirectory) })
        // Only identities the configuration added: libssh's own defaults are always last.
        if let first = string(SSH_OPTIONS_IDENTITY), !Self.libsshDefaultIdentities.contains(first) {
            result.identityFile = first
        }
        if let command = string(SSH_OPTIONS_PROXYCOMMAND) {
            guard let jumps = Self.proxyJump(fromLibSSHCommand: command) else {
                throw InputError(
                    file: path,
                    "'\(name)' gets a ProxyCommand (\(command)); Crossnet does not run proxy commands: "
                        + "use 'ProxyJump host' for jump hosts (Crossnet connects through them itself)")
            }
            result.proxyJump = jumps
        }
        return result
    }

    /// libssh's default identity list, as `ssh_options_get` reports its head before expansion.
    static let libsshDefaultIdentities: Set<String> = ["%d/id_ed25519", "%d/id_ecdsa", "%d/id_rsa", "%d/id_dsa"]

    /// The `ProxyJump` list libssh 0.10 encoded as `ssh [-l U] [-p P] [-J NEXT] -W '[%h]:%p' HOST`
    /// (its `ssh_config_parse_proxy_jump`), back in OpenSSH order: `[U@]HOST[:P]`, then NEXT's
    /// entries. `nil` for any other command.
    static func proxyJump(fromLibSSHCommand command: String) -> [JumpSpec]? {
        var words = command.split(separator: " ").map(String.init)
        guard words.first == "ssh" else { return nil }
        words.removeFirst()
        var user: String?
        var port: Int?
        var next: String?
        while words.count >= 2, ["-l", "-p", "-J"].contains(words[0]) {
            switch words[0] {
            case "-l": user = words[1]
            case "-p":
                guard let value = Int(words[1]) else { return nil }
                port = value
            default: next = words[1]
            }
            words.removeFirst(2)
        }
        guard words.count == 3, words[0] == "-W", words[1] == "'[%h]:%p'" else { return nil }
        var jumps = [JumpSpec(host: words[2], user: user, port: port)]
        for entry in (next ?? "").split(separator: ",") {
            guard let spec = JumpSpec(parsing: String(entry)) else { return nil }
            jumps.append(spec)
        }
        return jumps
    }

    // MARK: Helpers

    static var defaultHomeDirectory: String {
        ProcessInfo.processInfo.environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
    }

    /// OpenSSH's default remote user: the local user name.
    public static var localUserName: String {
        if let entry = getpwuid(getuid()), let name = entry.pointee.pw_name { return String(cString: name) }
        return ProcessInfo.processInfo.environment["USER"] ?? "root"
    }

    /// Expands a leading `~` or `~/` to `home`.
    static func expandTilde(_ path: String, home: String) -> String {
        if path == "~" { return home }
        if path.hasPrefix("~/") { return home + path.dropFirst() }
        return path
    }
}
