import Foundation

extension DockerEngine {
    /// `docker image inspect NAME`; `nil` when the image is not there.
    public func inspectImage(_ name: String) async throws -> ImageDetails? {
        let cli = "docker image inspect \(name)"
        let response = try await call("GET", "/images/\(percentEncode(name))/json", cli: cli, expect: [404])
        if response.status == 404 { return nil }
        return try decode(ImageDetails.self, from: response, cli: cli)
    }

    /// `docker load -i FILE`: streams a `docker save` archive to the Engine.
    public func loadImage(archive: URL, timeout: Duration = .seconds(300)) async throws {
        let cli = "docker load -i \(archive.lastPathComponent)"
        let progress = ByteCollector()
        try await stream(
            "POST", "/images/load", query: [("quiet", "1")], body: .file(archive, contentType: "application/x-tar"),
            cli: cli, timeout: timeout
        ) { chunk in progress.append(chunk) }
        // The Engine answers 200 and reports a failed load inside the JSON message stream:
        // `errorDetail.message`, and up to API 1.47 also `error` (deprecated in 1.48, may be omitted).
        struct Message: Decodable {
            var error: String?
            var errorDetail: Detail?
            struct Detail: Decodable { var message: String? }
        }
        for line in progress.data.split(separator: UInt8(ascii: "\n")) {
            if let message = try? JSONDecoder().decode(Message.self, from: Data(line)),
                let error = message.errorDetail?.message ?? message.error
            {
                throw OperationError(host: host, operation: cli, reason: "the Engine refused the image: \(error)")
            }
        }
    }

    /// `docker rmi NAME`.
    public func removeImage(_ name: String) async throws {
        try await call("DELETE", "/images/\(percentEncode(name))", cli: "docker rmi \(name)", expect: [404])
    }
}

/// Collects bytes from a stream callback (thread-safe).
final class ByteCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var buffer = Data()

    func append(_ chunk: Data) { lock.withLock { buffer.append(chunk) } }

    var data: Data { lock.withLock { buffer } }
}
