import Foundation
import Yams

/// Reads, validates and resolves an inventory YAML file into an ``Inventory``.
///
/// Every problem is an ``InputError`` carrying `file:line:column` of the offending YAML node and a
/// message that says what to fix; the CLI maps it to exit code 2. The first problem found stops
/// loading. See `docs/inventory.md` for the format.
public enum InventoryLoader {
    static let rootKeys = ["defaults", "hosts", "network", "measurement", "thresholds", "virtual_lab"]
    static let defaultsKeys = ["user", "port", "identity", "known_hosts", "docker_socket", "interface"]
    static let hostKeys = [
        "name", "address", "data_address", "ssh_alias", "port", "user", "identity", "known_hosts", "interface", "docker_socket",
    ]
    static let networkKeys = ["macvlan", "overlay"]
    static let macvlanKeys = ["subnet", "gateway", "ranges"]
    static let overlayKeys = ["subnet", "swarm_address_pool"]
    static let measurementKeys = [
        "duration", "repeats", "pairs", "parallel_streams", "udp_rate", "latency_samples", "concurrency",
    ]
    static let thresholdsKeys = ["regression_tolerance", "noisy_cv", "cpu_bound"]

    /// Environment variable naming the ssh config when `load` is given none (set by the CLI's
    /// `--ssh-config` for the suites it starts).
    public static let sshConfigEnvironmentVariable = "CROSSNET_SSH_CONFIG"

    /// Loads the inventory at `path`.
    ///
    /// - Parameters:
    ///   - path: the inventory YAML file; relative paths inside it resolve against its folder.
    ///   - sshConfigPath: OpenSSH client config used for `ssh_alias` (read with libssh's parser:
    ///     `Include`, `Match`, `ProxyJump`; see ``SSHConfig``); default `~/.ssh/config`. A missing
    ///     default file counts as empty; a missing explicit file is an error.
    ///   - homeDirectory: used for `~` expansion and defaults; default `$HOME`.
    ///   - lookup: resolves DNS names to data addresses (see ``DataAddress``); default getaddrinfo.
    public static func load(
        path: String, sshConfigPath: String? = nil, homeDirectory: String? = nil,
        lookup: @escaping DataAddress.Lookup = DataAddress.system
    ) throws -> Inventory {
        let home = homeDirectory ?? SSHConfig.defaultHomeDirectory
        let absolute = absolutePath(SSHConfig.expandTilde(path, home: home), base: FileManager.default.currentDirectoryPath)
        let text: String
        do {
            text = try String(contentsOfFile: absolute, encoding: .utf8)
        } catch {
            throw InputError(file: path, "cannot read the inventory file: \(reason(error, path: absolute))")
        }
        let sshConfigPath = sshConfigPath
            ?? ProcessInfo.processInfo.environment[sshConfigEnvironmentVariable].flatMap { $0.isEmpty ? nil : $0 }
        let configPath = sshConfigPath.map { absolutePath(SSHConfig.expandTilde($0, home: home), base: FileManager.default.currentDirectoryPath) }
            ?? home + "/.ssh/config"
        var sshConfig: SSHConfig?
        if FileManager.default.fileExists(atPath: configPath) || sshConfigPath != nil {
            sshConfig = try SSHConfig.load(path: configPath, homeDirectory: home)
        }
        var inventory = try parse(
            yaml: text, file: path, baseDirectory: (absolute as NSString).deletingLastPathComponent,
            sshConfig: sshConfig, homeDirectory: home, lookup: lookup)
        inventory.sourcePath = absolute
        return inventory
    }

