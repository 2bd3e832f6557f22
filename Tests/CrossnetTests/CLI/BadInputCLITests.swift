import Foundation
import Testing

@testable import Crossnet

#if canImport(Glibc)
    import Glibc
#endif

/// A TCP port on 127.0.0.1 that every host of the test inventories points at. Nothing accepts on
/// it while the command runs; afterwards a non-blocking `accept` tells whether anything connected
/// (the kernel completes handshakes into the backlog by itself).
final class ConnectionWitness {
    let port: Int
    private let socketFD: Int32

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard fd >= 0, bound == 0, listen(fd, 16) == 0 else {
            close(fd)
            throw InputError("cannot listen on 127.0.0.1")
        }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        socketFD = fd
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit { close(socketFD) }

    /// `true` when some process connected since the listener opened.
    var connected: Bool {
        let client = accept(socketFD, nil, nil)
        if client >= 0 { close(client) }
        return client >= 0
    }
}

/// Every kind of bad input, through the built `crossnet` executable: exit 2, a message naming
/// what to fix, and nothing connected to (skipped when the executable is not built).
@Suite(
    "CLI: bad input exits 2 before anything starts", .serialized,
    .enabled(if: FileManager.default.isExecutableFile(atPath: ReportFixtures.packageRoot + "/.build/debug/crossnet")))
struct BadInputCLITests {
    let crossnet = ReportFixtures.packageRoot + "/.build/debug/crossnet"

