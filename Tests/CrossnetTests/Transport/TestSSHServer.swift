import Foundation
import Testing

@testable import Crossnet

/// A throwaway OpenSSH server on 127.0.0.1 for the transport tests: its own host key, client key,
/// authorized_keys and config in a private temp directory.
final class TestSSHServer: Sendable {
    @TaskLocal static var current: TestSSHServer?

    let directory: String
    let port: Int
    let clientKey: String
    let hostPublicKey: String
    let hostFingerprint: String
    let knownHosts: String
    let pid: Int32

    private init(directory: String, port: Int, clientKey: String, hostPublicKey: String, hostFingerprint: String, knownHosts: String, pid: Int32) {
        self.directory = directory
        self.port = port
        self.clientKey = clientKey
        self.hostPublicKey = hostPublicKey
        self.hostFingerprint = hostFingerprint
        self.knownHosts = knownHosts
        self.pid = pid
    }

    static func start() async throws -> TestSSHServer {
        let directory = NSTemporaryDirectory() + "crossnet-sshd-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try await keygen(directory + "/host_key")
        try await keygen(directory + "/client_key")
        let hostPublicKey = try String(contentsOfFile: directory + "/host_key.pub", encoding: .utf8)
            .split(separator: " ").prefix(2).joined(separator: " ")
        let fingerprint = try await fingerprint(of: directory + "/host_key.pub")
        try FileManager.default.copyItem(atPath: directory + "/client_key.pub", toPath: directory + "/authorized_keys")
        try FileManager.default.createDirectory(atPath: "/run/sshd", withIntermediateDirectories: true)
        var lastError = ""
        for _ in 0..<5 {
            let port = Int.random(in: 22000..<42000)
            let config = """
                ListenAddress 127.0.0.1
                Port \(port)
                HostKey \(directory)/host_key
                PidFile \(directory)/sshd.pid
                AuthorizedKeysFile \(directory)/authorized_keys
                PasswordAuthentication no
                KbdInteractiveAuthentication no
                PubkeyAuthentication yes
                PermitRootLogin prohibit-password
                StrictModes no
                UsePAM no
                AllowStreamLocalForwarding yes
                MaxSessions 10
                MaxStartups 100
                LogLevel VERBOSE

                """
            try config.write(toFile: directory + "/sshd_config", atomically: true, encoding: .utf8)
            let pid = try spawn(["/usr/sbin/sshd", "-D", "-f", directory + "/sshd_config", "-E", directory + "/sshd.log"])
            let knownHosts = directory + "/known_hosts"
            try "[127.0.0.1]:\(port) \(hostPublicKey)\n".write(toFile: knownHosts, atomically: true, encoding: .utf8)
            let server = TestSSHServer(
                directory: directory, port: port, clientKey: directory + "/client_key", hostPublicKey: hostPublicKey,
                hostFingerprint: fingerprint, knownHosts: knownHosts, pid: pid)
            for _ in 0..<100 {
                if waitpid(pid, nil, WNOHANG) != 0 { break }
                if canConnect(port: port) { return server }
                try await Task.sleep(for: .milliseconds(50))
            }
            lastError = (try? String(contentsOfFile: directory + "/sshd.log", encoding: .utf8)) ?? "sshd did not start"
            server.stop(removeDirectory: false)
        }
        throw InputError("could not start test sshd: \(lastError)")
    }

    func stop(removeDirectory: Bool = true) {
        Self.terminate(pid)
        if removeDirectory { try? FileManager.default.removeItem(atPath: directory) }
    }

    /// Starts a program with posix_spawn (Foundation's Process blocks reaping other children while
    /// a long-running one is alive on Linux, which stalls `LocalCommand`).
    static func spawn(_ arguments: [String], stdout: String = "/dev/null") throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, arguments[0], &actions, nil, &argv, environ)
        guard rc == 0 else { throw InputError("cannot start \(arguments[0]): \(String(cString: strerror(rc)))") }
        return pid
    }

    /// SIGTERM, then SIGKILL after a second, and reap.
    static func terminate(_ pid: pid_t) {
        kill(pid, SIGTERM)
        for attempt in 0..<100 {
            if waitpid(pid, nil, WNOHANG) != 0 { return }
            if attempt == 50 { kill(pid, SIGKILL) }
            usleep(20_000)
        }
    }

    /// The endpoint for this server; by default authorized key and correct known_hosts.
    func endpoint(name: String = "testhost", knownHosts: String? = nil, identityFiles: [String]? = nil) -> SSHEndpoint {
        SSHEndpoint(
            hostName: name, address: "127.0.0.1", port: port, user: NSUserName(),
            identityFiles: identityFiles ?? [clientKey], knownHostsFile: knownHosts ?? self.knownHosts)
    }

    func host(name: String, port: Int? = nil) -> HostConfig {
        HostConfig(
            name: name, address: "127.0.0.1", port: port ?? self.port, user: NSUserName(), identityFiles: [clientKey],
            knownHostsFile: knownHosts)
    }

    /// A fresh path inside the server's directory.
    func path(_ name: String) -> String { directory + "/" + UUID().uuidString.prefix(8) + "-" + name }

    static func keygen(_ path: String) async throws {
        _ = try runTool(["/usr/bin/ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", path])
    }

    static func fingerprint(of publicKey: String) async throws -> String {
        let parts = try runTool(["/usr/bin/ssh-keygen", "-l", "-E", "sha256", "-f", publicKey]).split(separator: " ")
        guard parts.count > 1 else { throw InputError("ssh-keygen -l printed nothing for \(publicKey)") }
        return String(parts[1])
    }

    static func sha256(_ data: Data) async throws -> String {
        let file = NSTemporaryDirectory() + "crossnet-sha-\(UUID().uuidString)"
        try data.write(to: URL(fileURLWithPath: file))
        defer { try? FileManager.default.removeItem(atPath: file) }
        return String(try runTool(["/usr/bin/sha256sum", file]).prefix(64))
    }

    /// Runs a short tool to completion and returns its stdout. Uses posix_spawn/waitpid rather
    /// than Foundation's Process (LocalCommand): with long-lived children (sshd, the echo server)
    /// around, Process.waitUntilExit stalled on Linux in these tests.
    static func runTool(_ arguments: [String]) throws -> String {
        let output = NSTemporaryDirectory() + "crossnet-tool-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: output) }
        let pid = try spawn(arguments, stdout: output)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        guard status == 0 else { throw InputError("\(arguments.joined(separator: " ")) failed (status \(status)): \(text)") }
        return text
    }

    private static func canConnect(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }
}

/// Runs a suite with one test sshd, stopped when the suite ends (also when tests fail).
struct SSHServerScope: SuiteTrait, TestScoping {
    func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        let server = try await TestSSHServer.start()
        defer { server.stop() }
        try await TestSSHServer.$current.withValue(server) { try await function() }
    }
}

extension Trait where Self == SSHServerScope {
    static var sshServer: Self { .init() }
}

extension Tag {
    @Tag static var transport: Self
    @Tag static var sshd: Self
}
