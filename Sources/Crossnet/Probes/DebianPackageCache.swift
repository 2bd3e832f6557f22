import Foundation

/// Debian packages of a foreign architecture, fetched with `apt-get download pkg:ARCH` (Debian's
/// own mirror, the only registry Crossnet uses) into a cache and extracted with `dpkg-deb -x`.
///
/// The machine must know the architecture (`dpkg --add-architecture arm64 && apt-get update`,
/// done by `scripts/install-deps.sh`).
struct DebianPackageCache: Sendable {
    /// `<cache>/debs/<arch>`.
    let directory: URL
    let architecture: ProbeArchitecture

    init(cacheDirectory: String, architecture: ProbeArchitecture) {
        directory = URL(fileURLWithPath: cacheDirectory).appendingPathComponent("debs/\(architecture.rawValue)")
        self.architecture = architecture
    }

    /// The packages and, recursively, the `lib*` packages they depend on (not debconf, adduser,
    /// init systems: only what a binary needs at run time).
    func closure(of packages: [String]) async throws -> [String] {
        var seen = Set(packages)
        var queue = packages
        while let package = queue.popLast() {
            let output = try await LocalCommand.run(
                ["apt-cache", "depends", "--no-recommends", "--no-suggests", "--no-conflicts", "--no-breaks",
                 "--no-replaces", "--no-enhances", "--no-pre-depends", "\(package):\(architecture.rawValue)"])
            guard output.succeeded else { throw missingArchitecture(output.stderrText) }
            for line in output.stdoutText.split(separator: "\n") {
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                guard trimmed.hasPrefix("Depends: ") || trimmed.hasPrefix("|Depends: ") else { continue }
                var name = String(trimmed.split(separator: " ").last ?? "")
                if name.hasPrefix("<") { continue }  // virtual package
                name = String(name.split(separator: ":").first ?? "")
                if name.hasPrefix("lib"), seen.insert(name).inserted { queue.append(name) }
            }
        }
        return seen.sorted()
    }

    /// Downloads (once; cached) and extracts `packages` into `root`; returns package → version.
    func extract(_ packages: [String], into root: URL) async throws -> [String: String] {
        let fm = FileManager.default
        try fm.createDirectory(at: directory, withIntermediateDirectories: true)
        var versions: [String: String] = [:]
        for package in packages {
            let deb = try await download(package)
            let output = try await LocalCommand.run(["dpkg-deb", "-x", deb.path, root.path], timeout: .seconds(120))
            guard output.succeeded else {
                throw OperationError(host: "local", operation: "dpkg-deb -x \(deb.lastPathComponent)", reason: output.stderrText)
            }
            let version = try await LocalCommand.run(["dpkg-deb", "-f", deb.path, "Version"]).trimmedStdout
            versions[package] = version
        }
        return versions
    }

    /// The cached `.deb` of `package` for the candidate version, downloading it when missing.
    /// Downloads land in a folder of their own and are renamed into the cache, so two builds at
    /// once never see half a file.
    func download(_ package: String) async throws -> URL {
        let fm = FileManager.default
        let qualified = "\(package):\(architecture.rawValue)"
        let policy = try await LocalCommand.run(["apt-cache", "policy", qualified]).stdoutText
        guard let candidate = policy.split(separator: "\n").first(where: { $0.contains("Candidate:") })?
            .split(separator: " ").last.map(String.init), candidate != "(none)"
        else { throw missingArchitecture("apt-cache policy \(qualified): no candidate version") }
        // apt names files `name_version_arch.deb` with `:` in the version escaped as `%3a`.
        let fileName = "\(package)_\(candidate.replacingOccurrences(of: ":", with: "%3a"))_\(architecture.rawValue).deb"
        let cached = directory.appendingPathComponent(fileName)
        if fm.fileExists(atPath: cached.path) { return cached }
        let staging = directory.appendingPathComponent(".download-\(UUID().uuidString)")
        try fm.createDirectory(at: staging, withIntermediateDirectories: true)
        defer { try? fm.removeItem(at: staging) }
        let output = try await LocalCommand.run(
            ["sh", "-c", "cd \"$1\" && exec apt-get download -q \"$2\"", "sh", staging.path, "\(qualified)=\(candidate)"],
            timeout: .seconds(300))
        let fetched = staging.appendingPathComponent(fileName)
        guard output.succeeded, fm.fileExists(atPath: fetched.path) else {
            throw OperationError(
                host: "local", operation: "apt-get download \(qualified)", reason: output.stderrText + output.stdoutText,
                hint: "Crossnet fetches \(architecture.rawValue) packages from Debian's mirror: check that this machine reaches it")
        }
        guard rename(fetched.path, cached.path) == 0 else {
            throw OperationError(host: "local", operation: "rename \(fetched.path)", reason: String(cString: strerror(errno)))
        }
        return cached
    }

    func missingArchitecture(_ detail: String) -> OperationError {
        OperationError(
            host: "local", operation: "find Debian's \(architecture.rawValue) packages", reason: detail,
            hint: "enable the architecture once: `dpkg --add-architecture \(architecture.rawValue) && apt-get update` (scripts/install-deps.sh does it)")
    }
}