    static let folder: String = {
        let path = NSTemporaryDirectory() + "crossnet-cli-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }()

    /// Runs `crossnet arguments` in the package root; exit status and stdout+stderr.
    func run(_ arguments: [String]) async throws -> (status: Int32, text: String) {
        let output = try await LocalCommand.run(
            ["sh", "-c", "cd \"$0\" && exec \"$@\"", ReportFixtures.packageRoot, crossnet] + arguments, timeout: .seconds(60))
        return (output.exitStatus, output.stdoutText + output.stderrText)
    }

    /// Writes `yaml` with `PORT` replaced by the witness's port; returns its path.
    func inventory(_ name: String, _ yaml: String, port: Int) throws -> String {
        let path = Self.folder + "/\(name.replacingOccurrences(of: " ", with: "-")).yaml"
        try yaml.replacingOccurrences(of: "PORT", with: "\(port)").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    // Hosts reached at 127.0.0.1 (the witness) need a data address that is not loopback, or
    // loading stops there before reaching the fault under test.
    static let inventories: [(name: String, yaml: String, message: String)] = [
        ("host name with $()", "hosts:\n  - {name: \"$(touch /tmp/pwned)\", address: 127.0.0.1, port: PORT}\n",
         ":2:12: host name '$(touch /tmp/pwned)' is not valid"),
        ("host name with ;", "hosts:\n  - {name: \"h1;reboot\", address: 127.0.0.1, port: PORT}\n",
         ":2:12: host name 'h1;reboot' is not valid"),
        ("interface with $()", "hosts:\n  - {name: h1, address: 127.0.0.1, port: PORT, interface: \"$(id)\"}\n",
         ":2:60: 'interface' in host 'h1' must be a network interface name"),
        ("interface with ;", "hosts:\n  - {name: h1, address: 127.0.0.1, port: PORT, interface: \"eth0;id\"}\n",
         "'interface' in host 'h1' must be a network interface name"),
        ("duplicate host", "hosts:\n  - {name: h1, address: 127.0.0.1, port: PORT, data_address: 198.18.255.254}\n  - {name: h1, address: 127.0.0.2, port: PORT, data_address: 198.18.255.253}\n",
         ":3:12: duplicate host name 'h1' (already used at line 2)"),
        ("quoted port", "hosts:\n  - {name: h1, address: 127.0.0.1, port: \"PORT\"}\n",
         "must be an integer from 1 to 65535, got the string"),
        ("missing identity", "hosts:\n  - {name: h1, address: 127.0.0.1, port: PORT, identity: /nonexistent/id_ed25519}\n",
         "identity file /nonexistent/id_ed25519 in host 'h1' does not exist"),
        ("empty host list", "hosts: []\n", ":1:8: 'hosts' is empty"),
        ("absurd UDP rate", "hosts:\n  - {name: h1, address: 127.0.0.1, port: PORT, data_address: 198.18.255.254}\nmeasurement: {udp_rate: 10000000000G}\n",
         ":3:25: 'udp_rate' in 'measurement' must be at most 100G"),
        ("overlapping subnets",
         "hosts:\n  - {name: h1, address: 127.0.0.1, port: PORT, interface: eth0, data_address: 198.18.255.254}\nnetwork:\n  macvlan: {subnet: 198.18.0.0/24, gateway: 198.18.0.1, ranges: {h1: 198.18.0.64/28}}\n  overlay: {subnet: 198.18.0.128/25}\n",
         ":5:21: the overlay subnet 'network.overlay.subnet' 198.18.0.128/25 overlaps the macvlan subnet"),
    ]

    @Test("A hostile inventory exits 2 naming file:line:col and connects nowhere", arguments: inventories.map(\.name))
    func badInventory(name: String) async throws {
        let bad = try #require(Self.inventories.first { $0.name == name })
        let witness = try ConnectionWitness()
        let path = try inventory(name, bad.yaml, port: witness.port)
        for command in [["clean"], ["check"]] {
            let (status, text) = try await run(command + ["--inventory", path])
            #expect(status == 2, "\(command) \(name): \(text)")
            #expect(text.contains("error: " + path), "\(text)")
            #expect(text.contains(bad.message), "\(text)")
        }
        #expect(!witness.connected, "something connected to the inventory's host")
    }

    static let flags: [(arguments: [String], message: String)] = [
        (["compare", "a.json", "b.json", "--tolerance", "abc"], "The value 'abc' is invalid for '--tolerance <tolerance>'"),
        (["run", "--tolerance", "abc"], "The value 'abc' is invalid for '--tolerance <tolerance>'"),
        (["run", "--tolerance=-5"], "--tolerance must be a percentage from 0 to 1000, got -5.0"),
        (["run", "--tolerance", "nan"], "--tolerance must be a percentage from 0 to 1000"),
        (["run", "--filter", "("], "--filter '(' is not a valid regular expression"),
        (["run", "--filter", "[a-"], "--filter '[a-' is not a valid regular expression"),
        (["run", "--duration", "ten"], "The value 'ten' is invalid for '--duration <duration>'"),
        (["run", "--duration", "99999999999999999999"], "The value '99999999999999999999' is invalid for '--duration <duration>'"),
        (["run", "--duration", "0"], "--duration must be 1…3600 seconds, got 0"),
        (["run", "--repeats", "1000"], "--repeats must be 1…100, got 1000"),
        (["run", "--pairs", "ring"], "--pairs must be mesh or star, got \"ring\""),
        (["run", "--push", "ftp://host/x"], "--push takes an http(s) URL"),
        (["run", "--no-such-flag"], "Unknown option '--no-such-flag'"),
        (["lab", "up", "--hosts", "three"], "The value 'three' is invalid for '--hosts <hosts>'"),
        (["lab", "exec", "h1"], "give the command after --"),
        (["frobnicate"], "Unexpected argument 'frobnicate'"),
    ]

    @Test("An unparsable or invalid flag value exits 2 with the parser's message and connects nowhere",
          arguments: flags.map { $0.arguments.joined(separator: " ") })
    func badFlag(line: String) async throws {
        let flag = try #require(Self.flags.first { $0.arguments.joined(separator: " ") == line })
        let witness = try ConnectionWitness()
        let path = try inventory("good", "hosts:\n  - {name: h1, address: 127.0.0.1, port: PORT}\n", port: witness.port)
        var arguments = flag.arguments
        if arguments.first == "run" { arguments += ["--inventory", path, "--reports", Self.folder + "/reports"] }
        let (status, text) = try await run(arguments)
        #expect(status == 2, "\(text)")
        #expect(text.contains(flag.message), "\(text)")
        #expect(!witness.connected, "something connected to the inventory's host")
        #expect(!FileManager.default.fileExists(atPath: Self.folder + "/reports"), "a run folder was created")
    }

    @Test("The witness sees a connection when there is one")
    func witnessSees() async throws {
        let witness = try ConnectionWitness()
        _ = try await LocalCommand.run(["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/\(witness.port)"], timeout: .seconds(10))
        #expect(witness.connected)
    }

    @Test("--help and --version still exit 0")
    func helpExitsZero() async throws {
        #expect(try await run(["--help"]).status == 0)
        #expect(try await run(["--version"]).status == 0)
        #expect(try await run(["run", "--help"]).status == 0)
    }

    @Test("Credentials in a URL never reach the console, even in a parse error")
    func credentialsRedacted() async throws {
        let witness = try ConnectionWitness()
        let path = try inventory("good", "hosts:\n  - {name: h1, address: 127.0.0.1, port: PORT}\n", port: witness.port)
        for arguments in [
            ["run", "--push", "ftp://alice:s3cret-pw@push.example/x"],
            ["run", "--tolerance", "http://alice:s3cret-pw@push.example/x"],
            ["run", "--push", "http://alice:s3cret-pw@"],
        ] {
            // An inventory and a reports folder of its own, so that a validation gap could
            // never bring up the default lab.
            let (status, text) = try await run(arguments + ["--inventory", path, "--reports", Self.folder + "/reports"])
            #expect(status == 2, "\(text)")
            #expect(!text.contains("s3cret-pw"), "\(text)")
            #expect(text.contains("REDACTED@"), "\(text)")
        }
        #expect(!witness.connected)
    }
}