    /// Parses inventory text.
    ///
    /// - Parameters:
    ///   - yaml: the inventory text.
    ///   - file: the name used in error messages (usually the path as the user gave it).
    ///   - baseDirectory: relative `identity` and `known_hosts` paths resolve against this folder.
    ///   - sshConfig: resolves `ssh_alias`; `nil` means no ssh config (every alias is unknown).
    ///   - homeDirectory: used for `~` expansion and the default known_hosts; default `$HOME`.
    ///   - lookup: resolves DNS names to data addresses (see ``DataAddress``); default getaddrinfo.
    public static func parse(
        yaml: String, file: String, baseDirectory: String, sshConfig: SSHConfig? = nil,
        homeDirectory: String? = nil, lookup: @escaping DataAddress.Lookup = DataAddress.system
    ) throws -> Inventory {
        let home = homeDirectory ?? SSHConfig.defaultHomeDirectory
        let reader = YAMLReader(file: file)
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            throw convert(error, file: file)
        }
        guard let root, !YAMLReader.isNull(root) else {
            throw InputError(file: file, line: 1, column: 1, "the inventory is empty; it needs at least a 'hosts' list")
        }
        var context = Context(
            reader: reader, baseDirectory: absolutePath(baseDirectory, base: FileManager.default.currentDirectoryPath),
            home: home, sshConfig: sshConfig, lookup: lookup)
        return try context.inventory(root)
    }

    // MARK: YAML errors

    static func convert(_ error: YamlError, file: String) -> InputError {
        func clean(_ text: String) -> String {
            text.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        switch error {
        case .scanner(let context, let problem, let mark, _),
            .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            var message = "YAML syntax error: \(clean(problem))"
            if let context, !context.text.isEmpty {
                message += " (\(clean(context.text)) at line \(context.mark.line), column \(context.mark.column))"
            }
            message += "; check indentation, colons and quotes"
            return InputError(file: file, line: mark.line, column: mark.column, message)
        case .duplicatedKeysInMapping(let duplicates, let context):
            let names = duplicates.map { "'\($0)'" }.joined(separator: ", ")
            return InputError(
                file: file, line: context.mark.line, column: context.mark.column,
                "duplicate key \(names) in the same mapping (first one here); keep only one")
        case .reader(let problem, let offset, _, let yaml):
            var line = 1, column = 1
            if let offset {
                let prefix = yaml.utf8.prefix(offset)
                line = prefix.filter { $0 == UInt8(ascii: "\n") }.count + 1
                column = (prefix.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).last?.count ?? 0) + 1
            }
            return InputError(file: file, line: line, column: column, "cannot read the file as YAML: \(problem)")
        default:
            return InputError(file: file, "cannot read the file as YAML: \(clean(error.description))")
        }
    }

    // MARK: Paths

    static func absolutePath(_ path: String, base: String) -> String {
        let joined = path.hasPrefix("/") ? path : (base as NSString).appendingPathComponent(path)
        return (joined as NSString).standardizingPath
    }

    static func reason(_ error: Error, path: String) -> String {
        var isDirectory: ObjCBool = false
        if !FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) { return "\(path) does not exist" }
        if isDirectory.boolValue { return "\(path) is a folder" }
        return "\(path) is not readable (\((error as NSError).localizedDescription))"
    }
}

/// State for one parse: where relative paths resolve and which ssh config to use.
private struct Context {
    let reader: YAMLReader
    let baseDirectory: String
    let home: String
    let sshConfig: SSHConfig?
    let lookup: DataAddress.Lookup

    /// Host-level settings that `defaults` may also give.
    struct Shared {
        var user: (String, Node)?
        var port: (Int, Node)?
        var identity: [(String, Node)]?
        var knownHosts: String?
        var dockerSocket: String?
        var interface: String?
    }

    func path(_ value: String) -> String {
        InventoryLoader.absolutePath(SSHConfig.expandTilde(value, home: home), base: baseDirectory)
    }

    mutating func inventory(_ root: Node) throws -> Inventory {
        let fields = try reader.mapping(root, context: "the inventory", allowed: InventoryLoader.rootKeys)
        var defaults = Shared()
        if let node = fields["defaults"] {
            let defaultsFields = try reader.mapping(node, context: "'defaults'", allowed: InventoryLoader.defaultsKeys)
            defaults = try shared(defaultsFields, context: "'defaults'")
        }
        let hostsNode = try fields.required("hosts", reader: reader, hint: " (a list of hosts, each with 'name' and 'address' or 'ssh_alias')")
        let hosts = try self.hosts(hostsNode, defaults: defaults)
        var inventory = Inventory(hosts: hosts.map(\.config))
        if let node = fields["network"] {
            inventory.network = try network(node, hosts: hosts)
        }
        if let node = fields["measurement"] {
            inventory.measurement = try measurement(node)
        }
        if let node = fields["thresholds"] {
            inventory.thresholds = try thresholds(node)
        }
        if let node = fields["virtual_lab"] {
            inventory.virtualLab = try reader.string(node, key: "virtual_lab", context: "the inventory")
        }
        return inventory
    }

