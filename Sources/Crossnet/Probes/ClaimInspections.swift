import Foundation

/// Claims checked by inspecting a container or the host rather than by sending traffic.
extension ClaimEvaluator {
    /// Runs the inspection behind `claim`; returns whether it holds, what was run and what was seen.
    func inspect(_ claim: Claim, source: ProbeEndpoint, host: String) async throws -> (Bool, String, String) {
        let engine = context.fleet.engine(host)
        switch claim.id {
        case "compose.project-network":
            let project = TopologyDeployer(context: context).composeProject
            let networks = try await engine.networks(label: "com.docker.compose.project=\(project)").map(\.name)
            let ok = deployment.networkName == "\(project)_default" && networks == ["\(project)_default"]
            return (ok, "docker network ls --filter label=com.docker.compose.project=\(project)",
                    "networks \(networks), deployment network \(deployment.networkName)")
        case "host.sees-host-stack":
            // Same network namespace as the host (compared by inode: race-free while other
            // drivers add bridges), and the host's address among the container's addresses.
            let inContainer = try await engine.exec(
                source.containerID, ["sh", "-c", "readlink /proc/self/ns/net; ip -o -4 addr"], timeout: .seconds(20))
            let onHost = try await context.fleet.exec(host, "readlink /proc/self/ns/net")
            let address = context.fleet.config(host).dataAddress
            let containerNamespace = inContainer.stdoutText.split(separator: "\n").first.map(String.init) ?? ""
            let sameNamespace = !containerNamespace.isEmpty && containerNamespace == onHost.trimmedStdout
            let seesAddress = inContainer.stdoutText.contains(" \(address)/")
            return (sameNamespace && seesAddress, "docker exec \(source.name) sh -c 'readlink /proc/self/ns/net; ip -o -4 addr'; readlink /proc/self/ns/net (host)",
                    "container netns \(containerNamespace), host netns \(onHost.trimmedStdout), host address \(address) seen: \(seesAddress), interfaces \(Self.interfaceNames(inContainer.stdoutText).sorted())")
        case "none.loopback-only":
            let links = try await engine.exec(source.containerID, ["ip", "-o", "link"], timeout: .seconds(20))
            let routes = try await engine.exec(source.containerID, ["ip", "-4", "route"], timeout: .seconds(20))
            let names = links.stdoutText.split(separator: "\n").compactMap {
                $0.split(separator: ":").dropFirst().first?.trimmingCharacters(in: .whitespaces)
            }
            let ok = links.exitStatus == 0 && names == ["lo"] && routes.exitStatus == 0 && routes.trimmedStdout.isEmpty
            return (ok, "docker exec \(source.name) ip -o link; ip -4 route",
                    "interfaces \(names), routes '\(routes.trimmedStdout)'")
        case "overlay.tasks-listed":
            let lookup = try await engine.exec(source.containerID, ["timeout", "8", "nslookup", "tasks.web"], timeout: .seconds(30))
            let tasks = deployment.serviceTasks.compactMap(\.address)
            let missing = tasks.filter { !lookup.stdoutText.contains($0) }
            let ok = tasks.count == context.fleet.hostNames.count && missing.isEmpty
            return (ok, "docker exec \(source.name) nslookup tasks.web",
                    "\(tasks.count) tasks for \(context.fleet.hostNames.count) hosts, missing \(missing); answer: \(lookup.trimmedStdout.prefix(300))")
        case "macvlan.address-in-range":
            guard let settings = context.fleet.inventory.network.macvlan, let address = source.address,
                  let ip = IPAddress(address), let subnet = try? IPNetwork.parse(settings.subnet).get(),
                  let rangeText = settings.ranges[host], let range = try? IPNetwork.parse(rangeText).get()
            else { return (false, "inspect \(source.name)", "no macvlan settings or address for \(host)") }
            let ok = subnet.contains(ip) && range.contains(ip)
            return (ok, "docker inspect \(source.name)", "\(address) in \(settings.subnet): \(subnet.contains(ip)), in \(host)'s range \(rangeText): \(range.contains(ip))")
        default:
            return (false, "inspect", "no inspection is defined for \(claim.id)")
        }
    }

    /// Interface names from `ip -o addr` output.
    static func interfaceNames(_ text: String) -> Set<String> {
        Set(text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ")
            return fields.count > 1 ? String(fields[1]) : nil
        })
    }
}
