import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A **test double** that makes a real, older dockerd look like Docker Engine 29 as far as API
/// versions go. It is not Docker 29 and imitates only this documented behaviour:
///
/// - a request whose path carries a version below the floor (`/v1.41/…` when the floor is 1.44) is
///   refused with HTTP 400 and exactly Docker 29's body,
///   `{"message":"client version 1.41 is too old. Minimum supported API version is 1.44, please upgrade your client to a newer version"}`;
///   one above the ceiling gets Docker's "too new" 400;
/// - `GET /version` answers `ApiVersion` 1.52 and `MinAPIVersion` 1.44 (everything else comes
///   from the real daemon);
/// - every answer, `/_ping` included, carries `Api-Version: 1.52`;
/// - unversioned paths always work;
/// - accepted versioned paths (1.44…1.52) are rewritten to the real daemon's version (1.41 for
///   Debian's 20.10) and forwarded, with the body and any hijacked stream (exec, attach) passed
///   through unchanged.
///
/// Each client connection carries one request (the gate asks both sides for `Connection: close`,
/// except on upgrade requests), on a thread of its own. `crossnet lab up --engine docker29` runs
/// one gate per lab host, in that host's namespaces, as `crossnet lab engine-gate`.
public struct EngineGate: Sendable {
    /// Where the gate listens and what it claims.
    public struct Configuration: Sendable, Equatable {
        /// Unix socket the gate listens on (replaced if it exists).
        public var listen: String
        /// The real dockerd's unix socket.
        public var upstream: String
        /// The highest version the gate claims (`ApiVersion`, `Api-Version`): Docker 29's 1.52.
        public var apiVersion: EngineAPIVersion
        /// The lowest version the gate accepts (`MinAPIVersion`): Docker 29's 1.44.
        public var minAPIVersion: EngineAPIVersion
        /// The version the real daemon speaks; accepted paths are rewritten to it (20.10: 1.41).
        public var upstreamAPIVersion: EngineAPIVersion

        public init(
            listen: String, upstream: String, apiVersion: EngineAPIVersion = EngineAPIVersion(1, 52),
            minAPIVersion: EngineAPIVersion = EngineAPIVersion(1, 44),
            upstreamAPIVersion: EngineAPIVersion = EngineAPIVersion(1, 41)
        ) {
            self.listen = listen
            self.upstream = upstream
            self.apiVersion = apiVersion
            self.minAPIVersion = minAPIVersion
            self.upstreamAPIVersion = upstreamAPIVersion
        }
    }

    public let configuration: Configuration

    public init(_ configuration: Configuration) {
        self.configuration = configuration
    }

    /// Docker 29's answer to a client below its floor (the exact body, newline included as the
    /// daemon's JSON encoder writes it).
    public static func tooOldBody(client: EngineAPIVersion, minimum: EngineAPIVersion) -> String {
        #"{"message":"client version \#(client) is too old. Minimum supported API version is \#(minimum), please upgrade your client to a newer version"}"#
            + "\n"
    }

    /// Docker's answer to a client above its ceiling.
    public static func tooNewBody(client: EngineAPIVersion, maximum: EngineAPIVersion) -> String {
        #"{"message":"client version \#(client) is too new. Maximum supported API version is \#(maximum)"}"# + "\n"
    }

    /// Binds the socket and serves until the process is killed; blocks the calling thread.
    /// - Throws: ``LabError`` when the socket cannot be bound.
    public func run(pidFile: String? = nil) throws -> Never {
        signal(SIGPIPE, SIG_IGN)
        let listener = try GateSocket.listen(path: configuration.listen)
        if let pidFile {
            try? "\(getpid())\n".write(toFile: pidFile, atomically: true, encoding: .utf8)
        }
        let configuration = configuration
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 {
                if errno == EINTR || errno == ECONNABORTED { continue }
                usleep(10_000)
                continue
            }
            let thread = Thread { GateConnection(client: client, configuration: configuration).serve() }
            thread.stackSize = 256 * 1024
            thread.start()
        }
    }
}

