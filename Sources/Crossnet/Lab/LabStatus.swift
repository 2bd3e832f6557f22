import Foundation

/// Health of a lab: per host, and overall.
public struct LabStatus: Sendable, Equatable, CustomStringConvertible {
    /// Overall state.
    public enum Overall: String, Sendable, Equatable {
        /// Every host has its namespace, a live sshd and an answering dockerd.
        case up
        /// Nothing of the lab is running.
        case down
        /// Some parts run, others do not: `crossnet lab down` then `lab up` rebuilds it.
        case degraded
    }

    /// One host's health.
    public struct Host: Sendable, Equatable {
        public var name: String
        public var address: String
        /// `/var/run/netns/<netns>` exists.
        public var namespacePresent: Bool
        /// The recorded sshd pid is alive.
        public var sshdAlive: Bool
        /// The recorded dockerd pid is alive.
        public var dockerdAlive: Bool
        /// `docker version` answered on the host's socket.
        public var dockerAnswering: Bool
        /// The recorded engine gate pid is alive (`nil` when the lab has no gate).
        public var gateAlive: Bool? = nil

        public var healthy: Bool { namespacePresent && sshdAlive && dockerdAlive && dockerAnswering && gateAlive != false }
    }

    /// The lab directory.
    public var directory: String
    /// Lab id, when known.
    public var id: String
    /// Subnet, when a state file exists.
    public var subnet: String?
    public var hosts: [Host]
    public var overall: Overall

    /// A small table, one line per host, headed by the overall state.
    public var description: String {
        var lines = ["lab \(id) in \(directory): \(overall.rawValue)" + (subnet.map { " (subnet \($0))" } ?? "")]
        guard !hosts.isEmpty else { return lines[0] }
        func mark(_ value: Bool) -> String { value ? "yes" : "NO" }
        let rows =
            [["HOST", "ADDRESS", "NETNS", "SSHD", "DOCKERD", "DOCKER API", "DOCKER 29 GATE"]]
            + hosts.map {
                [
                    $0.name, $0.address, mark($0.namespacePresent), mark($0.sshdAlive), mark($0.dockerdAlive),
                    mark($0.dockerAnswering), $0.gateAlive.map(mark) ?? "-",
                ]
            }
        let widths = (0..<7).map { column in rows.map { $0[column].count }.max() ?? 0 }
        for row in rows {
            lines.append(
                row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }
                    .joined(separator: "  ").trimmingCharacters(in: .whitespaces))
        }
        return lines.joined(separator: "\n")
    }
}

extension VirtualLab {
    /// Checks every host: namespace, sshd, dockerd, Docker API. A directory without a lab is `down`.
    public func status() async throws -> LabStatus {
        guard let state = LabState.load(directory: directory) else {
            let leftovers = await Self.namespaces(prefix: "cn\(id)-", shell: LabShell(logger: .init(label: "lab")))
            return LabStatus(
                directory: directory, id: id, subnet: nil, hosts: [],
                overall: leftovers.isEmpty ? .down : .degraded)
        }
        let docker = LabPrerequisites.locate("docker") ?? "docker"
        let hosts = await withTaskGroup(of: (Int, LabStatus.Host).self) { group in
            for (index, host) in state.hosts.enumerated() {
                group.addTask {
                    let dockerdAlive = host.dockerdRunning
                    var answering = false
                    if dockerdAlive {
                        let output = try? await LocalCommand.run(
                            [docker, "-H", "unix://\(host.dockerSocket)", "version", "--format", "{{.Server.Version}}"],
                            timeout: .seconds(10))
                        answering = output?.succeeded == true
                    }
                    return (
                        index,
                        LabStatus.Host(
                            name: host.name, address: host.address,
                            namespacePresent: FileManager.default.fileExists(atPath: "\(Self.netnsFolder)/\(host.netns)"),
                            sshdAlive: host.sshdRunning,
                            dockerdAlive: dockerdAlive, dockerAnswering: answering,
                            gateAlive: host.gateSocket == nil ? nil : host.gateRunning)
                    )
                }
            }
            var result: [(Int, LabStatus.Host)] = []
            for await entry in group { result.append(entry) }
            return result.sorted { $0.0 < $1.0 }.map(\.1)
        }
        let overall: LabStatus.Overall
        if !hosts.isEmpty && hosts.allSatisfy(\.healthy) && state.phase == "up" {
            overall = .up
        } else if hosts.allSatisfy({ !$0.namespacePresent && !$0.sshdAlive && !$0.dockerdAlive && $0.gateAlive != true }) {
            overall = .down
        } else {
            overall = .degraded
        }
        return LabStatus(directory: directory, id: id, subnet: state.subnet, hosts: hosts, overall: overall)
    }
}
