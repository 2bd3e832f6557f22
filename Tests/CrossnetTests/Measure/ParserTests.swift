import Foundation
import Testing

@testable import Crossnet

@Suite("iperf3 JSON reports")
struct IperfReportTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var file: String
        var udp: Bool
        var streams: Int
        var received: Double
        var sent: Double
        var retransmits: Int?
        var cpuMax: Double
        var testDescription: String { file }
    }

    static let cases = [
        Case(file: "tcp-1stream.json", udp: false, streams: 1, received: 14673966055.190811, sent: 14699788711.125849, retransmits: 5, cpuMax: 56.320896469462),
        Case(file: "tcp-4streams.json", udp: false, streams: 4, received: 20036151311.1906, sent: 20033843876.485718, retransmits: 61, cpuMax: 59.599620688382075),
        Case(file: "tcp-reverse.json", udp: false, streams: 1, received: 11465837404.877064, sent: 11491002548.691608, retransmits: 31, cpuMax: 56.67393577376044),
        Case(file: "udp-100M.json", udp: true, streams: 1, received: 100000335.97446595, sent: 100003985.84255922, retransmits: nil, cpuMax: 2.0813674058553984),
    ]

    @Test("every captured iperf3 report parses to its summary figures", arguments: cases)
    func parses(_ c: Case) throws {
        let report = try IperfReport.parse(try MeasureFixtures.data("iperf3/\(c.file)"))
        #expect(report.toolVersion == "3.12")
        #expect(report.isUDP == c.udp)
        #expect(report.start.testStart?.numStreams == c.streams)
        #expect(report.receivedBitsPerSecond == c.received)
        #expect(report.sentBitsPerSecond == c.sent)
        #expect(report.retransmits == c.retransmits)
        #expect(report.maxCPUPercent == c.cpuMax)
        #expect(report.error == nil)
    }

    @Test("the reverse test is marked reverse and CPU host/remote are the client and server")
    func reverse() throws {
        let report = try IperfReport.parse(try MeasureFixtures.data("iperf3/tcp-reverse.json"))
        #expect(report.start.testStart?.reverse == 1)
        #expect(report.end.cpuUtilizationPercent?.hostTotal == 40.4554935734488)
        #expect(report.end.cpuUtilizationPercent?.remoteTotal == 56.67393577376044)
    }

    @Test("UDP reports give jitter in seconds, loss and packets from the receiver")
    func udp() throws {
        let report = try IperfReport.parse(try MeasureFixtures.data("iperf3/udp-100M.json"))
        #expect(abs(report.jitterSeconds! - 0.003802726900938e-3) < 1e-15)
        #expect(report.lostPercent == 0)
        #expect(report.packets == 763)
        #expect(report.start.testStart?.targetBitrate == 100_000_000)
    }

    @Test("iperf3's error field becomes a typed error naming the host and operation")
    func error() throws {
        let data = try MeasureFixtures.data("iperf3/error-refused.json")
        #expect(throws: MeasurementError.toolReported(
            host: "h1", operation: "iperf3 -c x", message: "unable to connect to server: Connection refused")) {
            try IperfReport.parse(data, host: "h1", operation: "iperf3 -c x")
        }
        let error = try #require(throws: MeasurementError.self) { try IperfReport.parse(data, host: "h1", operation: "iperf3 -c x") }
        #expect(error.description.contains("h1"))
        #expect(error.description.contains("Connection refused"))
    }

    @Test("output that is not an iperf3 report is unparsable, not a crash", arguments: ["", "iperf3: error", "{\"start\":{}}"])
    func garbage(_ text: String) throws {
        let error = try #require(throws: MeasurementError.self) { try IperfReport.parse(Data(text.utf8), host: "h2") }
        guard case .unparsable(let host, _, _, _) = error else {
            Issue.record("expected unparsable, got \(error)")
            return
        }
        #expect(host == "h2")
    }
}

@Suite("busybox ping output")
struct PingOutputTests {
    @Test("loopback: five RTTs in seconds and the counts")
    func loopback() throws {
        let ping = try PingOutput.parse(try MeasureFixtures.text("ping/busybox-loopback.txt"))
        let expected = [0.337e-3, 0.072e-3, 0.068e-3, 0.067e-3, 0.067e-3]
        #expect(ping.rtts.count == expected.count)
        for (rtt, value) in zip(ping.rtts, expected) { #expect(abs(rtt - value) < 1e-12) }
        #expect(ping.transmitted == 5)
        #expect(ping.received == 5)
        #expect(ping.lossPercent == 0)
    }

    @Test("unreachable: no RTTs and 100% loss")
    func unreachable() throws {
        let ping = try PingOutput.parse(try MeasureFixtures.text("ping/busybox-unreachable.txt"))
        #expect(ping.rtts.isEmpty)
        #expect(ping.transmitted == 2)
        #expect(ping.received == 0)
        #expect(ping.lossPercent == 100)
    }

    @Test("output without a statistics line is an error naming the host")
    func truncated() throws {
        let error = try #require(throws: MeasurementError.self) {
            try PingOutput.parse("ping: bad address 'x'\n", host: "h3", operation: "ping x")
        }
        #expect(error.host == "h3")
    }
}