/// What the gate does with one request.
enum GateDecision: Equatable {
    /// Answer without the daemon: status and JSON body.
    case refuse(status: Int, body: String)
    /// `GET /version`: ask the daemon, then rewrite the versions in its answer.
    case version(upstreamTarget: String)
    /// Forward with this request target.
    case forward(upstreamTarget: String)

    /// Decides on a request target such as `/v1.44/containers/json?all=1`.
    static func decide(target: String, configuration: EngineGate.Configuration) -> GateDecision {
        var path = Substring(target.prefix { $0 != "?" })
        let query = target.dropFirst(path.count)
        var rewritten = target
        if path.hasPrefix("/v"), let slash = path.dropFirst().firstIndex(of: "/"),
            let version = EngineAPIVersion(path[path.index(after: path.startIndex)..<slash])
        {
            if version < configuration.minAPIVersion {
                return .refuse(
                    status: 400, body: EngineGate.tooOldBody(client: version, minimum: configuration.minAPIVersion))
            }
            if version > configuration.apiVersion {
                return .refuse(
                    status: 400, body: EngineGate.tooNewBody(client: version, maximum: configuration.apiVersion))
            }
            path = path[slash...]
            rewritten = configuration.upstreamAPIVersion.pathPrefix + path + query
        }
        if path == "/version" { return .version(upstreamTarget: rewritten) }
        return .forward(upstreamTarget: rewritten)
    }
}

/// One client connection: reads the request head, answers or forwards it.
struct GateConnection {
    let client: Int32
    let configuration: EngineGate.Configuration
    /// Most bytes of a request or response head the gate reads before giving up.
    static let maxHeadBytes = 64 * 1024

    func serve() {
        defer { close(client) }
        guard let (head, rest) = GateSocket.readHead(client, limit: Self.maxHeadBytes),
            var request = GateHead(head), request.lines.count >= 1
        else { return }
        let parts = request.lines[0].split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 3 else { return }
        let method = String(parts[0])
        switch GateDecision.decide(target: String(parts[1]), configuration: configuration) {
        case .refuse(let status, let body):
            _ = GateSocket.writeAll(client, ownResponse(status: status, body: Data(body.utf8)))
        case .version(let target):
            request.lines[0] = "\(method) \(target) \(parts[2])"
            answerVersion(request: request, rest: rest)
        case .forward(let target):
            request.lines[0] = "\(method) \(target) \(parts[2])"
            forward(request: request, rest: rest)
        }
    }

    /// A response the gate makes itself, with the headers Docker puts on every answer.
    func ownResponse(status: Int, body: Data) -> Data {
        let reason = [200: "OK", 400: "Bad Request", 502: "Bad Gateway"][status] ?? "Error"
        let date = Self.httpDate()
        let head = [
            "HTTP/1.1 \(status) \(reason)", "Api-Version: \(configuration.apiVersion)", "Content-Type: application/json",
            "Docker-Experimental: false", "Ostype: linux", "Server: Docker/29.0.0 (linux)", "Date: \(date)",
            "Content-Length: \(body.count)", "Connection: close",
        ]
        return Data((head.joined(separator: "\r\n") + "\r\n\r\n").utf8) + body
    }

