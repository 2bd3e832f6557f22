import Foundation

/// The subset of an OpenSSH client configuration (`~/.ssh/config`) Crossnet uses to resolve an
/// inventory host's `ssh_alias`.
///
/// Understood: `Host` blocks (several patterns per line, `*` and `?` wildcards, `!` negation),
/// and the keywords `HostName`, `User`, `Port` and `IdentityFile` (may repeat). Keywords are
/// case-insensitive; `Keyword value`, `Keyword=value` and `Keyword = value` all work; values may be
/// double-quoted; lines starting with `#` and words starting with `#` end the line (comments).
/// Settings before the first `Host` line apply to every host, as in OpenSSH.
///
/// Ignored safely: `Match` blocks (everything up to the next `Host` line), `Include`, and every other
/// keyword. In `IdentityFile`, `~` and `%d` expand to the home directory, `%h` to the host name,
/// `%u` to the local user, `%r` to the remote user, `%%` to `%`.
public struct SSHConfig: Sendable, Equatable {
    /// One `Host` block: its patterns and the settings it gives.
    public struct HostBlock: Sendable, Equatable {
        /// The patterns on the `Host` line, as written (`!` kept).
        public var patterns: [String]
        /// 1-based line of the `Host` keyword (0 for the implicit block before any `Host` line).
        public var line: Int
        public var hostName: String?
        public var user: String?
        public var port: Int?
        /// `IdentityFile` values in order, `~` expanded, `%` tokens still in place.
        public var identityFiles: [String]

        public init(
            patterns: [String], line: Int, hostName: String? = nil, user: String? = nil, port: Int? = nil,
            identityFiles: [String] = []
        ) {
            self.patterns = patterns
            self.line = line
            self.hostName = hostName
            self.user = user
            self.port = port
            self.identityFiles = identityFiles
        }

        /// OpenSSH rule: a block applies when some positive pattern matches the name and no negated
        /// pattern does. Matching is case-insensitive.
        public func matches(_ name: String) -> Bool {
            var positive = false
            for pattern in patterns {
                if pattern.hasPrefix("!") {
                    if SSHConfig.wildcardMatch(String(pattern.dropFirst()), name) { return false }
                } else if SSHConfig.wildcardMatch(pattern, name) {
                    positive = true
                }
            }
            return positive
        }

        /// `true` when the block names hosts specifically: it has a positive pattern other than `*`.
        var isSpecific: Bool { patterns.contains { !$0.hasPrefix("!") && $0 != "*" } }
    }

    /// What an alias resolves to.
    public struct Resolved: Sendable, Equatable {
        /// The host to connect to: the first `HostName` obtained (with `%h` replaced), or the alias.
        public var hostName: String
        /// The first `User` obtained, if any.
        public var user: String?
        /// The first `Port` obtained, if any.
        public var port: Int?
        /// Every `IdentityFile` from every matching block, in file order, tokens expanded.
        public var identityFiles: [String]

        public init(hostName: String, user: String? = nil, port: Int? = nil, identityFiles: [String] = []) {
            self.hostName = hostName
            self.user = user
            self.port = port
            self.identityFiles = identityFiles
        }
    }

    /// The file this configuration came from, if any (used in error messages).
    public var path: String?
    /// Blocks in file order; the first one is the implicit block for lines before any `Host`.
    public var blocks: [HostBlock]
    /// Home directory used for `~` and `%d`.
    public var homeDirectory: String

