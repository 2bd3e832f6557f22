import Testing
@testable import Crossnet

extension Tag {
    @Tag static var lab: Self
}

@Suite("Lab address plan", .tags(.lab))
struct LabAddressPlanTests {
    @Test func defaultPlanForThreeHosts() throws {
        let plan = try LabAddressPlan.make(labID: "ab12c", hostCount: 3, subnet: "198.18.0.0/24")
        #expect(plan.gateway.description == "198.18.0.1")
        #expect(plan.bridge == "cnab12cbr")
        #expect(plan.hosts.map(\.name) == ["h1", "h2", "h3"])
        #expect(plan.hosts.map(\.address.description) == ["198.18.0.11", "198.18.0.12", "198.18.0.13"])
        #expect(plan.hosts.map(\.netns) == ["cnab12c-h1", "cnab12c-h2", "cnab12c-h3"])
        #expect(plan.hosts.map(\.veth) == ["cnab12ch1", "cnab12ch2", "cnab12ch3"])
        #expect(plan.hosts.map(\.macvlanRange.description) == ["198.18.0.64/28", "198.18.0.80/28", "198.18.0.96/28"])
    }

    @Test func twentyHostsUseSmallerRangesThatDoNotOverlap() throws {
        let plan = try LabAddressPlan.make(labID: "fffff", hostCount: 20, subnet: "198.18.7.0/24")
        #expect(plan.hosts.last?.address.description == "198.18.7.30")
        #expect(plan.hosts.first?.macvlanRange.description == "198.18.7.64/29")
        #expect(plan.hosts.last?.macvlanRange.description == "198.18.7.216/29")
        try checkDisjoint(plan)
        for host in plan.hosts {
            #expect(host.veth.count <= 15)
            #expect(plan.bridge.count <= 15)
        }
    }

    @Test(arguments: [
        ("198.18.0.0/16", 20), ("198.18.8.0/24", 1), ("198.18.8.0/25", 7), ("198.18.8.0/26", 5),
        ("198.18.8.0/27", 4), ("198.18.8.16/28", 2), ("198.18.128.0/17", 12),
    ])
    func plansStayInsideTheSubnet(subnet: String, hosts: Int) throws {
        let plan = try LabAddressPlan.make(labID: "00a01", hostCount: hosts, subnet: subnet)
        #expect(plan.hosts.count == hosts)
        try checkDisjoint(plan)
    }

    @Test(arguments: [
        ("10.0.0.0/24", 3), ("198.18.0.0/8", 3), ("198.18.0.0/29", 1), ("198.18.0.0/30", 1),
        ("198.18.0.5/24", 3), ("198.19.0.0/24", 3), ("198.18.0.0/15", 3), ("198.18.0.0", 3),
        ("198.18.0.256/24", 3), ("hello", 3), ("198.18.0.0/24", 0), ("198.18.0.0/24", 21),
        ("198.18.0.0/28", 3), ("198.18.0.0/27", 9), ("", 3), ("198.18.0.0/-1", 3), ("198.18.0.0/24/1", 3),
    ])
    func badInputIsRejected(subnet: String, hosts: Int) {
        #expect(throws: InputError.self) {
            try LabAddressPlan.make(labID: "00a01", hostCount: hosts, subnet: subnet)
        }
    }

    @Test func misalignedSubnetSuggestsTheAlignedOne() {
        do {
            _ = try LabAddressPlan.make(labID: "00a01", hostCount: 3, subnet: "198.18.5.7/24")
            Issue.record("accepted")
        } catch let error as InputError {
            #expect(error.message.contains("198.18.5.0/24"))
        } catch { Issue.record("\(error)") }
    }

    @Test func labIDIsStableShortHex() {
        let a = LabAddressPlan.labID(forDirectory: "/work/project/.lab")
        #expect(a == LabAddressPlan.labID(forDirectory: "/work/project/.lab"))
        #expect(a.count == 5)
        #expect(a.allSatisfy { $0.isHexDigit && !$0.isUppercase })
        #expect(a != LabAddressPlan.labID(forDirectory: "/work/other/.lab"))
    }

    @Test func labDirectoryResolvesRelativePaths() {
        let lab = VirtualLab(directory: "some/../.lab/")
        #expect(lab.directory.hasPrefix("/"))
        #expect(lab.directory.hasSuffix("/.lab"))
        #expect(!lab.directory.contains(".."))
        #expect(lab.id == LabAddressPlan.labID(forDirectory: lab.directory))
    }

    @Test func inventoryListsHostsAndRanges() throws {
        let plan = try LabAddressPlan.make(labID: "ab12c", hostCount: 2, subnet: "198.18.6.0/24")
        let text = LabInventoryWriter.yaml(plan: plan, directory: "/tmp/x")
        #expect(text.contains("    address: 198.18.6.12\n    docker_socket: /tmp/x/h2/docker.sock"))
        #expect(text.contains("      h2: 198.18.6.80/28"))
        #expect(text.contains("    gateway: 198.18.6.1"))
        #expect(text.contains("    subnet: 198.19.240.0/24"))
    }

    @Test func mountPathEscapesAreDecoded() {
        #expect(VirtualLab.unescapeMountPath("/tmp/a\\040b") == "/tmp/a b")
        #expect(VirtualLab.unescapeMountPath("/run/x") == "/run/x")
    }

    private func checkDisjoint(_ plan: LabAddressPlan) throws {
        var used: Set<UInt32> = [plan.gateway.value, plan.subnet.network.value, plan.subnet.last.value]
        for host in plan.hosts {
            #expect(plan.subnet.contains(host.address))
            #expect(!used.contains(host.address.value), "\(host.address) reused")
            used.insert(host.address.value)
        }
        for host in plan.hosts {
            let range = host.macvlanRange
            #expect(plan.subnet.contains(range), "\(range) outside \(plan.subnet)")
            #expect(range.isAligned)
            #expect(range.size >= 4)
            for other in plan.hosts where other.name != host.name {
                #expect(!range.overlaps(other.macvlanRange))
            }
            for address in plan.hosts.map(\.address) + [plan.gateway] {
                #expect(!range.contains(address), "\(address) inside \(range)")
            }
        }
    }
}