@Suite("sockperf full logs")
struct SockperfLogTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var file: String
        var summary: String
        var count: Int
        var testDescription: String { file }
    }

    static let cases = [
        Case(file: "udp-full-log.csv", summary: "udp-summary.txt", count: 1096),
        Case(file: "tcp-full-log.csv", summary: "tcp-summary.txt", count: 1098),
    ]

    @Test("RTT is rxTime − txTime (twice sockperf's one-way latency column) for every logged message", arguments: cases)
    func rtts(_ c: Case) throws {
        let text = try MeasureFixtures.text("sockperf/\(c.file)")
        let log = try SockperfLog.parse(text)
        #expect(log.rtts.count == c.count)
        // The first UDP row: 2.406776546 − 2.406760692 = 15.854 µs = 2 × 7.927.
        if c.file.hasPrefix("udp") { #expect(abs(log.rtts[0] - 15.854e-6) < 1e-12) }
        // Every RTT is twice the latency column (to the µs rounding sockperf prints).
        let halves = text.split(separator: "\n").compactMap { line -> Double? in
            let f = line.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            return f.count == 4 && Int(f[0]) != nil ? Double(f[3]) : nil
        }
        for (rtt, half) in zip(log.rtts, halves) { #expect(abs(rtt * 1e6 - 2 * half) < 0.002) }
    }

    @Test("percentiles of the RTTs match twice sockperf's own summary", arguments: cases)
    func matchesSummary(_ c: Case) throws {
        let log = try SockperfLog.parse(try MeasureFixtures.text("sockperf/\(c.file)"))
        let summary = try MeasureFixtures.text("sockperf/\(c.summary)")
        func summaryValue(_ key: String) -> Double? {
            guard let line = summary.split(separator: "\n").first(where: { $0.contains(key) }) else { return nil }
            return Double(line.split(separator: "=").last!.trimmingCharacters(in: .whitespaces))
        }
        let distribution = LatencyDistribution(seconds: log.rtts)
        let max = try #require(summaryValue("<MAX>"))
        let min = try #require(summaryValue("<MIN>"))
        #expect(abs(distribution.max * 1e6 - 2 * max) / (2 * max) < 0.002)
        #expect(abs(distribution.min * 1e6 - 2 * min) / (2 * min) < 0.002)
        let median = try #require(summaryValue("percentile 50.000"))
        #expect(abs(distribution.percentile(50) * 1e6 - 2 * median) / (2 * median) < 0.01)
    }

    @Test("the caller can drop the first N samples as extra warm-up", arguments: [0, 1, 10, 100])
    func warmUp(_ n: Int) throws {
        let text = try MeasureFixtures.text("sockperf/udp-full-log.csv")
        let all = try SockperfLog.parse(text).rtts
        let trimmed = try SockperfLog.parse(text, droppingFirst: n).rtts
        #expect(trimmed == Array(all.dropFirst(n)))
    }

    @Test("timestamps parse to exact nanoseconds, also for epoch-sized seconds")
    func nanoseconds() {
        #expect(SockperfLog.nanoseconds("2.406760692") == 2_406_760_692)
        #expect(SockperfLog.nanoseconds("1795683646.000000001") == 1_795_683_646_000_000_001)
        #expect(SockperfLog.nanoseconds("3.5") == 3_500_000_000)
        #expect(SockperfLog.nanoseconds("x") == nil)
    }

    @Test("a file without the CSV header is an error")
    func notALog() {
        #expect(throws: MeasurementError.self) { try SockperfLog.parse("sockperf: error", host: "h1") }
    }
}

@Suite("DNS timing loop output")
struct DNSTimerParseTests {
    @Test("lookup times minus the fastest start-up baseline; failed lookups are counted")
    func parse() throws {
        let text = """
            S 10
            U 1000
            R 0
            S 10
            U 4000
            S 10
            U 5000
            S 10
            U 6000
            S 10
            U 999500
            R 0
            S 11
            U 2500
            S 11
            U 3000
            S 11
            U 5000
            S 11
            U 6000
            R 1
            S 11
            U 9000
            S 11
            U 9100
            S 11
            U 9200
            """
        let parsed = try DNSTimer.parse(text)
        #expect(parsed.baseline == 0.001)
        #expect(parsed.failures == 1)
        #expect(parsed.lookups.count == 2)
        #expect(abs(parsed.lookups[0] - 0.002) < 1e-12)
        #expect(abs(parsed.lookups[1] - 0.002) < 1e-12)
    }
}
