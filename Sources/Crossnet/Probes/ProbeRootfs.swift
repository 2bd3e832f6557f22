import Foundation

/// Assembles the probe image's root file system from a tree holding Debian's files: `/` for this
/// machine's architecture (the installed packages), or a folder the packages of another
/// architecture were extracted into. Shared libraries are found from each binary's ELF headers
/// (`readelf`: `NEEDED` entries and the program interpreter), which works for any architecture,
/// unlike `ldd`, which runs the binary's loader.
struct ProbeRootfs {
    /// Where the Debian files are.
    let source: URL
    let architecture: ProbeArchitecture
    /// The root file system being built.
    let rootfs: URL

    /// Programs copied with their libraries, as paths inside `source`.
    static let programs = ["usr/bin/iperf3", "usr/bin/sockperf", String(ProbeImage.dfPing.dropFirst())]

    /// Builds `rootfs`: busybox with one symlink per applet (`applets`), the programs, their
    /// libraries, `/tmp` (1777), `/etc/passwd` and `/etc/group`.
    func assemble(applets: [String]) async throws {
        let fm = FileManager.default
        for dir in ["bin", "usr/bin", "tmp", "etc", "proc", "sys", "dev"] {
            try fm.createDirectory(at: rootfs.appendingPathComponent(dir), withIntermediateDirectories: true)
        }
        try fm.setAttributes([.posixPermissions: 0o1777], ofItemAtPath: rootfs.appendingPathComponent("tmp").path)
        try copy("bin/busybox")
        for applet in applets where !fm.fileExists(atPath: rootfs.appendingPathComponent("bin/\(applet)").path) {
            try fm.createSymbolicLink(atPath: rootfs.appendingPathComponent("bin/\(applet)").path, withDestinationPath: "busybox")
        }
        var pending = Self.programs
        var done = Set<String>()
        while let path = pending.popLast() {
            guard done.insert(path).inserted else { continue }
            try copy(path)
            pending.append(contentsOf: try await dependencies(of: path))
        }
        try Data("root:x:0:0:root:/tmp:/bin/sh\nnobody:x:65534:65534:nobody:/tmp:/bin/sh\n".utf8)
            .write(to: rootfs.appendingPathComponent("etc/passwd"))
        try Data("root:x:0:\nnogroup:x:65534:\n".utf8).write(to: rootfs.appendingPathComponent("etc/group"))
    }

    /// The interpreter and `NEEDED` libraries of the ELF file at `path` (inside `source`), as
    /// paths inside `source`.
    func dependencies(of path: String) async throws -> [String] {
        let file = try resolve(path).path
        let output = try await LocalCommand.run(["readelf", "-d", "-l", "-W", file])
        guard output.succeeded else {
            throw OperationError(host: "local", operation: "readelf -d -l \(file)", reason: output.stderrText)
        }
        var result: [String] = []
        for line in output.stdoutText.split(separator: "\n") {
            if let range = line.range(of: "[Requesting program interpreter: ") {
                result.append(String(line[range.upperBound...].dropLast().dropFirst()))  // drop "]" and leading "/"
            } else if line.contains("(NEEDED)"), let open = line.lastIndex(of: "["), let close = line.lastIndex(of: "]") {
                let soname = String(line[line.index(after: open)..<close])
                guard let found = find(library: soname) else {
                    throw OperationError(
                        host: "local", operation: "build \(architecture.rawValue) probe image",
                        reason: "\(soname), needed by /\(path), is in none of \(searchPath.map { "/" + $0 }.joined(separator: ", ")) under \(source.path)",
                        hint: "the Debian package that ships it is missing from the probe image's package list")
                }
                result.append(found)
            }
        }
        return result
    }

    var searchPath: [String] {
        ["lib/\(architecture.triplet)", "usr/lib/\(architecture.triplet)", "lib", "usr/lib"]
    }

    func find(library soname: String) -> String? {
        searchPath.map { "\($0)/\(soname)" }.first { FileManager.default.fileExists(atPath: source.appendingPathComponent($0).path) }
    }

    /// `path` inside `source`, its symlinks followed inside `source` (an absolute link target is
    /// taken relative to `source`, never to this machine's `/`).
    func resolve(_ path: String) throws -> URL {
        var current = path
        for _ in 0..<40 {
            let url = source.appendingPathComponent(current)
            guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: url.path) else {
                // Parent folders may be links too (merged /usr on this machine): let the system
                // resolve those when the tree is `/`.
                return source.path == "/" ? url.resolvingSymlinksInPath() : url
            }
            current = target.hasPrefix("/")
                ? String(target.dropFirst())
                : ((current as NSString).deletingLastPathComponent as NSString).appendingPathComponent(target)
        }
        throw OperationError(host: "local", operation: "resolve /\(path) in \(source.path)", reason: "too many levels of symbolic links")
    }

    /// Copies the file at `path` (links followed) to the same path in `rootfs`.
    func copy(_ path: String) throws {
        let fm = FileManager.default
        let target = rootfs.appendingPathComponent(path)
        if fm.fileExists(atPath: target.path) { return }
        let from = try resolve(path)
        guard fm.fileExists(atPath: from.path) else {
            throw OperationError(
                host: "local", operation: "build \(architecture.rawValue) probe image", reason: "/\(path) is missing under \(source.path)",
                hint: "install Debian's \(ProbeImage.debianPackages.joined(separator: " ")) (`apt-get install -y \(ProbeImage.debianPackages.joined(separator: " "))`)")
        }
        try fm.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        try fm.copyItem(at: from, to: target)
    }
}
