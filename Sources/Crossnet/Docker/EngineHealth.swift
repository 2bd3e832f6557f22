import Foundation

/// Whether a host's Engine still answers, shared by every ``DockerEngine`` value for that host
/// (see ``HostFleet/engine(_:)``). After a call to the Engine runs past its deadline (a frozen or
/// overloaded dockerd), every later call first asks `/_ping` with a short deadline and fails at once
/// when that gets no answer either — so a host whose Engine hangs costs one deadline per check,
/// not one full deadline per call, and the other hosts' tests go on.
public final class EngineHealth: @unchecked Sendable {
    /// Deadline of the `/_ping` that checks a suspect Engine.
    public static let recheckDeadline: Duration = .seconds(3)

    private let lock = NSLock()
    private var timedOut: (operation: String, at: Date)?

    public init() {}

    /// The call that last ran past its deadline, while the Engine has not answered since.
    public var suspect: (operation: String, at: Date)? { lock.withLock { timedOut } }

    func markTimedOut(_ operation: String) { lock.withLock { timedOut = (operation, Date()) } }
    func markAnswering() { lock.withLock { timedOut = nil } }
}

/// A call was not sent because the host's Engine stopped answering earlier in the run and still
/// does not answer `/_ping`.
public struct EngineUnresponsive: CrossnetError {
    public var host: String
    public var operation: String
    public var firstTimeout: String
    public var since: Date

    public var description: String {
        let time = ISO8601DateFormatter().string(from: since)
        return "\(host): `\(operation)` not sent: the Docker Engine stopped answering at \(time) (`\(firstTimeout)` ran past its deadline) and does not answer /_ping within \(EngineHealth.recheckDeadline) — check dockerd on \(host) (is it frozen or overloaded?), then run `crossnet check`"
    }
}

extension DockerEngine {
    /// Before a call: a suspect Engine must answer `/_ping` within ``EngineHealth/recheckDeadline``.
    func checkHealth(before cli: String) async throws {
        guard let health, let suspect = health.suspect else { return }
        let connect = connect
        let host = host
        do {
            try await withDeadline(EngineHealth.recheckDeadline, host: host, operation: "GET /_ping") {
                let stream = try await connect()
                defer { Task { await stream.close() } }
                _ = try await HTTPClient(host: host).send(
                    HTTPRequest(method: "GET", path: "/_ping", body: .none), on: stream, timeout: EngineHealth.recheckDeadline)
            }
            health.markAnswering()
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw EngineUnresponsive(host: host, operation: cli, firstTimeout: suspect.operation, since: suspect.at)
        }
    }

    /// After a call: a deadline that ran out makes the Engine suspect.
    func noteOutcome(_ error: any Error, cli: String) {
        if error is DeadlineExceeded { health?.markTimedOut(cli) }
    }
}
