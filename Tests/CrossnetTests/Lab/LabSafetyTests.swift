import Foundation
import Testing

@testable import Crossnet

/// The lab folder must be the user's alone, and lab daemons are known by executable and start
/// time, never by what their command line says.
@Suite("Lab safety", .serialized)
struct LabSafetyTests {
    func folder(mode: Int) throws -> String {
        let path = NSTemporaryDirectory() + "crossnet-labdir-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        chmod(path, mode_t(mode))
        return path
    }

    @Test("A folder of this user that only it can write is accepted; a missing one too, until it must exist")
    func safeFolder() throws {
        let path = try folder(mode: 0o700)
        defer { rmdir(path) }
        try LabDirectorySafety.check(path, mustExist: true)
        try LabDirectorySafety.check(try folder(mode: 0o755), mustExist: true)
        try LabDirectorySafety.check(path + "/not-yet", mustExist: false)
        #expect(throws: InputError.self) { try LabDirectorySafety.check(path + "/not-yet", mustExist: true) }
    }

    @Test("A group- or world-writable lab folder is refused with the chmod that fixes it", arguments: [
        (0o777, "is writable by everyone (mode 777)"), (0o1777, "is writable by everyone (mode 1777)"),
        (0o770, "is writable by its group (mode 770)"), (0o702, "is writable by everyone (mode 702)"),
    ])
    func writableFolder(mode: Int, phrase: String) throws {
        let path = try folder(mode: mode)
        defer { rmdir(path) }
        let error = #expect(throws: InputError.self) { try LabDirectorySafety.check(path, mustExist: true) }
        #expect(error?.message.contains("lab folder \(path) \(phrase)") == true, "\(String(describing: error))")
        #expect(error?.message.contains("chmod go-w \(path)") == true)
    }

    @Test("A lab folder another user owns is refused, naming both users")
    func otherOwner() throws {
        let path = try folder(mode: 0o700)
        defer { rmdir(path) }
        let error = #expect(throws: InputError.self) {
            try LabDirectorySafety.check(path, mustExist: true, userID: geteuid() &+ 4242)
        }
        #expect(error?.message.contains("lab folder \(path) belongs to \(LabDirectorySafety.userName(geteuid()))") == true,
                "\(String(describing: error))")
        #expect(error?.message.contains("not to uid \(geteuid() &+ 4242) who runs the lab") == true, "\(String(describing: error))")
    }

    @Test("A symbolic link as lab folder is refused")
    func symlink() throws {
        let target = try folder(mode: 0o700)
        let link = target + "-link"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        defer { unlink(link); rmdir(target) }
        let error = #expect(throws: InputError.self) { try LabDirectorySafety.check(link, mustExist: true) }
        #expect(error?.message.contains("is a symbolic link") == true)
    }

    @Test("`lab up` refuses a world-writable folder with exit 2 before building anything",
          .enabled(if: FileManager.default.isExecutableFile(atPath: ReportFixtures.packageRoot + "/.build/debug/crossnet")))
    func labUpRefuses() async throws {
        let path = try folder(mode: 0o777)
        defer { rmdir(path) }
        let output = try await LocalCommand.run(
            [ReportFixtures.packageRoot + "/.build/debug/crossnet", "lab", "up", "--dir", path, "--hosts", "2",
             "--subnet", "198.18.130.0/24"], timeout: .seconds(60))
        #expect(output.exitStatus == 2, "\(output.stderrText)")
        #expect(output.stderrText.contains("error: lab folder \(path) is writable by everyone (mode 777)"), "\(output.stderrText)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: path).isEmpty, "lab up wrote into the folder")
        let id = VirtualLab(directory: path).id
        #expect(!FileManager.default.fileExists(atPath: "/run/crossnet/\(id)"))
        #expect(!FileManager.default.fileExists(atPath: "/sys/class/net/cn\(id)br"))
    }

    /// Starts `arguments` and returns its pid; the caller stops it by that pid.
    func start(_ arguments: [String]) throws -> pid_t {
        try TestSSHServer.spawn(arguments)
    }

    func stop(_ pid: pid_t) { TestSSHServer.terminate(pid) }

    @Test("A process is known by its executable and start time")
    func identity() throws {
        let pid = try start(["/bin/sleep", "30"])
        defer { stop(pid) }
        var identity: ProcessIdentity?
        for _ in 0..<100 where identity == nil {
            identity = ProcessIdentity.current(of: pid, runs: "/bin/sleep")  // /bin → /usr/bin resolved
            if identity == nil { usleep(10_000) }
        }
        let found = try #require(identity)
        #expect(found.executable == LabProcesses.resolved("/usr/bin/sleep"))
        #expect(found.isRunning)
        #expect(ProcessIdentity.current(of: pid, runs: "/usr/sbin/sshd") == nil)
        // The same pid with another start time is another process (a reused pid).
        var reused = found
        reused.startTime += 1
        #expect(!reused.isRunning)
        stop(pid)
        #expect(!found.isRunning)
    }

    @Test("A process whose command line says sshd is not taken for sshd")
    func commandLineLies() throws {
        let pid = try start(["/bin/bash", "-c", "exec -a /usr/sbin/sshd /bin/sleep 30"])
        defer { stop(pid) }
        for _ in 0..<200 where !(LabProcesses.executable(pid)?.hasSuffix("/sleep") ?? false) { usleep(10_000) }
        #expect(LabProcesses.commandLine(pid)?.hasPrefix("/usr/sbin/sshd 30") == true)
        #expect(!LabProcesses.runs(pid, programNamed: "sshd"))
        #expect(!LabProcesses.isAlive(pid, executable: "/usr/sbin/sshd"))
        #expect(LabProcesses.runs(pid, programNamed: "sleep"))
        let stale = LabState.Host(
            name: "h1", address: "198.18.130.2", netns: "x", veth: "x", macvlanRange: "x", dockerSocket: "x",
            execRoot: "x", dataRoot: "x", sshdPid: pid, dockerdPid: nil)
        #expect(!stale.sshdRunning)
    }
}