    /// Parses configuration text.
    ///
    /// - Throws: ``InputError`` pointing at the line, for a `Port` that is not 1...65535 or a
    ///   `Host`/`HostName`/`User`/`Port`/`IdentityFile` line without a value.
    public init(text: String, path: String? = nil, homeDirectory: String? = nil) throws {
        self.path = path
        self.homeDirectory = homeDirectory ?? SSHConfig.defaultHomeDirectory
        var blocks = [HostBlock(patterns: ["*"], line: 0)]
        var inMatch = false
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let lineNumber = index + 1
            let words = SSHConfig.split(String(rawLine))
            guard let first = words.first else { continue }
            let keyword = first.lowercased()
            let arguments = Array(words.dropFirst())
            func fail(_ message: String) -> InputError {
                InputError(file: path, line: lineNumber, column: nil, message)
            }
            switch keyword {
            case "host":
                guard !arguments.isEmpty else { throw fail("'Host' needs at least one pattern") }
                blocks.append(HostBlock(patterns: arguments, line: lineNumber))
                inMatch = false
                continue
            case "match":
                inMatch = true
                continue
            default:
                break
            }
            if inMatch { continue }
            let known = ["hostname", "user", "port", "identityfile"]
            guard known.contains(keyword) else { continue }
            guard let value = arguments.first else { throw fail("'\(first)' needs a value") }
            var block = blocks[blocks.count - 1]
            switch keyword {
            case "hostname":
                if block.hostName == nil { block.hostName = value }
            case "user":
                if block.user == nil { block.user = value }
            case "port":
                guard let port = Int(value), (1...65535).contains(port) else {
                    throw fail("'Port \(value)' is not a port number from 1 to 65535")
                }
                if block.port == nil { block.port = port }
            case "identityfile":
                block.identityFiles.append(SSHConfig.expandTilde(value, home: self.homeDirectory))
            default:
                break
            }
            blocks[blocks.count - 1] = block
        }
        self.blocks = blocks
    }

    /// Reads and parses the file at `path`.
    public static func load(path: String, homeDirectory: String? = nil) throws -> SSHConfig {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw InputError(file: path, "cannot read the ssh config file: \(error.localizedDescription)")
        }
        return try SSHConfig(text: text, path: path, homeDirectory: homeDirectory)
    }

    /// Resolves a host alias the way `ssh alias` would, for the keywords Crossnet uses.
    ///
    /// Every matching block contributes, in file order; for each keyword the first value obtained
    /// wins, except `IdentityFile`, which accumulates.
    ///
    /// Rule for "known alias": returns `nil` unless at least one matching block names hosts
    /// specifically, i.e. has a positive pattern other than a lone `*` (`Host lab-*` counts, `Host *`
    /// and settings before the first `Host` line do not). This catches a mistyped alias instead of
    /// silently connecting to a host called like the typo.
    public func resolve(alias: String) -> Resolved? {
        let matching = blocks.filter { $0.matches(alias) }
        guard matching.contains(where: \.isSpecific) else { return nil }
        var hostName: String?
        var user: String?
        var port: Int?
        var identityFiles: [String] = []
        for block in matching {
            hostName = hostName ?? block.hostName
            user = user ?? block.user
            port = port ?? block.port
            identityFiles += block.identityFiles
        }
        let host = (hostName ?? alias).replacingOccurrences(of: "%h", with: alias)
        let remoteUser = user ?? ProcessInfo.processInfo.environment["USER"] ?? "root"
        let expanded = identityFiles.map {
            expandTokens($0, host: host, remoteUser: remoteUser)
        }
        return Resolved(hostName: host, user: user, port: port, identityFiles: expanded)
    }

    // MARK: Helpers

    static var defaultHomeDirectory: String {
        ProcessInfo.processInfo.environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
    }

    /// Expands a leading `~` or `~/` to `home`.
    static func expandTilde(_ path: String, home: String) -> String {
        if path == "~" { return home }
        if path.hasPrefix("~/") { return home + path.dropFirst() }
        return path
    }

    private func expandTokens(_ value: String, host: String, remoteUser: String) -> String {
        guard value.contains("%") else { return value }
        var result = ""
        var iterator = value.makeIterator()
        while let character = iterator.next() {
            guard character == "%" else {
                result.append(character)
                continue
            }
            switch iterator.next() {
            case "%": result += "%"
            case "d": result += homeDirectory
            case "h": result += host
            case "u": result += ProcessInfo.processInfo.environment["USER"] ?? "root"
            case "r": result += remoteUser
            case let other?: result += "%" + String(other)
            case nil: result += "%"
            }
        }
        return result
    }

    /// Splits a line into words: whitespace separates, `=` may separate the keyword from its value,
    /// double quotes group, an unquoted word starting with `#` ends the line.
    static func split(_ line: String) -> [String] {
        var words: [String] = []
        var current = ""
        var inQuotes = false
        var hasWord = false
        var equalsSeen = false
        for character in line {
            if inQuotes {
                if character == "\"" { inQuotes = false } else { current.append(character) }
                continue
            }
            if character == "\"" {
                inQuotes = true
                hasWord = true
                continue
            }
            let isSeparator = character == " " || character == "\t" || character == "\r"
                || (character == "=" && !equalsSeen && (words.isEmpty || (words.count == 1 && !hasWord)))
            if isSeparator {
                if hasWord {
                    words.append(current)
                    current = ""
                    hasWord = false
                }
                if character == "=" { equalsSeen = true }
                continue
            }
            if character == "#" && !hasWord { break }
            current.append(character)
            hasWord = true
        }
        if hasWord { words.append(current) }
        return words
    }

    /// OpenSSH wildcard matching: `*` any run of characters, `?` exactly one; case-insensitive.
    static func wildcardMatch(_ pattern: String, _ name: String) -> Bool {
        let p = Array(pattern.lowercased()), s = Array(name.lowercased())
        var pi = 0, si = 0
        var star = -1, mark = 0
        while si < s.count {
            if pi < p.count, p[pi] == "?" || p[pi] == s[si] {
                pi += 1
                si += 1
            } else if pi < p.count, p[pi] == "*" {
                star = pi
                mark = si
                pi += 1
            } else if star >= 0 {
                pi = star + 1
                mark += 1
                si = mark
            } else {
                return false
            }
        }
        while pi < p.count, p[pi] == "*" { pi += 1 }
        return pi == p.count
    }
}
