import Foundation

extension DockerEngine {
    /// `docker create …`; returns the container ID.
    public func createContainer(_ spec: ContainerSpec) async throws -> String {
        struct Created: Decodable {
            var id: String
            enum CodingKeys: String, CodingKey { case id = "Id" }
        }
        let cli = "docker create" + spec.cliLine.dropFirst("docker run -d".count)
        let response = try await call(
            "POST", "/containers/create", query: [("name", spec.name)], body: try Self.json(spec.createBody), cli: cli)
        return try decode(Created.self, from: response, cli: cli).id
    }

    /// `docker start ID` (already running is fine).
    public func startContainer(_ id: String) async throws {
        try await call("POST", "/containers/\(id)/start", cli: "docker start \(id.prefix(12))", expect: [304])
    }

    /// Creates and starts a container, removing it again if it does not start.
    public func runContainer(_ spec: ContainerSpec) async throws -> String {
        let id = try await createContainer(spec)
        do {
            try await startContainer(id)
        } catch {
            try? await removeContainer(id)
            throw error
        }
        return id
    }

    /// `docker inspect ID`.
    public func inspectContainer(_ id: String) async throws -> ContainerDetails {
        let cli = "docker inspect \(id.prefix(12))"
        return try decode(ContainerDetails.self, from: try await call("GET", "/containers/\(id)/json", cli: cli), cli: cli)
    }

    /// `docker ps -a --filter label=…`.
    public func containers(label: String) async throws -> [ContainerSummary] {
        let cli = "docker ps -a --filter label=\(label)"
        let response = try await call("GET", "/containers/json", query: [("all", "1"), Self.labelFilter(label)], cli: cli)
        return try decode([ContainerSummary].self, from: response, cli: cli)
    }

    /// All containers (`docker ps -a`).
    public func allContainers() async throws -> [ContainerSummary] {
        let cli = "docker ps -a"
        return try decode(
            [ContainerSummary].self, from: try await call("GET", "/containers/json", query: [("all", "1")], cli: cli), cli: cli)
    }

    /// `docker rm -f ID` (already gone is fine).
    public func removeContainer(_ id: String) async throws {
        try await call(
            "DELETE", "/containers/\(id)", query: [("force", "1"), ("v", "1")], cli: "docker rm -f \(id.prefix(12))",
            expect: [404])
    }

    /// `docker wait ID`: waits for the container to stop and returns its exit code.
    public func waitContainer(_ id: String, timeout: Duration) async throws -> Int {
        struct Waited: Decodable {
            var statusCode: Int
            enum CodingKeys: String, CodingKey { case statusCode = "StatusCode" }
        }
        let cli = "docker wait \(id.prefix(12))"
        let response = try await call("POST", "/containers/\(id)/wait", cli: cli, timeout: timeout)
        return try decode(Waited.self, from: response, cli: cli).statusCode
    }

    /// `docker logs ID`: the container's stdout and stderr.
    public func logs(_ id: String) async throws -> CommandOutput {
        let response = try await call(
            "GET", "/containers/\(id)/logs", query: [("stdout", "1"), ("stderr", "1")], cli: "docker logs \(id.prefix(12))")
        var demuxer = StreamDemultiplexer()
        demuxer.feed(response.body)
        return CommandOutput(stdout: demuxer.stdout, stderr: demuxer.stderr, exitStatus: 0)
    }

    /// `docker exec ID CMD…`: runs a command in a running container and returns what it printed
    /// and its exit code. A non-zero exit is returned, not thrown.
    public func exec(_ id: String, _ command: [String], timeout: Duration = .seconds(60)) async throws -> CommandOutput {
        struct ExecCreate: Encodable {
            var attachStdout = true
            var attachStderr = true
            var cmd: [String]
            enum CodingKeys: String, CodingKey { case attachStdout = "AttachStdout", attachStderr = "AttachStderr", cmd = "Cmd" }
        }
        struct Created: Decodable {
            var id: String
            enum CodingKeys: String, CodingKey { case id = "Id" }
        }
        struct Start: Encodable {
            var detach = false
            var tty = false
            enum CodingKeys: String, CodingKey { case detach = "Detach", tty = "Tty" }
        }
        struct Inspect: Decodable {
            var exitCode: Int?
            var running: Bool
            enum CodingKeys: String, CodingKey { case exitCode = "ExitCode", running = "Running" }
        }
        let cli = "docker exec \(id.prefix(12)) \(command.map(shellQuote).joined(separator: " "))"
        let clock = ContinuousClock.now
        let created = try await call(
            "POST", "/containers/\(id)/exec", body: try Self.json(ExecCreate(cmd: command)), cli: cli + "  # create")
        let execID = try decode(Created.self, from: created, cli: cli).id
        let collector = DemuxCollector()
        try await stream(
            "POST", "/exec/\(execID)/start", body: try Self.json(Start()), cli: cli, timeout: timeout
        ) { chunk in collector.feed(chunk) }
        var inspect = try decode(
            Inspect.self, from: try await call("GET", "/exec/\(execID)/json", cli: cli + "  # inspect"), cli: cli)
        // The stream can end a moment before the Engine records the exit code.
        var tries = 0
        while inspect.running && tries < 50 {
            try await Task.sleep(for: .milliseconds(20))
            inspect = try decode(
                Inspect.self, from: try await call("GET", "/exec/\(execID)/json", cli: cli + "  # inspect"), cli: cli)
            tries += 1
        }
        let (out, err) = collector.result
        return CommandOutput(
            stdout: out, stderr: err, exitStatus: Int32(inspect.exitCode ?? -1), duration: ContinuousClock.now - clock)
    }
}

/// Quotes an argument for display in a shell-like command line.
func shellQuote(_ argument: String) -> String {
    if argument.isEmpty { return "''" }
    let safe = argument.allSatisfy { $0.isLetter || $0.isNumber || "-_./=:,@%+".contains($0) }
    return safe ? argument : "'" + argument.replacingOccurrences(of: "'", with: "'\\''") + "'"
}

/// Splits Docker's multiplexed stdout/stderr stream (8-byte frame headers) into its two streams.
public struct StreamDemultiplexer: Sendable {
    public private(set) var stdout = Data()
    public private(set) var stderr = Data()
    private var pending = Data()

    public init() {}

    /// Feeds bytes as they arrive; frames may be split anywhere.
    public mutating func feed(_ data: Data) {
        pending.append(data)
        while pending.count >= 8 {
            let header = [UInt8](pending.prefix(8))
            let size = Int(header[4]) << 24 | Int(header[5]) << 16 | Int(header[6]) << 8 | Int(header[7])
            guard pending.count >= 8 + size else { return }
            let payload = pending.subdata(in: pending.startIndex + 8..<pending.startIndex + 8 + size)
            if header[0] == 2 { stderr.append(payload) } else { stdout.append(payload) }
            pending = Data(pending.dropFirst(8 + size))
        }
    }
}

final class DemuxCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var demuxer = StreamDemultiplexer()
    func feed(_ data: Data) {
        lock.lock()
        demuxer.feed(data)
        lock.unlock()
    }
    var result: (Data, Data) {
        lock.lock()
        defer { lock.unlock() }
        return (demuxer.stdout, demuxer.stderr)
    }
}