    /// Forwards the request and pipes both directions until the daemon closes.
    func forward(request: GateHead, rest: Data) {
        var request = request
        if request.value("upgrade") == nil {
            request.set("Connection", "close")
            request.remove("Keep-Alive")
        }
        guard let upstream = GateSocket.connect(path: configuration.upstream) else {
            _ = GateSocket.writeAll(client, ownResponse(status: 502, body: Data(#"{"message":"engine-gate: the daemon behind the gate does not answer"}"#.utf8 + [10])))
            return
        }
        defer { close(upstream) }
        guard GateSocket.writeAll(upstream, request.data + rest) else { return }
        let client = client
        let uploaded = DispatchSemaphore(value: 0)
        let uploader = Thread {
            GateSocket.pipe(from: client, to: upstream)
            shutdown(upstream, Int32(SHUT_WR))
            uploaded.signal()
        }
        uploader.start()
        // The response head gets Docker 29's Api-Version; the rest passes as it is.
        if let (head, more) = GateSocket.readHead(upstream, limit: Self.maxHeadBytes), var response = GateHead(head),
            response.lines[0].hasPrefix("HTTP/")
        {
            if response.value("api-version") != nil { response.set("Api-Version", configuration.apiVersion.description) }
            if GateSocket.writeAll(client, response.data + more) {
                GateSocket.pipe(from: upstream, to: client)
            }
        }
        // Both sockets are closed only once the uploader is done with them.
        shutdown(client, Int32(SHUT_RDWR))
        shutdown(upstream, Int32(SHUT_RDWR))
        uploaded.wait()
    }

    /// Asks the daemon for `/version` and answers it with the gate's versions.
    func answerVersion(request: GateHead, rest: Data) {
        var request = request
        request.set("Connection", "close")
        guard let upstream = GateSocket.connect(path: configuration.upstream) else { return }
        defer { close(upstream) }
        guard GateSocket.writeAll(upstream, request.data + rest) else { return }
        shutdown(upstream, Int32(SHUT_WR))
        let answer = GateSocket.readAll(upstream, limit: 4 << 20)
        guard let split = answer.firstRange(of: Data("\r\n\r\n".utf8)),
            let head = GateHead(answer[..<split.upperBound])
        else { return }
        var body = Data(answer[split.upperBound...])
        if head.value("transfer-encoding")?.lowercased().contains("chunked") == true {
            guard let plain = Self.dechunk(body) else { return }
            body = plain
        }
        let status = Int(head.lines[0].split(separator: " ").dropFirst().first ?? "") ?? 502
        if status == 200, var object = try? JSONSerialization.jsonObject(with: body) as? [String: Any] {
            object["ApiVersion"] = configuration.apiVersion.description
            object["MinAPIVersion"] = configuration.minAPIVersion.description
            if var components = object["Components"] as? [[String: Any]] {
                for index in components.indices where components[index]["Name"] as? String == "Engine" {
                    var details = components[index]["Details"] as? [String: Any] ?? [:]
                    details["ApiVersion"] = configuration.apiVersion.description
                    details["MinAPIVersion"] = configuration.minAPIVersion.description
                    components[index]["Details"] = details
                }
                object["Components"] = components
            }
            if let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) {
                body = data + [10]
            }
        }
        _ = GateSocket.writeAll(client, ownResponse(status: status, body: body))
    }

    /// Decodes a chunked body; `nil` when it is malformed.
    static func dechunk(_ data: Data) -> Data? {
        var output = Data()
        var rest = data[...]
        while let lineEnd = rest.firstRange(of: Data("\r\n".utf8)) {
            guard let size = parseChunkSize(Substring(decoding: rest[..<lineEnd.lowerBound], as: UTF8.self)) else { return nil }
            rest = rest[lineEnd.upperBound...]
            if size == 0 { return output }
            guard rest.count >= size + 2 else { return nil }
            output.append(rest.prefix(size))
            rest = rest.dropFirst(size + 2)
        }
        return nil
    }

    static func httpDate() -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return formatter.string(from: Date())
    }
}

/// An HTTP head as lines (request or status line first), with header edits.
struct GateHead {
    var lines: [String]

    init?(_ data: Data) {
        guard let text = String(data: data, encoding: .utf8) else { return nil }
        var lines = text.components(separatedBy: "\r\n")
        while lines.last?.isEmpty == true { lines.removeLast() }
        guard !lines.isEmpty else { return nil }
        self.lines = lines
    }

    func value(_ name: String) -> String? {
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            if line[..<colon].lowercased() == name.lowercased() {
                return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
        }
        return nil
    }