    // MARK: Hosts

    func shared(_ fields: Fields, context: String) throws -> Shared {
        var result = Shared()
        if let node = fields["user"] {
            let user = try reader.string(node, key: "user", context: context)
            guard Self.validUser(user) else {
                throw reader.error(at: node, "'user' in \(context) must be a login name of at most 32 letters, digits, '_', '.' and '-' (no spaces or shell characters), got '\(user)'")
            }
            result.user = (user, node)
        }
        if let node = fields["port"] {
            result.port = (try reader.int(node, key: "port", context: context, range: 1...65535), node)
        }
        if let node = fields["identity"] {
            let files = try reader.stringList(node, key: "identity", context: context)
            result.identity = try files.map { value, node in
                let resolved = path(value)
                try checkReadable(resolved, node: node, what: "identity file", context: context)
                return (resolved, node)
            }
        }
        if let node = fields["known_hosts"] {
            result.knownHosts = path(try reader.string(node, key: "known_hosts", context: context))
        }
        if let node = fields["docker_socket"] {
            let socket = try reader.string(node, key: "docker_socket", context: context)
            guard socket.hasPrefix("/") else {
                throw reader.error(at: node, "'docker_socket' in \(context) must be an absolute path on the host, like /var/run/docker.sock; got '\(socket)'")
            }
            guard Self.validSocketPath(socket) else {
                throw reader.error(at: node, "'docker_socket' in \(context) may hold only letters, digits, '_', '.', '-' and '/' (at most 107 characters, no spaces or shell characters); got '\(socket)'")
            }
            result.dockerSocket = socket
        }
        if let node = fields["interface"] {
            let interface = try reader.string(node, key: "interface", context: context)
            guard interface.count <= 15, Self.validName(interface) else {
                throw reader.error(at: node, "'interface' in \(context) must be a network interface name of at most 15 letters, digits, '_', '.' and '-' (no spaces, '/' or shell characters), like eth0; got '\(interface)'")
            }
            result.interface = interface
        }
        return result
    }

