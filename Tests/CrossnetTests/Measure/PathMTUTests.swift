import Foundation
import Testing

@testable import Crossnet

@Suite("path MTU: DF pings, parent interfaces, pmtu records")
struct PathMTUTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var file: String
        var payload: Int
        var outcome: DFPing.Outcome
        var evidence: String
        var testDescription: String { file }
    }

    /// Captured on the virtual lab from a default-bridge container on h1 to h2's address.
    static let cases = [
        Case(file: "bridge-1472-crossed.txt", payload: 1472, outcome: .crossed,
             evidence: "1480 bytes from 198.18.170.12: icmp_seq=1 ttl=63 time=0.113 ms"),
        Case(file: "bridge-1473-local-error.txt", payload: 1473, outcome: .tooLargeLocally(mtu: 1500),
             evidence: "/usr/bin/ping: local error: message too long, mtu=1500"),
        // h1's eth0 lowered to 1400: h1 forwards the container's packet and answers "frag needed".
        Case(file: "forwarded-1472-frag-needed.txt", payload: 1472, outcome: .fragmentationNeeded(mtu: 1400),
             evidence: "From 198.19.0.1 icmp_seq=1 Frag needed and DF set (mtu = 1400)"),
        // h2 dropping ICMP over 1000 bytes: a black hole, nothing comes back.
        Case(file: "blackhole-1200-no-reply.txt", payload: 1200, outcome: .noReply,
             evidence: "1 packets transmitted, 0 received, 100% packet loss, time 0ms"),
        // Overlay (VXLAN) between h1 and h2: 1450 crosses, 1500 is refused by the sender.
        Case(file: "overlay-1422-crossed.txt", payload: 1422, outcome: .crossed,
             evidence: "1430 bytes from 198.19.240.4: icmp_seq=1 ttl=64 time=0.178 ms"),
        Case(file: "overlay-1472-local-error.txt", payload: 1472, outcome: .tooLargeLocally(mtu: 1450),
             evidence: "/usr/bin/ping: local error: message too long, mtu=1450"),
        // Overlay created with `-o com.docker.network.driver.mtu=1550`: the container's eth0 says
        // 1500, and the VXLAN device answers a 1500-byte DF packet with "frag needed" (mtu 1450).
        Case(file: "overlay-mtu1550-1472-frag-needed.txt", payload: 1472, outcome: .fragmentationNeeded(mtu: 1450),
             evidence: "From 198.19.241.4 icmp_seq=1 Frag needed and DF set (mtu = 1450)"),
    ]

    @Test("every captured DF ping reads as crossed, refused locally, frag needed or no reply", arguments: cases)
    func parses(_ c: Case) throws {
        let ping = try DFPing.parse(try MeasureFixtures.text("pmtu/\(c.file)"), payload: c.payload)
        #expect(ping.outcome == c.outcome)
        #expect(ping.evidence == c.evidence)
        #expect(ping.crossed == (c.outcome == .crossed))
        #expect(ping.packetBytes == c.payload + 28)
    }

    @Test("output that is not ping's is an error naming the host, not a silent no-reply")
    func rejectsOtherOutput() throws {
        let text = try MeasureFixtures.text("http/busybox-httpd-page-fixb.txt")
        #expect(throws: MeasurementError.self) { try DFPing.parse(text, payload: 1000, host: "h1") }
    }

    @Test("the DF ping command is iputils' ping with -M do, one echo")
    func command() {
        #expect(DFPing.command(payload: 1422, target: "10.0.9.3") ==
            ["/usr/bin/ping", "-M", "do", "-s", "1422", "-c", "1", "-W", "1", "-n", "10.0.9.3"])
    }

    @Test("`ip -o link show` gives the interface's name and MTU", arguments: [
        ("ip-link-eth0.txt", "eth0", 1500), ("ip-link-lo.txt", "lo", 65536),
    ])
    func hostInterface(file: String, name: String, mtu: Int) throws {
        let interface = try #require(HostInterface.parse(try MeasureFixtures.text("pmtu/\(file)")))
        #expect(interface == HostInterface(name: name, mtu: mtu))
    }

    @Test("bisection finds the last size that crosses in about log2(range) probes", arguments: [1422, 1472, 64, 8972])
    func bisection(limit: Int) async {
        var probes = 0
        let found = await PathMTUSearch.largest(crossing: 64, failing: 9000) { payload in
            probes += 1
            return payload <= limit
        }
        #expect(found == limit)
        #expect(probes <= 14, "\(probes) probes")
    }

    @Test("a pmtu record carries bytes, the interface and parent MTUs, the placement, and no interval")
    func record() throws {
        let endpoints = MeasurementEndpoints(
            driver: .overlay,
            source: ProbeEndpoint(host: "h1", containerID: "a", name: "a", address: "10.0.9.2"),
            target: ProbeEndpoint(host: "h2", containerID: "b", name: "b", address: "10.0.9.3"),
            targetAddress: "10.0.9.3", dnsName: "web")
        let largest = try DFPing.parse(try MeasureFixtures.text("pmtu/bridge-1472-crossed.txt"), payload: 1422)
        let result = PathMTUResult(
            largest: largest, firstRefused: DFPing(payload: 1423, outcome: .tooLargeLocally(mtu: 1450)), interfaceMTU: 1450,
            parent: HostInterface(name: "eth0", mtu: 1500), trail: [largest])
        let record = PathMTUProbe.record(result, endpoints: endpoints, testName: "pmtu", version: "20221126")
        #expect(record.metric == "pmtu" && record.unit == "bytes" && record.protocol == "icmp")
        #expect(record.value == 1450)
        #expect(record.parameters.mtu == 1450 && record.parameters.parentMTU == 1500 && record.parameters.parentInterface == "eth0")
        #expect(record.parameters.tool == "ping" && record.parameters.version == "20221126")
        #expect(record.placement == .crossHost)
        #expect(record.stats.ci95Low == nil && record.stats.ci95High == nil && record.stats.samples == 1)
        let json = String(decoding: try JSONEncoder().encode(record), as: UTF8.self)
        #expect(json.contains(#""placement":"cross-host""#) && json.contains(#""parentMTU":1500"#))
    }

    @Test("an HTTP response is counted as complete only when every announced body byte arrived")
    func httpTransfer() throws {
        let page = try MeasureFixtures.data("http/busybox-httpd-page-fixb.txt")
        let whole = try HTTPTransfer.parse(page)
        #expect(whole.contentLength == 14 && whole.bodyBytes == 14 && whole.complete)
        #expect(whole.headerBytes + whole.bodyBytes == page.count)
        let cut = try HTTPTransfer.parse(page.dropLast(5))
        #expect(cut.bodyBytes == 9 && !cut.complete)
        #expect(throws: MeasurementError.self) { try HTTPTransfer.parse(Data("HTTP/1.1 200 OK\r\nContent-Le".utf8)) }
        // Counted in the container: the size (`wc -c`) first, then only the response's first bytes.
        let counted = try HTTPTransfer.parse(counted: Data("\(page.count)\n".utf8) + page)
        #expect(counted == whole)
        let short = try HTTPTransfer.parse(counted: Data("  \(page.count - 5)\n".utf8) + page.prefix(whole.headerBytes + 2))
        #expect(short.bodyBytes == 9 && !short.complete)
        #expect(throws: MeasurementError.self) { try HTTPTransfer.parse(counted: page) }
    }
}