    mutating func remove(_ name: String) {
        lines = [lines[0]]
            + lines.dropFirst().filter { line in
                guard let colon = line.firstIndex(of: ":") else { return true }
                return line[..<colon].lowercased() != name.lowercased()
            }
    }

    /// Replaces the field in place (keeping the order of the head), or appends it.
    mutating func set(_ name: String, _ value: String) {
        let index = lines.indices.dropFirst().first { index in
            guard let colon = lines[index].firstIndex(of: ":") else { return false }
            return lines[index][..<colon].lowercased() == name.lowercased()
        }
        remove(name)
        if let index, index <= lines.count {
            lines.insert("\(name): \(value)", at: index)
        } else {
            lines.append("\(name): \(value)")
        }
    }

    var data: Data { Data((lines.joined(separator: "\r\n") + "\r\n\r\n").utf8) }
}

/// Blocking unix-socket helpers for the gate (it runs on threads of its own).
enum GateSocket {
    static func address(_ path: String) -> sockaddr_un? {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return nil }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in bytes.enumerated() { buffer[index] = byte }
        }
        return address
    }

    static func listen(path: String) throws -> Int32 {
        guard var address = address(path) else {
            throw LabError(step: "engine-gate: listen on \(path)", reason: "the path is too long for a unix socket")
        }
        unlink(path)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard fd >= 0, bound == 0, Glibc.listen(fd, 128) == 0 else {
            let reason = String(cString: strerror(errno))
            throw LabError(step: "engine-gate: listen on \(path)", reason: reason, hint: "check the folder exists and is writable")
        }
        chmod(path, 0o660)
        return fd
    }

    static func connect(path: String) -> Int32? {
        guard var address = address(path) else { return nil }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        if connected != 0 {
            close(fd)
            return nil
        }
        return fd
    }

    /// Reads up to the end of an HTTP head; returns the head (with its blank line) and whatever
    /// followed it, or `nil` on EOF, error, or a head above `limit`.
    static func readHead(_ fd: Int32, limit: Int) -> (Data, Data)? {
        var buffer = Data()
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while buffer.count <= limit {
            if let end = buffer.firstRange(of: Data("\r\n\r\n".utf8)) {
                return (Data(buffer[..<end.upperBound]), Data(buffer[end.upperBound...]))
            }
            let count = read(fd, &chunk, chunk.count)
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { return nil }
            buffer.append(contentsOf: chunk[0..<count])
        }
        return nil
    }

    static func readAll(_ fd: Int32, limit: Int) -> Data {
        var buffer = Data()
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while buffer.count < limit {
            let count = read(fd, &chunk, chunk.count)
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            buffer.append(contentsOf: chunk[0..<count])
        }
        return buffer
    }

    @discardableResult
    static func writeAll(_ fd: Int32, _ data: Data) -> Bool {
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if written < 0 && errno == EINTR { continue }
                if written <= 0 { return false }
                offset += written
            }
            return true
        }
    }

    /// Copies bytes until `source` ends or `destination` stops taking them.
    static func pipe(from source: Int32, to destination: Int32) {
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = read(source, &chunk, chunk.count)
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { return }
            if !writeAll(destination, Data(chunk[0..<count])) { return }
        }
    }
}

extension EngineGate {
    /// Sends `GET /_ping` to the Engine socket at `path` and returns its `Api-Version` header;
    /// `nil` when nothing answers within 5 s. Blocking: call it from a thread of your own.
    public static func pingAPIVersion(socket path: String) -> String? {
        guard let fd = GateSocket.connect(path: path) else { return nil }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let request = "GET /_ping HTTP/1.1\r\nHost: docker\r\nUser-Agent: crossnet\r\nConnection: close\r\n\r\n"
        guard GateSocket.writeAll(fd, Data(request.utf8)),
            let (head, _) = GateSocket.readHead(fd, limit: GateConnection.maxHeadBytes), let parsed = GateHead(head),
            parsed.lines[0].contains(" 200 ")
        else { return nil }
        return parsed.value("api-version")
    }
}