    func checkReadable(_ path: String, node: Node, what: String, context: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw reader.error(at: node, "\(what) \(path) in \(context) does not exist; fix the path (relative paths start at the inventory's folder \(baseDirectory))")
        }
        guard !isDirectory.boolValue else {
            throw reader.error(at: node, "\(what) \(path) in \(context) is a folder; give the private key file")
        }
        guard FileManager.default.isReadableFile(atPath: path), FileHandle(forReadingAtPath: path) != nil else {
            throw reader.error(at: node, "\(what) \(path) in \(context) is not readable; check its permissions")
        }
    }

    /// A parsed host and the nodes later checks point at.
    struct ParsedHost {
        var config: HostConfig
        var node: Node
        var nameNode: Node
        var addressNode: Node
    }

    static func validName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first.isASCIIAlphanumeric else { return false }
        return name.unicodeScalars.allSatisfy { $0.isASCIIAlphanumeric || "_.-".unicodeScalars.contains($0) }
    }

    /// A login name: what `useradd` accepts by default, minus the trailing `$` of machine accounts.
    static func validUser(_ user: String) -> Bool {
        guard user.count <= 32, let first = user.unicodeScalars.first, first != "-" else { return false }
        return user.unicodeScalars.allSatisfy { $0.isASCIIAlphanumeric || "_.-".unicodeScalars.contains($0) }
    }

    /// A socket path that needs no quoting: `/`, letters, digits, `_`, `.`, `-`; no `..` component.
    /// 107 bytes is the longest path a `sockaddr_un` holds.
    static func validSocketPath(_ path: String) -> Bool {
        guard path.utf8.count <= 107, !path.split(separator: "/").contains("..") else { return false }
        return path.unicodeScalars.allSatisfy { $0.isASCIIAlphanumeric || "_.-/".unicodeScalars.contains($0) }
    }

    static func validHostName(_ name: String) -> Bool {
        guard !name.isEmpty, name.count <= 253 else { return false }
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        return labels.allSatisfy { label in
            !label.isEmpty && label.count <= 63 && !label.hasPrefix("-") && !label.hasSuffix("-")
                && label.unicodeScalars.allSatisfy { $0.isASCIIAlphanumeric || $0 == "-" || $0 == "_" }
        }
    }

    func checkAddress(_ address: String, node: Node, context: String, source: String) throws {
        if IPAddress(address) != nil { return }
        let looksNumeric = address.allSatisfy { $0.isNumber || $0 == "." }
        if address.contains(":") || looksNumeric {
            throw reader.error(at: node, "\(source) '\(address)' in \(context) is not a valid IP address")
        }
        guard Self.validHostName(address) else {
            throw reader.error(at: node, "\(source) '\(address)' in \(context) is neither an IP address nor a DNS name (letters, digits, '-' and '.')")
        }
    }

    func hosts(_ node: Node, defaults: Shared) throws -> [ParsedHost] {
        guard case .sequence(let sequence) = node else {
            throw reader.error(at: node, "'hosts' must be a list of hosts (lines starting with '- name: ...'), got \(YAMLReader.describe(node))")
        }
        guard !sequence.isEmpty else {
            throw reader.error(at: node, "'hosts' is empty; list at least one host with 'name' and 'address' or 'ssh_alias'")
        }
        var result: [ParsedHost] = []
        for (index, hostNode) in sequence.enumerated() {
            let host = try self.host(hostNode, index: index, defaults: defaults)
            if let other = result.first(where: { $0.config.name == host.config.name }) {
                throw reader.error(at: host.nameNode, "duplicate host name '\(host.config.name)' (already used at line \(other.nameNode.mark?.line ?? 0)); host names must be unique")
            }
            if let other = result.first(where: {
                $0.config.address.lowercased() == host.config.address.lowercased() && $0.config.port == host.config.port
            }) {
                throw reader.error(at: host.addressNode, "host '\(host.config.name)' has the same address and port (\(host.config.address):\(host.config.port)) as host '\(other.config.name)'; each host must be a different machine or port")
            }
            result.append(host)
        }
        return result
    }

    func host(_ node: Node, index: Int, defaults: Shared) throws -> ParsedHost {
        // Name first, so later messages can say which host is wrong.
        let position = "host #\(index + 1)"
        guard case .mapping = node else {
            throw reader.error(at: node, "\(position) in 'hosts' must be a mapping with 'name' and 'address' or 'ssh_alias', got \(YAMLReader.describe(node))")
        }
        var name = position
        var context = position
        if let nameNode = node["name"] {
            name = try reader.string(nameNode, key: "name", context: position)
            guard name.count <= 63, Self.validName(name) else {
                throw reader.error(at: nameNode, "host name '\(name)' is not valid; use at most 63 letters, digits, '_', '.' and '-', starting with a letter or digit (no spaces or shell characters)")
            }
            context = "host '\(name)'"
        }
        let fields = try reader.mapping(node, context: context, allowed: InventoryLoader.hostKeys)
        let nameNode = try fields.required("name", reader: reader, hint: " (a unique name such as h1)")
        let own = try shared(fields, context: context)

        var address: String
        let addressNode: Node
        var alias: String?
        var resolved: SSHConfig.Resolved?
        var configFile: String?
        switch (fields["address"], fields["ssh_alias"]) {
        case (let node?, nil):
            address = try reader.string(node, key: "address", context: context)
            try checkAddress(address, node: node, context: context, source: "address")
            addressNode = node
        case (nil, let node?):
            let value = try reader.string(node, key: "ssh_alias", context: context)
            let match: SSHConfig.Resolved?
            do {
                match = try sshConfig?.resolve(alias: value)
            } catch let error as InputError {
                throw reader.error(at: node, "ssh_alias '\(value)' in \(context): \(error.message) (\(error.file ?? "ssh config"))")
            }
            guard let sshConfig, let match else {
                let configName = sshConfig.map { $0.path ?? "the ssh config" } ?? "any ssh config (none was found)"
                throw reader.error(at: node, "ssh_alias '\(value)' in \(context) matches no Host entry in \(configName); add a 'Host \(value)' block there or use 'address' instead")
            }
            alias = value
            resolved = match
            configFile = sshConfig.path
            address = match.hostName
            try checkAddress(address, node: node, context: context, source: "HostName of ssh_alias '\(value)'")
            addressNode = node
        case (let addressValue?, let aliasValue?):
            let later = (aliasValue.mark?.line ?? 0, aliasValue.mark?.column ?? 0) > (addressValue.mark?.line ?? 0, addressValue.mark?.column ?? 0)
                ? fields.keys["ssh_alias"]! : fields.keys["address"]!
            throw reader.error(at: later, "\(context) has both 'address' and 'ssh_alias'; keep exactly one of them")
        case (nil, nil):
            throw reader.error(at: node, "\(context) needs exactly one of 'address' (IP or DNS name) or 'ssh_alias' (a Host in ~/.ssh/config)")
        }

        let port = own.port?.0 ?? resolved?.port ?? defaults.port?.0 ?? 22
        // OpenSSH's default user is the local user name.
        let user = own.user?.0 ?? resolved?.user ?? defaults.user?.0 ?? SSHConfig.localUserName
        if own.user == nil, let alias, let configUser = resolved?.user, !Self.validUser(configUser) {
            throw reader.error(at: addressNode, "User '\(configUser)' of ssh_alias '\(alias)' in \(context) must be a login name of at most 32 letters, digits, '_', '.' and '-' (no spaces or shell characters); fix it in the ssh config or set 'user'")
        }
        // An empty list lets libssh try the ssh config's IdentityFile entries, then
        // ~/.ssh/id_ed25519, id_ecdsa and id_rsa (after ssh-agent), as OpenSSH does.
        let explicitIdentities = own.identity?.map(\.0) ?? defaults.identity?.map(\.0)
        let identities: [String]
        if let own = own.identity {
            identities = own.map(\.0)
        } else if resolved?.identityFile != nil {
            identities = []
        } else {
            identities = defaults.identity?.map(\.0) ?? []
        }
        let knownHosts = own.knownHosts ?? resolved?.knownHostsFile.map(path) ?? defaults.knownHosts
            ?? home + "/.ssh/known_hosts"
        var hops: [SSHHop] = []
        if let resolved, let sshConfig, !resolved.proxyJump.isEmpty {
            hops = try jumpHosts(
                resolved.proxyJump, config: sshConfig, knownHosts: knownHosts, identities: explicitIdentities ?? [],
                node: fields["ssh_alias"] ?? node, context: context, seen: [alias ?? name])
        }
        var dataNode: Node?
        var configuredData: String?
        if let node = fields["data_address"] {
            let value = try reader.string(node, key: "data_address", context: context)
            try checkAddress(value, node: node, context: context, source: "data_address")
            dataNode = node
            configuredData = value
        }
        let data: (address: String, name: String?)
        do {
            data = try DataAddress.choose(configured: configuredData, sshAddress: address, lookup: lookup)
        } catch {
            throw reader.error(at: error.onDataAddress ? dataNode ?? addressNode : addressNode, "\(context): \(error.message)")
        }
        let config = HostConfig(
            name: name, address: address, dataAddress: data.address, dataAddressName: data.name,
            sshAlias: alias, port: port, user: user,
            identityFiles: identities,
            knownHostsFile: knownHosts,
            interface: own.interface ?? defaults.interface,
            dockerSocket: own.dockerSocket ?? defaults.dockerSocket ?? "/var/run/docker.sock",
            proxyJump: hops, sshConfigFile: configFile)
        return ParsedHost(config: config, node: node, nameNode: nameNode, addressNode: addressNode)
    }

    /// Resolves a `ProxyJump` list into hops, first hop first. The first hop's own `ProxyJump`
    /// (if any) is followed too, as OpenSSH does; a loop or more than 8 hops is an error.
    func jumpHosts(
        _ specs: [SSHConfig.JumpSpec], config: SSHConfig, knownHosts: String, identities: [String], node: Node,
        context: String, seen: Set<String>
    ) throws -> [SSHHop] {
        var hops: [SSHHop] = []
        var seen = seen
        for (index, spec) in specs.enumerated() {
            guard !seen.contains(spec.host), seen.count <= 8 else {
                throw reader.error(at: node, "ProxyJump of \(context) loops or is longer than 8 hops (at '\(spec.host)'); check the ssh config's ProxyJump lines")
            }
            seen.insert(spec.host)
            let settings: SSHConfig.Resolved
            do {
                settings = try config.settings(for: spec.host)
            } catch let error as InputError {
                throw reader.error(at: node, "jump host '\(spec.host)' of \(context): \(error.message)")
            }
            try checkAddress(settings.hostName, node: node, context: context, source: "jump host '\(spec.host)'")
            if index == 0, !settings.proxyJump.isEmpty {
                hops += try jumpHosts(
                    settings.proxyJump, config: config, knownHosts: knownHosts, identities: identities, node: node,
                    context: context, seen: seen)
                seen.formUnion(hops.map(\.name))
            }
            hops.append(SSHHop(
                name: spec.host, address: settings.hostName, port: spec.port ?? settings.port ?? 22,
                user: spec.user ?? settings.user ?? SSHConfig.localUserName,
                identityFiles: settings.identityFile != nil ? [] : identities,
                knownHostsFile: settings.knownHostsFile.map(path) ?? knownHosts))
        }
        return hops
    }

    // MARK: Network

    func network(_ node: Node, hosts: [ParsedHost]) throws -> NetworkSettings {
        let fields = try reader.mapping(node, context: "'network'", allowed: InventoryLoader.networkKeys)
        var settings = NetworkSettings()
        if let node = fields["macvlan"] {
            settings.macvlan = try macvlan(node, hosts: hosts)
        }
        // Subnets already claimed, to refuse overlaps: Docker would route one network's traffic
        // into another, or refuse to create the second network only once a run has started.
        var claimed: [(name: String, network: IPNetwork)] = []
        if let macvlan = settings.macvlan, case .success(let subnet) = IPNetwork.parse(macvlan.subnet) {
            claimed.append(("the macvlan subnet 'network.macvlan.subnet'", subnet))
        }
        if let node = fields["overlay"] {
            let overlay = try reader.mapping(node, context: "'network.overlay'", allowed: InventoryLoader.overlayKeys)
            for (key, label) in [("subnet", "the overlay subnet 'network.overlay.subnet'"), ("swarm_address_pool", "the swarm address pool 'network.overlay.swarm_address_pool'")] {
                guard let valueNode = overlay[key] else { continue }
                let network = try cidr(valueNode, key: key, context: "'network.overlay'")
                // The overlay subnet may lie inside the swarm pool (the swarm then never hands
                // those addresses to another network); any other overlap is refused.
                let nested = { (other: (name: String, network: IPNetwork)) in
                    key == "swarm_address_pool" && other.name.hasPrefix("the overlay subnet") && network.contains(other.network)
                }
                if let other = claimed.first(where: { $0.network.overlaps(network) && !nested($0) }) {
                    var message = "\(label) \(network) overlaps \(other.name) \(other.network); give each network its own addresses"
                    if key == "swarm_address_pool" && other.name.hasPrefix("the overlay subnet") {
                        message += " (the overlay subnet may also lie wholly inside the pool)"
                    }
                    throw reader.error(at: valueNode, message)
                }
                claimed.append((label, network))
                if key == "subnet" { settings.overlaySubnet = network.description } else { settings.swarmAddressPool = network.description }
            }
        }
        return settings
    }

    func cidr(_ node: Node, key: String, context: String) throws -> IPNetwork {
        let text = try reader.string(node, key: key, context: context)
        switch IPNetwork.parse(text) {
        case .success(let network):
            return network
        case .failure(.malformed):
            throw reader.error(at: node, "'\(key)' in \(context) must be a CIDR network like 198.18.0.0/24, got '\(text)'")
        case .failure(.badAddress(let address)):
            throw reader.error(at: node, "'\(key)' in \(context): '\(address)' is not a valid IP address (CIDR like 198.18.0.0/24)")
        case .failure(.badPrefix(let prefix, let max)):
            throw reader.error(at: node, "'\(key)' in \(context): prefix length '/\(prefix)' must be from 0 to \(max)")
        case .failure(.hostBitsSet(let suggestion)):
            throw reader.error(at: node, "'\(key)' in \(context): '\(text)' has host bits set; did you mean \(suggestion)?")
        }
    }

    func macvlan(_ node: Node, hosts: [ParsedHost]) throws -> MacvlanSettings {
        let context = "'network.macvlan'"
        let fields = try reader.mapping(node, context: context, allowed: InventoryLoader.macvlanKeys)
        let subnetNode = try fields.required("subnet", reader: reader, hint: " (CIDR of the physical network, like 198.18.0.0/24)")
        let gatewayNode = try fields.required("gateway", reader: reader, hint: " (the subnet's router address)")
        let rangesNode = try fields.required("ranges", reader: reader, hint: " (host name: CIDR inside the subnet, one per host)")

        let subnet = try cidr(subnetNode, key: "subnet", context: context)
        let gatewayText = try reader.string(gatewayNode, key: "gateway", context: context)
        guard let gateway = IPAddress(gatewayText) else {
            throw reader.error(at: gatewayNode, "'gateway' in \(context) must be an IP address, got '\(gatewayText)'")
        }
        guard subnet.contains(gateway) else {
            throw reader.error(at: gatewayNode, "gateway \(gateway) is outside the macvlan subnet \(subnet); use an address inside it")
        }

        guard case .mapping(let rangesMapping) = rangesNode else {
            throw reader.error(at: rangesNode, "'ranges' in \(context) must map host names to CIDR ranges, like {h1: 198.18.0.64/28}; got \(YAMLReader.describe(rangesNode))")
        }
        let names = hosts.map(\.config.name)
        var ranges: [(name: String, network: IPNetwork, node: Node)] = []
        for (keyNode, valueNode) in rangesMapping {
            let name = try reader.string(keyNode, key: "ranges", context: context)
            guard names.contains(name) else {
                var message = "'\(name)' in 'network.macvlan.ranges' is not a host in 'hosts'"
                if let suggestion = YAMLReader.suggestion(for: name, among: names) {
                    message += " (did you mean '\(suggestion)'?)"
                }
                message += "; hosts: \(names.joined(separator: ", "))"
                throw reader.error(at: keyNode, message)
            }
            let range = try cidr(valueNode, key: name, context: "'network.macvlan.ranges'")
            guard subnet.contains(range) else {
                throw reader.error(at: valueNode, "macvlan range \(range) of host '\(name)' is outside the subnet \(subnet); pick a range inside it")
            }
            if let other = ranges.first(where: { $0.network.overlaps(range) }) {
                throw reader.error(at: valueNode, "macvlan range \(range) of host '\(name)' overlaps range \(other.network) of host '\(other.name)'; give each host its own addresses")
            }
            if range.contains(gateway) {
                throw reader.error(at: valueNode, "macvlan range \(range) of host '\(name)' contains the gateway \(gateway); move the range or the gateway")
            }
            ranges.append((name, range, valueNode))
        }
        return MacvlanSettings(
            subnet: subnet.description, gateway: gateway.description,
            ranges: Dictionary(uniqueKeysWithValues: ranges.map { ($0.name, $0.network.description) }))
    }

    // MARK: Measurement and thresholds

    func measurement(_ node: Node) throws -> MeasurementSettings {
        let context = "'measurement'"
        let fields = try reader.mapping(node, context: context, allowed: InventoryLoader.measurementKeys)
        var settings = MeasurementSettings()
        if let node = fields["duration"] {
            settings.durationSeconds = try reader.int(node, key: "duration", context: context, range: 1...3600)
        }
        if let node = fields["repeats"] {
            settings.repeats = try reader.int(node, key: "repeats", context: context, range: 1...100)
        }
        if let node = fields["pairs"] {
            let value = try reader.string(node, key: "pairs", context: context)
            guard let mode = PairMode(rawValue: value) else {
                throw reader.error(at: node, "'pairs' in \(context) must be one of \(PairMode.allCases.map(\.rawValue).joined(separator: ", ")), got '\(value)'")
            }
            settings.pairs = mode
        }
        if let node = fields["concurrency"] {
            let value = try reader.string(node, key: "concurrency", context: context)
            guard let mode = MeasurementConcurrency(rawValue: value) else {
                throw reader.error(at: node, "'concurrency' in \(context) must be one of \(MeasurementConcurrency.allCases.map(\.rawValue).joined(separator: ", ")), got '\(value)'")
            }
            settings.concurrency = mode
        }
        if let node = fields["parallel_streams"] {
            settings.parallelStreams = try reader.int(node, key: "parallel_streams", context: context, range: 1...128)
        }
        if let node = fields["udp_rate"] {
            settings.udpRateBitsPerSecond = try rate(node, context: context)
        }
        if let node = fields["latency_samples"] {
            settings.latencySamples = try reader.int(node, key: "latency_samples", context: context, range: 10...100_000)
        }
        return settings
    }

    /// Bits per second: a number with an optional SI suffix K, M or G (1000-based).
    /// The highest `udp_rate`: 100 Gbit/s, above any NIC a test host has and far below what
    /// overflows iperf3's `-b` or an `Int`.
    static let maximumUDPRate = 100e9

    func rate(_ node: Node, context: String) throws -> Double {
        let fail = reader.error(at: node, "'udp_rate' in \(context) must be a positive rate in bits/s, a number with an optional K, M or G suffix like 500M or 1G; got \(YAMLReader.describe(node))")
        guard case .scalar(let scalar) = node, !YAMLReader.isNull(node) else { throw fail }
        var text = scalar.string.trimmingCharacters(in: .whitespaces)
        var multiplier = 1.0
        switch text.last.map({ Character($0.uppercased()) }) {
        case "K": multiplier = 1e3
        case "M": multiplier = 1e6
        case "G": multiplier = 1e9
        default: break
        }
        if multiplier != 1 { text.removeLast() }
        guard let value = Double(text), value.isFinite, value > 0, !text.hasPrefix("+") else { throw fail }
        let bitsPerSecond = value * multiplier
        guard bitsPerSecond <= Self.maximumUDPRate else {
            throw reader.error(at: node, "'udp_rate' in \(context) must be at most 100G (100 Gbit/s), got \(scalar.string)")
        }
        guard bitsPerSecond >= 1000 else {
            throw reader.error(at: node, "'udp_rate' in \(context) must be at least 1K (1000 bits/s), got \(scalar.string)")
        }
        return bitsPerSecond
    }

    func thresholds(_ node: Node) throws -> Thresholds {
        let context = "'thresholds'"
        let fields = try reader.mapping(node, context: context, allowed: InventoryLoader.thresholdsKeys)
        var result = Thresholds()
        func percentage(_ key: String, max: Double) throws -> Double? {
            guard let node = fields[key] else { return nil }
            let value = try reader.number(node, key: key, context: context)
            guard value > 0 else {
                throw reader.error(at: node, "'\(key)' in \(context) is a percentage and must be greater than 0, got \(scalarText(node))")
            }
            if value > max {
                throw reader.error(at: node, "'\(key)' in \(context) is a percentage and must be at most \(Int(max)), got \(scalarText(node))")
            }
            return value
        }
        if let value = try percentage("regression_tolerance", max: 1000) { result.regressionTolerancePercent = value }
        if let value = try percentage("noisy_cv", max: 1000) { result.noisyCoefficientOfVariationPercent = value }
        if let value = try percentage("cpu_bound", max: 100) { result.cpuBoundPercent = value }
        return result
    }

    func scalarText(_ node: Node) -> String { node.scalar?.string ?? "?" }
}

extension Unicode.Scalar {
    fileprivate var isASCIIAlphanumeric: Bool {
        ("a"..."z").contains(self) || ("A"..."Z").contains(self) || ("0"..."9").contains(self)
    }
}
