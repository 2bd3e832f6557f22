import Foundation
import Logging

extension VirtualLab {
    /// Stops the lab and removes everything it made: its processes (sshd, dockerd, containerd,
    /// shims, containers, anything else running in its namespaces), mounts under the lab directory
    /// and `/run/crossnet/<id>`, namespaces, UTS files, veths, the bridge, iptables rules commented
    /// `crossnet-lab-<id>`, and the lab's files in the directory.
    ///
    /// Idempotent: works on a half-built lab, a lab whose processes were killed, an already-down
    /// lab, and without `state.json` (objects are then found by the lab id prefix).
    /// - Throws: ``LabError`` listing what could not be removed.
    public func down(logger: Logger) async throws {
        try await teardown(shell: LabShell(logger: logger))
    }

    func teardown(shell: LabShell) async throws {
        let state = LabState.load(directory: directory)
        if let state, state.id != id {
            shell.logger.warning("lab: \(LabState.path(in: directory)) names lab \(state.id), expected \(id)")
        }
        try await Self.teardown(id: id, directory: directory, state: state, shell: shell)
        Self.removeFiles(directory: directory)
    }

    /// Cleans every lab on this machine whose daemons are gone but whose namespaces, bridge,
    /// iptables rules or run folder remain (for example after its processes were killed).
    /// Labs with a live sshd or dockerd are left alone.
    /// - Returns: the ids of the labs cleaned.
    @discardableResult
    public static func cleanStale(logger: Logger) async throws -> [String] {
        let shell = LabShell(logger: logger)
        var ids: Set<String> = []
        let hex = "[0-9a-f]{5}"
        for name in await namespaces(prefix: "cn", shell: shell) {
            if let id = firstMatch("^cn(\(hex))-h[0-9]+$", in: name) { ids.insert(id) }
        }
        for name in await links(prefix: "cn", shell: shell) {
            if let id = firstMatch("^cn(\(hex))(br|h[0-9]+)$", in: name) { ids.insert(id) }
        }
        for program in ["iptables", "ip6tables"] {
            for line in await iptablesLines(containing: "crossnet-lab-", program: program, shell: shell) {
                if let id = firstMatch("crossnet-lab-(\(hex))", in: line) { ids.insert(id) }
            }
        }
        for name in (try? FileManager.default.contentsOfDirectory(atPath: "/run/crossnet")) ?? [] {
            if firstMatch("^(\(hex))$", in: name) != nil { ids.insert(name) }
        }
        var cleaned: [String] = []
        for id in ids.sorted() {
            let directory = (try? String(contentsOfFile: "/run/crossnet/\(id)/directory", encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines)
            let state = directory.flatMap { LabState.load(directory: $0) }.flatMap { $0.id == id ? $0 : nil }
            if let state, isAnyDaemonAlive(state) { continue }
            let inodes = await namespaceInodes(
                await namespaces(prefix: "cn\(id)-", shell: shell))
            let daemonAlive = LabProcesses.all().contains { pid in
                guard let ns = LabProcesses.netNamespace(pid), inodes.contains(ns) else { return false }
                return LabProcesses.runs(pid, programNamed: "dockerd") || LabProcesses.runs(pid, programNamed: "sshd")
            }
            if daemonAlive { continue }
            logger.notice("lab: cleaning stale lab \(id)\(directory.map { " (\($0))" } ?? "")")
            try await teardown(id: id, directory: directory, state: state, shell: shell)
            if let directory, state != nil { removeFiles(directory: directory) }
            cleaned.append(id)
        }
        return cleaned
    }

    // MARK: the teardown itself

    static func teardown(id: String, directory: String?, state: LabState?, shell: LabShell) async throws {
        let logger = shell.logger
        let runRoot = "/run/crossnet/\(id)"
        let labDirectory = directory.flatMap { $0 == "/" || $0.isEmpty ? nil : $0 }
        var namespaceNames = Set(await namespaces(prefix: "cn\(id)-", shell: shell))
        for host in state?.hosts ?? [] where FileManager.default.fileExists(atPath: "\(netnsFolder)/\(host.netns)") {
            namespaceNames.insert(host.netns)
        }
        let inodes = await namespaceInodes(Array(namespaceNames))

        // Host folders and container ids, to recognise the lab's processes by their arguments.
        var markers = [runRoot + "/"]
        var containerIDs: [String] = []
        if let labDirectory {
            var hostNames = Set(state?.hosts.map(\.name) ?? [])
            for name in (try? FileManager.default.contentsOfDirectory(atPath: labDirectory)) ?? []
            where firstMatch("^(h[0-9]+)$", in: name) != nil {
                hostNames.insert(name)
            }
            for name in hostNames {
                markers.append("\(labDirectory)/\(name)/")
                let containers = "\(labDirectory)/\(name)/docker/containers"
                containerIDs += ((try? FileManager.default.contentsOfDirectory(atPath: containers)) ?? [])
                    .filter { $0.count == 64 }
            }
        }

        // 1. Processes: dockerd and sshd first (dockerd stops its containers and containerd), then
        //    everything else that belongs to the lab; SIGKILL what survives the deadline.
        let find = { labProcesses(inodes: inodes, markers: markers, containerIDs: containerIDs) }
        var recorded: [Int32] = []
        for host in state?.hosts ?? [] {
            if host.sshdRunning, let pid = host.sshdPid { recorded.append(pid) }
            if host.dockerdRunning, let pid = host.dockerdPid { recorded.append(pid) }
            if host.gateRunning, let pid = host.gatePid { recorded.append(pid) }
        }
        // Found processes of the lab (by namespace, folder or container) are daemons when their
        // executable is sshd or dockerd: /proc/PID/exe, not a command line anyone can write.
        let daemons = Set(recorded).union(
            find().filter { pid in
                LabProcesses.runs(pid, programNamed: "dockerd") || LabProcesses.runs(pid, programNamed: "sshd")
            })
        if !daemons.isEmpty {
            logger.info("lab \(id): stopping \(daemons.count) daemons")
            await stop(Array(daemons), gracePeriod: .seconds(20))
        }
        for _ in 0..<3 {
            let rest = find()
            if rest.isEmpty { break }
            logger.info("lab \(id): stopping \(rest.count) remaining processes")
            await stop(Array(rest), gracePeriod: .seconds(3))
        }
        var problems: [String] = []
        let survivors = find()
        if !survivors.isEmpty { problems.append("processes still running: \(survivors.map(String.init))") }

        // 2. Mounts dockerd (and the UTS files) made under the lab's folders.
        var mountRoots = [runRoot, "/var/run/uts/cn\(id)-", "/run/uts/cn\(id)-"]
        if let labDirectory { mountRoots.append(labDirectory + "/") }
        for _ in 0..<3 {
            let mounts = mountPoints().filter { point in
                mountRoots.contains { point.hasPrefix($0) } || point == runRoot
            }.sorted { $0.count > $1.count }
            if mounts.isEmpty { break }
            for point in mounts {
                let done = await shell.attempt(["umount", point])
                if done?.succeeded != true { await shell.attempt(["umount", "-l", point]) }
            }
        }

        // 3. Namespaces, links, UTS files.
        for name in namespaceNames.sorted() { await shell.attempt(["ip", "netns", "del", name]) }
        for name in await links(prefix: "cn\(id)", shell: shell) where name != "cn\(id)br" {
            await shell.attempt(["ip", "link", "del", name])
        }
        await shell.attempt(["ip", "link", "del", "cn\(id)br"])
        for folder in [utsFolder] {
            for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
            where name.hasPrefix("cn\(id)-") {
                try? FileManager.default.removeItem(atPath: "\(folder)/\(name)")
            }
        }

        // 4. iptables and ip6tables rules carrying the lab's comment.
        let tag = "crossnet-lab-\(id)"
        for program in ["iptables", "ip6tables"] {
            for _ in 0..<2 {
                let lines = await iptablesRules(comment: tag, program: program, shell: shell)
                if lines.isEmpty { break }
                for (table, spec) in lines {
                    await shell.attempt([program, "-w", "-t", table, "-D"] + spec)
                }
            }
        }

        // 5. The SSH user and docker group the lab made (after its processes are gone).
        if let state { await removeLabUser(state: state, shell: shell) }

        // 6. Run folder and container cgroups.
        if FileManager.default.fileExists(atPath: runRoot) {
            await shell.attempt(["rm", "-rf", "--one-file-system", runRoot])
        }
        for cid in containerIDs {
            for controller in (try? FileManager.default.contentsOfDirectory(atPath: "/sys/fs/cgroup")) ?? [] {
                let path = "/sys/fs/cgroup/\(controller)/docker/\(cid)"
                if FileManager.default.fileExists(atPath: path) { rmdir(path) }
            }
        }

        // Verify.
        let leftNamespaces = await namespaces(prefix: "cn\(id)-", shell: shell)
        if !leftNamespaces.isEmpty { problems.append("namespaces left: \(leftNamespaces.joined(separator: ", "))") }
        let leftLinks = await links(prefix: "cn\(id)", shell: shell)
        if !leftLinks.isEmpty { problems.append("links left: \(leftLinks.joined(separator: ", "))") }
        for program in ["iptables", "ip6tables"] {
            let leftRules = await iptablesRules(comment: tag, program: program, shell: shell)
            if !leftRules.isEmpty { problems.append("\(leftRules.count) \(program) rules left (comment \(tag))") }
        }
        let leftMounts = mountPoints().filter { point in mountRoots.contains { point.hasPrefix($0) } }
        if !leftMounts.isEmpty { problems.append("mounts left: \(leftMounts.joined(separator: ", "))") }
        if !problems.isEmpty {
            throw LabError(
                step: "take down lab \(id)", reason: problems.joined(separator: "; "),
                hint: "run `crossnet lab down` again; if it persists remove them by hand")
        }
    }

    /// Removes the files `up` wrote into the lab directory, then the directory if it is empty.
    static func removeFiles(directory: String) {
        guard directory != "/", !directory.isEmpty else { return }
        let manager = FileManager.default
        for name in (try? manager.contentsOfDirectory(atPath: directory)) ?? [] {
            let path = "\(directory)/\(name)"
            if firstMatch("^(h[0-9]+)$", in: name) != nil || name == "home" {
                _ = try? LocalCommand.runBlocking(["rm", "-rf", "--one-file-system", path], timeout: .seconds(120))
            } else if [
                "state.json", "inventory.yaml", "known_hosts", "authorized_keys", "id_ed25519", "id_ed25519.pub",
                "ssh_config", "known_hosts.wrong",
            ].contains(name) {
                try? manager.removeItem(atPath: path)
            }
        }
        if (try? manager.contentsOfDirectory(atPath: directory))?.isEmpty == true {
            try? manager.removeItem(atPath: directory)
        }
    }

    // MARK: finding things

    /// Pids that belong to a lab: in one of its namespaces, mentioning its folders, in one of its
    /// containers' cgroups, or descending from any of those. Never this process or its ancestors.
    static func labProcesses(inodes: Set<String>, markers: [String], containerIDs: [String]) -> Set<Int32> {
        let protected = LabProcesses.selfAndAncestors()
        var found: Set<Int32> = []
        var parents: [Int32: Int32] = [:]
        let all = LabProcesses.all()
        for pid in all where !protected.contains(pid) {
            if let parent = LabProcesses.parent(pid) { parents[pid] = parent }
            if LabProcesses.isZombie(pid) { continue }
            if let ns = LabProcesses.netNamespace(pid), inodes.contains(ns) {
                found.insert(pid)
                continue
            }
            if let line = LabProcesses.commandLine(pid), markers.contains(where: { line.contains($0) }) {
                found.insert(pid)
                continue
            }
            if !containerIDs.isEmpty, let cgroup = LabProcesses.readWhole("/proc/\(pid)/cgroup"),
                containerIDs.contains(where: { cgroup.contains($0) })
            {
                found.insert(pid)
            }
        }
        var changed = true
        while changed {
            changed = false
            for (pid, parent) in parents where found.contains(parent) && !found.contains(pid) {
                if protected.contains(pid) || LabProcesses.isZombie(pid) { continue }
                found.insert(pid)
                changed = true
            }
        }
        return found
    }

    /// SIGTERM, wait up to `gracePeriod`, then SIGKILL and wait a little more.
    static func stop(_ pids: [Int32], gracePeriod: Duration) async {
        func alive() -> [Int32] { pids.filter { kill($0, 0) == 0 && !LabProcesses.isZombie($0) } }
        for pid in pids { kill(pid, SIGTERM) }
        let started = ContinuousClock.now
        while !alive().isEmpty && ContinuousClock.now - started < gracePeriod {
            try? await Task.sleep(for: .milliseconds(100))
        }
        let left = alive()
        guard !left.isEmpty else { return }
        for pid in left { kill(pid, SIGKILL) }
        let killed = ContinuousClock.now
        while !alive().isEmpty && ContinuousClock.now - killed < .seconds(5) {
            try? await Task.sleep(for: .milliseconds(100))
        }
    }

    /// Network namespace names (from `ip netns list`) starting with `prefix`.
    static func namespaces(prefix: String, shell: LabShell) async -> [String] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: netnsFolder)) ?? [])
        return names.filter { $0.hasPrefix(prefix) }.sorted()
    }

    /// `net:[inode]` identities of the named namespaces.
    static func namespaceInodes(_ names: [String]) async -> Set<String> {
        var result: Set<String> = []
        for name in names {
            var info = stat()
            if stat("\(netnsFolder)/\(name)", &info) == 0 { result.insert("net:[\(info.st_ino)]") }
        }
        return result
    }

    /// Root-namespace link names starting with `prefix`.
    static func links(prefix: String, shell: LabShell) async -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/sys/class/net")) ?? []
        return names.filter { $0.hasPrefix(prefix) }.sorted()
    }

    /// `iptables-save` (or `ip6tables-save`) lines containing `text`.
    static func iptablesLines(containing text: String, program: String = "iptables", shell: LabShell) async -> [String] {
        guard let output = await shell.attempt([program + "-save"]), output.succeeded else { return [] }
        return output.stdoutText.split(separator: "\n").map(String.init).filter { $0.contains(text) }
    }

    /// Rules carrying `comment`, as (table, arguments after `-D`).
    static func iptablesRules(comment: String, program: String = "iptables", shell: LabShell) async -> [(String, [String])] {
        guard let output = await shell.attempt([program + "-save"]), output.succeeded else { return [] }
        var table = "filter"
        var rules: [(String, [String])] = []
        for line in output.stdoutText.split(separator: "\n") {
            if line.hasPrefix("*") {
                table = String(line.dropFirst())
            } else if line.hasPrefix("-A "), line.contains(comment) {
                let tokens = line.dropFirst(3).split(separator: " ").map {
                    String($0).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
                }
                rules.append((table, tokens))
            }
        }
        return rules
    }

    /// Mount points of this mount namespace (from `/proc/self/mountinfo`, octal escapes decoded).
    static func mountPoints() -> [String] {
        guard let text = LabProcesses.readWhole("/proc/self/mountinfo") else { return [] }
        return text.split(separator: "\n").compactMap { line -> String? in
            let fields = line.split(separator: " ")
            guard fields.count > 4 else { return nil }
            return unescapeMountPath(String(fields[4]))
        }
    }

    static func unescapeMountPath(_ path: String) -> String {
        guard path.contains("\\") else { return path }
        var bytes: [UInt8] = []
        let utf8 = Array(path.utf8)
        var index = 0
        while index < utf8.count {
            if utf8[index] == UInt8(ascii: "\\"), index + 3 < utf8.count,
                let value = UInt8(String(decoding: utf8[(index + 1)...(index + 3)], as: UTF8.self), radix: 8)
            {
                bytes.append(value)
                index += 4
            } else {
                bytes.append(utf8[index])
                index += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// First capture group of `pattern` in `text`.
    static func firstMatch(_ pattern: String, in text: String) -> String? {
        guard let regex = try? NSRegularExpression(pattern: pattern),
            let match = regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)),
            match.numberOfRanges > 1, let range = Range(match.range(at: 1), in: text)
        else { return nil }
        return String(text[range])
    }
}
