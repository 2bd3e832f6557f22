import Foundation

/// The probe image: Debian's busybox-static, iperf3, sockperf and iputils' `ping` (at ``dfPing``,
/// for DF probes; busybox's `ping` stays on `PATH`) with their shared libraries and a
/// writable `/tmp`, built on this machine without any registry and loaded onto hosts over SSH.
///
/// One variant per CPU architecture (``ProbeArchitecture``): this machine's from the installed
/// packages, another one from Debian's packages of that architecture (``DebianPackageCache``).
/// Each archive is byte-for-byte reproducible from the same binaries (sorted entries, zero mtimes,
/// root ownership), so its image ID is a content hash. Every variant carries the same tag,
/// `crossnet/probe:<12 hex>` (a hash of all variants' image IDs), so one service spec runs on
/// hosts of any architecture, plus its own `crossnet/probe:<12 hex>-<arch>`.
public struct ProbeImage: Sendable, Equatable {
    /// `crossnet/probe:<12 hex>`, the same on every architecture.
    public var tag: String
    /// One build per architecture, in ``ProbeArchitecture`` order.
    public var variants: [Variant]
    /// Versions of the tools inside, recorded with every figure measured with them.
    public var toolVersions: [String: String]

    /// The image for one architecture.
    public struct Variant: Sendable, Equatable {
        public var architecture: ProbeArchitecture
        /// `sha256:<64 hex>`, the hash of the image config, as `docker image inspect` reports it.
        public var imageID: String
        /// `crossnet/probe:<first 12 hex digits of the image ID>-<arch>`.
        public var architectureTag: String
        /// The `docker save` format archive to load.
        public var archive: URL
        /// Versions of the tools in this variant.
        public var toolVersions: [String: String]
    }

    /// The variant for `architecture`, if it was built.
    public func variant(for architecture: ProbeArchitecture) -> Variant? {
        variants.first { $0.architecture == architecture }
    }

    /// The first variant's image ID (amd64 when it was built).
    public var imageID: String { variants[0].imageID }
    /// The first variant's archive.
    public var archive: URL { variants[0].archive }

    /// Debian packages the image is built from.
    public static let debianPackages = ["busybox-static", "iperf3", "sockperf", "iputils-ping"]
    /// iputils' `ping` inside the image: `-M do` sets DF (busybox's `ping` on `PATH` cannot).
    public static let dfPing = "/usr/bin/ping"

    /// Builds this machine's architecture under `cacheDirectory`.
    public static func build(cacheDirectory: String) async throws -> ProbeImage {
        try await build(cacheDirectory: cacheDirectory, architectures: [.native])
    }

