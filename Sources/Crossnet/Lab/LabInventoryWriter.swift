import Foundation

/// Writes `D/inventory.yaml` and `D/ssh_config` for a lab.
enum LabInventoryWriter {
    static func yaml(
        plan: LabAddressPlan, directory: String, options: LabOptions = LabOptions(), engine: LabEngine = .dockerd,
        date: Date = Date()
    ) -> String {
        let stamp = ISO8601DateFormatter().string(from: date)
        var text: String
        if options.bastion {
            // As in a real lab: hosts by ssh_config alias, user, port, key, known_hosts and
            // ProxyJump all from the ssh config.
            text = """
                # Virtual lab \(plan.labID) made by `crossnet lab up` on \(stamp)
                # Hosts are ssh_config aliases: pass `--ssh-config \(directory)/ssh_config` to every command.
                # `virtual_lab` marks an inventory Crossnet's lab wrote: only then do self-tests run
                # (tc accuracy, unplugging a host, a simulated user swarm).
                virtual_lab: \(plan.labID)
                defaults:
                  interface: \(options.interfaceName)
                hosts:

                """
            for host in plan.hosts {
                text += "  - name: \(host.name)\n"
                text += "    ssh_alias: \(host.name)\n"
                text += "    docker_socket: \(directory)/\(host.name)/\(engine.socketName)\n"
            }
        } else {
            text = """
                # Virtual lab \(plan.labID) made by `crossnet lab up` on \(stamp)
                # `virtual_lab` marks an inventory Crossnet's lab wrote: only then do self-tests run
                # (tc accuracy, unplugging a host, a simulated user swarm).
                virtual_lab: \(plan.labID)
                defaults:
                  user: \(options.sshUser ?? "root")
                  port: \(options.sshPort)
                  identity: id_ed25519        # relative to this file's folder
                  known_hosts: known_hosts
                  interface: \(options.interfaceName)
                hosts:

                """
            for host in plan.hosts {
                text += "  - name: \(host.name)\n"
                text += "    address: \(host.address)\n"
                text += "    docker_socket: \(directory)/\(host.name)/\(engine.socketName)\n"
            }
        }
        text += """
            network:
              macvlan:
                subnet: \(plan.subnet)
                gateway: \(plan.gateway)
                ranges:

            """
        for host in plan.hosts { text += "      \(host.name): \(host.macvlanRange)\n" }
        text += """
              overlay:
                subnet: \(LabAddressPlan.overlaySubnet)
                swarm_address_pool: \(LabAddressPlan.swarmAddressPool)
            # All lab hosts share this machine's cores: shorter runs, star pairs and a UDP rate the
            # machine can carry keep the main job to minutes. Real labs use the defaults (10 s, mesh, 1G).
            measurement:
              duration: 2
              repeats: 3
              pairs: star
              udp_rate: 500M
              concurrency: serial     # lab hosts share this machine's cores: one pair at a time

            """
        return text
    }

    /// The lab's OpenSSH client config: one alias per host (`h1`…), the lab key, user, port and
    /// known_hosts; behind a bastion, `ProxyJump h1` for every other host. Works with libssh (the
    /// shared block comes first: libssh matches later `Host` lines against the HostName) and
    /// with `ssh -F`.
    static func sshConfig(plan: LabAddressPlan, directory: String, options: LabOptions) -> String {
        var text = """
            # ssh config of virtual lab \(plan.labID) (`crossnet lab up`)\(options.bastion ? ": h2… only through the bastion h1" : "")
            Host \(plan.hosts.map(\.name).joined(separator: " "))
              User \(options.sshUser ?? "root")
              Port \(options.sshPort)
              IdentityFile \(directory)/id_ed25519
              IdentitiesOnly yes
              UserKnownHostsFile \(directory)/known_hosts
              StrictHostKeyChecking yes

            """
        for (index, host) in plan.hosts.enumerated() {
            text += "Host \(host.name)\n  HostName \(host.address)\n"
            if options.bastion && index > 0 { text += "  ProxyJump \(plan.hosts[0].name)\n" }
            text += "\n"
        }
        return text
    }
}
