import Foundation

/// Runs measurement tools inside probe containers through the Engine API (`docker exec`), turning
/// failures into ``MeasurementError``s that name the host and the command.
public struct ProbeShell: Sendable {
    public let fleet: HostFleet

    public init(fleet: HostFleet) { self.fleet = fleet }

    /// Runs `command` in `endpoint`'s container; returns the output whatever the exit status.
    public func run(_ endpoint: ProbeEndpoint, _ command: [String], timeout: Duration = .seconds(60)) async throws -> CommandOutput {
        try await fleet.engine(endpoint.host).exec(endpoint.containerID, command, timeout: timeout)
    }

    /// Runs `command` and throws unless it exits 0.
    @discardableResult
    public func check(_ endpoint: ProbeEndpoint, _ command: [String], timeout: Duration = .seconds(60)) async throws -> CommandOutput {
        let output = try await run(endpoint, command, timeout: timeout)
        guard output.succeeded else {
            throw MeasurementError.commandFailed(
                host: endpoint.host, operation: Self.display(command, in: endpoint), exitStatus: output.exitStatus,
                output: (output.stderrText + output.stdoutText).trimmingCharacters(in: .whitespacesAndNewlines))
        }
        return output
    }

    /// `docker exec <name> <command>` for messages.
    static func display(_ command: [String], in endpoint: ProbeEndpoint) -> String {
        "docker exec \(endpoint.name) " + command.map(shellQuote).joined(separator: " ")
    }

    /// MTU of the interface the source uses to reach `address` (`ip route get`), read from
    /// `/sys/class/net/<dev>/mtu` inside the container (the host's interface on the host network).
    public func pathMTU(from endpoint: ProbeEndpoint, to address: String) async -> Int? {
        let script = """
            dev=$(ip route get \(address) 2>/dev/null | sed -n 's/.* dev \\([^ ]*\\).*/\\1/p' | head -n 1); \
            cat /sys/class/net/${dev:-eth0}/mtu
            """
        guard let output = try? await run(endpoint, ["sh", "-c", script], timeout: .seconds(15)), output.succeeded else {
            return nil
        }
        return Int(output.trimmedStdout)
    }
}
