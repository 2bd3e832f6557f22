import Foundation

extension VirtualLab {
    /// The command line that runs `command` inside `host`'s network and UTS namespaces (via
    /// `nsenter`, not SSH) with `DOCKER_HOST` set to that host's Docker socket.
    /// - Throws: ``InputError`` when the lab is not up or `host` is not one of its hosts.
    public func execArguments(host: String, command: [String]) throws -> [String] {
        guard let state = LabState.load(directory: directory) else {
            throw InputError("no lab in \(directory): run `crossnet lab up` first")
        }
        guard let entry = state.hosts.first(where: { $0.name == host }) else {
            throw InputError(
                "lab in \(directory) has no host '\(host)': use one of \(state.hosts.map(\.name).joined(separator: ", "))")
        }
        guard !command.isEmpty else { throw InputError("give a command to run on \(host), e.g. `-- docker ps`") }
        return nsenterPrefix(netns: entry.netns) + ["env", "DOCKER_HOST=unix://\(entry.dockerSocket)"] + command
    }

    /// Runs `command` on `host` (see ``execArguments(host:command:)``) with this process's standard
    /// input, output and error; returns its exit status (128 + signal when killed by a signal).
    /// - Throws: ``InputError`` for an unknown host; ``LabError`` when `nsenter` cannot start.
    public func exec(host: String, command: [String]) async throws -> Int32 {
        let arguments = try execArguments(host: host, command: command)
        do {
            return try await LocalCommand.runAttached(arguments)
        } catch {
            throw LabError(step: "exec on \(host)", reason: "could not start nsenter: \(error)", hint: "run as root")
        }
    }
}
