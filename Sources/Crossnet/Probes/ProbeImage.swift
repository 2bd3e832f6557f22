import Foundation

/// The probe image: Debian's busybox-static, iperf3, sockperf and iputils' `ping` with their shared
/// libraries and a writable `/tmp`, built on this machine without any registry and loaded onto
/// hosts over SSH.
///
/// `ping` on the image's `PATH` is busybox's (`/bin/ping`); iputils' is at ``dfPing``
/// (`/usr/bin/ping`) because busybox ping cannot set the don't-fragment bit (`-M do`), which the
/// path MTU probe needs.
///
/// The archive is byte-for-byte reproducible from the same binaries (sorted entries, zero mtimes,
/// root ownership), so its image ID is a content hash and its tag `crossnet/probe:<12 hex>` says
/// which content a host has.
public struct ProbeImage: Sendable, Equatable {
    /// `crossnet/probe:<first 12 hex digits of the image ID>`.
    public var tag: String
    /// `sha256:<64 hex>`, the hash of the image config, as `docker image inspect` reports it.
    public var imageID: String
    /// The `docker save` format archive to load.
    public var archive: URL
    /// Versions of the tools inside, recorded with every figure measured with them.
    public var toolVersions: [String: String]

    /// Programs copied into the image with their shared libraries.
    static let programs = ["/usr/bin/iperf3", "/usr/bin/sockperf", dfPing]
    /// Debian packages the image is built from.
    public static let debianPackages = ["busybox-static", "iperf3", "sockperf", "iputils-ping"]
    /// iputils' `ping` inside the image: `-M do` sets DF (busybox's `ping` on `PATH` cannot).
    public static let dfPing = "/usr/bin/ping"

    /// Builds the image archive under `cacheDirectory` (reusing it when the content is unchanged).
    public static func build(cacheDirectory: String) async throws -> ProbeImage {
        let fm = FileManager.default
        for program in ["/bin/busybox"] + programs where !fm.isExecutableFile(atPath: program) {
            throw OperationError(
                host: "local", operation: "build probe image", reason: "\(program) is missing",
                hint: "install Debian's \(debianPackages.joined(separator: " ")) (`apt-get install -y \(debianPackages.joined(separator: " "))`)")
        }
        let work = URL(fileURLWithPath: cacheDirectory).appendingPathComponent("probe-build")
        try? fm.removeItem(at: work)
        let rootfs = work.appendingPathComponent("rootfs")
        for dir in ["bin", "usr/bin", "tmp", "etc", "lib64", "lib/x86_64-linux-gnu", "proc", "sys", "dev"] {
            try fm.createDirectory(at: rootfs.appendingPathComponent(dir), withIntermediateDirectories: true)
        }
        try fm.setAttributes([.posixPermissions: 0o1777], ofItemAtPath: rootfs.appendingPathComponent("tmp").path)
        try copy("/bin/busybox", into: rootfs)
        let applets = try await LocalCommand.run(["/bin/busybox", "--list"]).stdoutText
            .split(separator: "\n").map(String.init).filter { !$0.isEmpty && $0 != "busybox" }
        for applet in applets where !fm.fileExists(atPath: rootfs.appendingPathComponent("bin/\(applet)").path) {
            try fm.createSymbolicLink(atPath: rootfs.appendingPathComponent("bin/\(applet)").path, withDestinationPath: "busybox")
        }
        for program in programs {
            try copy(program, into: rootfs)
            for library in try await sharedLibraries(of: program) { try copy(library, into: rootfs) }
        }
        try Data("root:x:0:0:root:/tmp:/bin/sh\nnobody:x:65534:65534:nobody:/tmp:/bin/sh\n".utf8)
            .write(to: rootfs.appendingPathComponent("etc/passwd"))
        try Data("root:x:0:\nnogroup:x:65534:\n".utf8).write(to: rootfs.appendingPathComponent("etc/group"))

        let layer = work.appendingPathComponent("layer.tar")
        try await tar(["-C", rootfs.path, "-cf", layer.path, "."])
        let diffID = "sha256:" + (try await sha256(of: layer))
        let versions = try await toolVersionsOnThisMachine()
        let config = """
            {"architecture":"amd64","config":{"Cmd":["sleep","infinity"],"Env":["PATH=/bin:/usr/bin"],\
            "Labels":{"crossnet.probe":"1"},"WorkingDir":"/tmp"},"created":"1970-01-01T00:00:00Z",\
            "history":[{"created":"1970-01-01T00:00:00Z","created_by":"crossnet probe image: \(versions.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))"}],\
            "os":"linux","rootfs":{"diff_ids":["\(diffID)"],"type":"layers"}}
            """
        let configData = Data(config.utf8)
        let archiveDir = work.appendingPathComponent("archive")
        try fm.createDirectory(at: archiveDir, withIntermediateDirectories: true)
        let configFile = archiveDir.appendingPathComponent("config.json")
        try configData.write(to: configFile)
        let imageHex = try await sha256(of: configFile)
        let tag = "crossnet/probe:\(imageHex.prefix(12))"
        let layerDir = archiveDir.appendingPathComponent(String(diffID.dropFirst(7)))
        try fm.createDirectory(at: layerDir, withIntermediateDirectories: true)
        try fm.moveItem(at: layer, to: layerDir.appendingPathComponent("layer.tar"))
        let manifest = """
            [{"Config":"config.json","RepoTags":["\(tag)"],"Layers":["\(diffID.dropFirst(7))/layer.tar"]}]
            """
        try Data(manifest.utf8).write(to: archiveDir.appendingPathComponent("manifest.json"))
        let archive = URL(fileURLWithPath: cacheDirectory).appendingPathComponent("crossnet-probe-\(imageHex.prefix(12)).tar")
        try await tar(["-C", archiveDir.path, "-cf", archive.path, "."])
        try? fm.removeItem(at: work)
        return ProbeImage(tag: tag, imageID: "sha256:" + imageHex, archive: archive, toolVersions: versions)
    }