    /// Builds one variant per architecture under `cacheDirectory`.
    ///
    /// Each build works in a folder of its own and renames finished archives into the cache, so
    /// two builds at once (two runs) never share or half-write a file.
    public static func build(cacheDirectory: String, architectures: [ProbeArchitecture]) async throws -> ProbeImage {
        let fm = FileManager.default
        let cache = URL(fileURLWithPath: cacheDirectory)
        try fm.createDirectory(at: cache, withIntermediateDirectories: true)
        let work = cache.appendingPathComponent("probe-build-\(UUID().uuidString)")
        try fm.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? fm.removeItem(at: work) }
        let applets = try await busyboxApplets()
        var layers: [(ProbeArchitecture, URL, String, [String: String])] = []
        for architecture in Set(architectures).sorted() {
            let folder = work.appendingPathComponent(architecture.rawValue)
            let (source, versions) = try await sourceTree(architecture, cacheDirectory: cacheDirectory, work: folder)
            let rootfs = folder.appendingPathComponent("rootfs")
            try await ProbeRootfs(source: source, architecture: architecture, rootfs: rootfs).assemble(applets: applets)
            let layer = folder.appendingPathComponent("layer.tar")
            try await tar(["-C", rootfs.path, "-cf", layer.path, "."])
            layers.append((architecture, layer, "sha256:" + (try await sha256(of: layer)), versions))
        }
        var configs: [(ProbeArchitecture, URL, String, Data, [String: String])] = []
        var imageHexes: [ProbeArchitecture: String] = [:]
        for (architecture, layer, diffID, versions) in layers {
            let data = config(architecture: architecture, diffID: diffID, versions: versions)
            let file = work.appendingPathComponent("config-\(architecture.rawValue).json")
            try data.write(to: file)
            imageHexes[architecture] = try await sha256(of: file)
            configs.append((architecture, layer, diffID, data, versions))
        }
        let commonFile = work.appendingPathComponent("variants.txt")
        try Data(commonTagInput(imageIDs: imageHexes.mapValues { "sha256:" + $0 }).utf8).write(to: commonFile)
        let common = "crossnet/probe:" + (try await sha256(of: commonFile)).prefix(12)
        var variants: [Variant] = []
        for (architecture, layer, diffID, data, versions) in configs {
            let hex = imageHexes[architecture]!
            let architectureTag = "crossnet/probe:\(hex.prefix(12))-\(architecture.rawValue)"
            let archive = cache.appendingPathComponent("crossnet-probe-\(common.dropFirst("crossnet/probe:".count))-\(architecture.rawValue).tar")
            try await writeArchive(
                to: archive, config: data, layer: layer, diffID: diffID, tags: [common, architectureTag],
                work: work.appendingPathComponent("archive-\(architecture.rawValue)"))
            variants.append(Variant(
                architecture: architecture, imageID: "sha256:" + hex, architectureTag: architectureTag, archive: archive,
                toolVersions: versions))
        }
        return ProbeImage(tag: common, variants: variants, toolVersions: variants[0].toolVersions)
    }

    /// What the common tag hashes: `arch=imageID` lines, sorted (the tag is `crossnet/probe:` and
    /// the first 12 hex digits of its SHA-256).
    static func commonTagInput(imageIDs: [ProbeArchitecture: String]) -> String {
        imageIDs.sorted { $0.key < $1.key }.map { "\($0.key.rawValue)=\($0.value)\n" }.joined()
    }

    /// Where `architecture`'s Debian files are, and the tool versions in them: `/` for this
    /// machine, else the packages of that architecture extracted under `work`.
    static func sourceTree(
        _ architecture: ProbeArchitecture, cacheDirectory: String, work: URL
    ) async throws -> (URL, [String: String]) {
        if architecture == .native { return (URL(fileURLWithPath: "/"), try await toolVersionsOnThisMachine()) }
        let packages = DebianPackageCache(cacheDirectory: cacheDirectory, architecture: architecture)
        let root = work.appendingPathComponent("debian")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let versions = try await packages.extract(try await packages.closure(of: debianPackages), into: root)
        return (root, toolVersions(fromPackageVersions: versions))
    }

    /// Tool versions from Debian package versions (`1:1.35.0-4+deb12u1+b1` → `v1.35.0` for
    /// busybox, `3.12-1+deb12u2` → `3.12`): the binaries of another architecture cannot run here.
    static func toolVersions(fromPackageVersions versions: [String: String]) -> [String: String] {
        func upstream(_ version: String) -> String {
            var text = Substring(version)
            if let colon = text.firstIndex(of: ":") { text = text[text.index(after: colon)...] }
            if let dash = text.lastIndex(of: "-") { text = text[..<dash] }
            return String(text)
        }
        var result: [String: String] = [:]
        if let v = versions["iperf3"] { result["iperf3"] = upstream(v) }
        if let v = versions["sockperf"] { result["sockperf"] = upstream(v) }
        if let v = versions["busybox-static"] { result["busybox"] = "v" + upstream(v) }
        return result
    }

    /// The image config: what `docker image inspect` shows, and whose hash is the image ID.
    static func config(architecture: ProbeArchitecture, diffID: String, versions: [String: String]) -> Data {
        let tools = versions.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        return Data("""
            {"architecture":"\(architecture.rawValue)","config":{"Cmd":["sleep","infinity"],"Env":["PATH=/bin:/usr/bin"],\
            "Labels":{"crossnet.probe":"1"},"WorkingDir":"/tmp"},"created":"1970-01-01T00:00:00Z",\
            "history":[{"created":"1970-01-01T00:00:00Z","created_by":"crossnet probe image: \(tools)"}],\
            "os":"linux","rootfs":{"diff_ids":["\(diffID)"],"type":"layers"}}
            """.utf8)
    }

    /// Writes a `docker save` archive under a temporary name and renames it to `destination`.
    static func writeArchive(
        to destination: URL, config: Data, layer: URL, diffID: String, tags: [String], work: URL
    ) async throws {
        let fm = FileManager.default
        try fm.createDirectory(at: work, withIntermediateDirectories: true)
        try config.write(to: work.appendingPathComponent("config.json"))
        let layerHex = String(diffID.dropFirst(7))
        let layerDir = work.appendingPathComponent(layerHex)
        try fm.createDirectory(at: layerDir, withIntermediateDirectories: true)
        try fm.copyItem(at: layer, to: layerDir.appendingPathComponent("layer.tar"))
        let repoTags = tags.map { "\"\($0)\"" }.joined(separator: ",")
        try Data("[{\"Config\":\"config.json\",\"RepoTags\":[\(repoTags)],\"Layers\":[\"\(layerHex)/layer.tar\"]}]".utf8)
            .write(to: work.appendingPathComponent("manifest.json"))
        let temporary = destination.deletingLastPathComponent().appendingPathComponent(".\(destination.lastPathComponent).\(UUID().uuidString)")
        try await tar(["-C", work.path, "-cf", temporary.path, "."])
        guard rename(temporary.path, destination.path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? fm.removeItem(at: temporary)
            throw OperationError(host: "local", operation: "rename \(temporary.path) \(destination.path)", reason: reason)
        }
    }

    /// Busybox applet names from this machine's busybox-static (the same Debian build and
    /// configuration on every architecture; another architecture's binary cannot run here).
    static func busyboxApplets() async throws -> [String] {
        guard FileManager.default.isExecutableFile(atPath: "/bin/busybox") else {
            throw OperationError(
                host: "local", operation: "build probe image", reason: "/bin/busybox is missing",
                hint: "install Debian's \(debianPackages.joined(separator: " ")) (`apt-get install -y \(debianPackages.joined(separator: " "))`)")
        }
        return try await LocalCommand.run(["/bin/busybox", "--list"]).stdoutText
            .split(separator: "\n").map(String.init).filter { !$0.isEmpty && $0 != "busybox" }
    }

    /// `iperf3` and `sockperf` versions of the binaries that go into the image.
    static func toolVersionsOnThisMachine() async throws -> [String: String] {
        for program in ["/usr/bin/iperf3", "/usr/bin/sockperf"] where !FileManager.default.isExecutableFile(atPath: program) {
            throw OperationError(
                host: "local", operation: "build probe image", reason: "\(program) is missing",
                hint: "install Debian's \(debianPackages.joined(separator: " ")) (`apt-get install -y \(debianPackages.joined(separator: " "))`)")
        }
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
        return versions
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
