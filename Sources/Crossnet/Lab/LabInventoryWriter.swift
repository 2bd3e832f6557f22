import Foundation

/// Writes `D/inventory.yaml` for a lab.
enum LabInventoryWriter {
    static func yaml(plan: LabAddressPlan, directory: String, engine: LabEngine = .dockerd, date: Date = Date()) -> String {
        let stamp = ISO8601DateFormatter().string(from: date)
        var text = """
            # Virtual lab \(plan.labID) made by `crossnet lab up` on \(stamp)
            # `virtual_lab` marks an inventory Crossnet's lab wrote: only then do self-tests run
            # (tc accuracy, unplugging a host, a simulated user swarm).
            virtual_lab: \(plan.labID)
            defaults:
              user: root
              port: 22
              identity: id_ed25519        # relative to this file's folder
              known_hosts: known_hosts
              interface: eth0
            hosts:

            """
        for host in plan.hosts {
            text += "  - name: \(host.name)\n"
            text += "    address: \(host.address)\n"
            text += "    docker_socket: \(directory)/\(host.name)/\(engine.socketName)\n"
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
}