    /// `iperf3`, `sockperf`, `busybox` and `iputils` (ping) versions of the binaries that go into the image.
    static func toolVersionsOnThisMachine() async throws -> [String: String] {
        var versions: [String: String] = [:]
        let iperf = try await LocalCommand.run(["/usr/bin/iperf3", "--version"]).stdoutText
        versions["iperf3"] = iperf.split(separator: " ").dropFirst().first.map(String.init) ?? "unknown"
        let sockperf = try await LocalCommand.run(["/usr/bin/sockperf", "--version"])
        let text = sockperf.stdoutText + sockperf.stderrText
        if let range = text.range(of: "version ") {
            versions["sockperf"] = String(text[range.upperBound...].prefix { !$0.isWhitespace && $0 != "," })
        }
        let busybox = try await LocalCommand.run(["/bin/busybox"]).stdoutText
        versions["busybox"] = busybox.split(separator: " ").dropFirst().first.map(String.init) ?? "unknown"
        // `ping -V`: "ping from iputils 20221126".
        let iputils = try await LocalCommand.run([dfPing, "-V"]).stdoutText
        versions["iputils"] = iputils.split(whereSeparator: \.isWhitespace).dropFirst(3).first.map(String.init) ?? "unknown"
        return versions
    }

    static func sharedLibraries(of program: String) async throws -> [String] {
        let output = try await LocalCommand.run(["ldd", program])
        return output.stdoutText.split(separator: "\n").compactMap { line in
            let parts = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if let arrow = parts.firstIndex(of: "=>"), arrow + 1 < parts.count, parts[arrow + 1].hasPrefix("/") {
                return String(parts[arrow + 1])
            }
            if let first = parts.first, first.hasPrefix("/") { return String(first) }
            return nil
        }
    }

    static func copy(_ path: String, into rootfs: URL) throws {
        let fm = FileManager.default
        let resolved = URL(fileURLWithPath: path).resolvingSymlinksInPath()
        let target = rootfs.appendingPathComponent(String(path.dropFirst()))
        try fm.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        if fm.fileExists(atPath: target.path) { return }
        try fm.copyItem(at: resolved, to: target)
    }

    static func tar(_ arguments: [String]) async throws {
        let output = try await LocalCommand.run(
            ["tar", "--sort=name", "--mtime=@0", "--owner=0", "--group=0", "--numeric-owner", "--format=gnu"] + arguments,
            timeout: .seconds(120))
        guard output.succeeded else {
            throw OperationError(host: "local", operation: "tar " + arguments.joined(separator: " "), reason: output.stderrText)
        }
    }

    static func sha256(of file: URL) async throws -> String {
        let output = try await LocalCommand.run(["sha256sum", file.path])
        guard output.succeeded, let hex = output.stdoutText.split(separator: " ").first else {
            throw OperationError(host: "local", operation: "sha256sum \(file.path)", reason: output.stderrText)
        }
        return String(hex)
    }
}
