import Foundation

/// The subset of `iperf3 -J` output Crossnet reads: summary rates, retransmits, CPU use, UDP
/// jitter and loss, the version and the `error` field.
public struct IperfReport: Decodable, Sendable, Equatable {
    public var start: Start
    public var end: End
    /// Set by iperf3 when the test failed (e.g. "unable to connect to server: Connection refused").
    public var error: String?

    public struct Start: Decodable, Sendable, Equatable {
        /// e.g. `iperf 3.12`.
        public var version: String?
        public var testStart: TestStart?

        enum CodingKeys: String, CodingKey {
            case version
            case testStart = "test_start"
        }
    }

    public struct TestStart: Decodable, Sendable, Equatable {
        public var `protocol`: String
        public var numStreams: Int
        public var duration: Double
        public var reverse: Int
        public var omit: Double?
        public var targetBitrate: Double?

        enum CodingKeys: String, CodingKey {
            case `protocol`, duration, reverse, omit
            case numStreams = "num_streams"
            case targetBitrate = "target_bitrate"
        }
    }

    public struct End: Decodable, Sendable, Equatable {
        public var sumSent: Summary?
        public var sumReceived: Summary?
        /// UDP only: the receiver's view (jitter, loss) in iperf3 3.12.
        public var sum: Summary?
        public var cpuUtilizationPercent: CPU?

        enum CodingKeys: String, CodingKey {
            case sum
            case sumSent = "sum_sent"
            case sumReceived = "sum_received"
            case cpuUtilizationPercent = "cpu_utilization_percent"
        }
    }

    public struct Summary: Decodable, Sendable, Equatable {
        public var seconds: Double
        public var bytes: Double
        public var bitsPerSecond: Double
        public var retransmits: Int?
        public var jitterMs: Double?
        public var lostPackets: Int?
        public var packets: Int?
        public var lostPercent: Double?

        enum CodingKeys: String, CodingKey {
            case seconds, bytes, retransmits, packets
            case bitsPerSecond = "bits_per_second"
            case jitterMs = "jitter_ms"
            case lostPackets = "lost_packets"
            case lostPercent = "lost_percent"
        }
    }

    /// CPU use in percent; `host` is the client's (where `iperf3 -c` ran), `remote` the server's.
    public struct CPU: Decodable, Sendable, Equatable {
        public var hostTotal: Double
        public var remoteTotal: Double

        enum CodingKeys: String, CodingKey {
            case hostTotal = "host_total"
            case remoteTotal = "remote_total"
        }
    }

    /// Decodes a report; throws ``MeasurementError/toolReported(host:operation:message:)`` when
    /// iperf3 reported an error and ``MeasurementError/unparsable(host:operation:reason:excerpt:)``
    /// when the bytes are not an iperf3 report.
    public static func parse(_ data: Data, host: String = "local", operation: String = "iperf3 -J") throws -> IperfReport {
        struct ErrorOnly: Decodable { var error: String? }
        if let failure = try? JSONDecoder().decode(ErrorOnly.self, from: data), let message = failure.error {
            throw MeasurementError.toolReported(host: host, operation: operation, message: message)
        }
        let report: IperfReport
        do {
            report = try JSONDecoder().decode(IperfReport.self, from: data)
        } catch {
            throw MeasurementError.unparsable(
                host: host, operation: operation, reason: "\(error)", excerpt: String(decoding: data.prefix(300), as: UTF8.self))
        }
        guard report.end.sumReceived != nil || report.end.sum != nil else {
            throw MeasurementError.unparsable(
                host: host, operation: operation, reason: "no end.sum_received or end.sum",
                excerpt: String(decoding: data.prefix(300), as: UTF8.self))
        }
        return report
    }

    /// `3.12` from `iperf 3.12`.
    public var toolVersion: String? {
        start.version.map { $0.hasPrefix("iperf ") ? String($0.dropFirst("iperf ".count)) : $0 }
    }

    /// `true` for a UDP test.
    public var isUDP: Bool { start.testStart?.protocol.uppercased() == "UDP" }

    /// Goodput at the receiver, bit/s (for UDP: the receiver's rate when reported).
    public var receivedBitsPerSecond: Double {
        if isUDP { return (end.sumReceived ?? end.sum)?.bitsPerSecond ?? 0 }
        return end.sumReceived?.bitsPerSecond ?? end.sum?.bitsPerSecond ?? 0
    }

    /// Rate the sender put on the wire, bit/s.
    public var sentBitsPerSecond: Double { end.sumSent?.bitsPerSecond ?? end.sum?.bitsPerSecond ?? 0 }

    /// TCP retransmissions counted by the sender.
    public var retransmits: Int? { end.sumSent?.retransmits }

    /// The busier of client and server CPU, percent.
    public var maxCPUPercent: Double {
        guard let cpu = end.cpuUtilizationPercent else { return 0 }
        return Swift.max(cpu.hostTotal, cpu.remoteTotal)
    }

    /// The receiver's side of a UDP test (jitter, loss): `end.sum` in iperf3 3.12, else `sum_received`.
    var udpReceiverSummary: Summary? {
        if let sum = end.sum, sum.jitterMs != nil { return sum }
        return end.sumReceived
    }

    /// UDP jitter at the receiver, seconds.
    public var jitterSeconds: Double? { udpReceiverSummary?.jitterMs.map { $0 / 1000 } }

    /// UDP datagrams lost, percent.
    public var lostPercent: Double? { udpReceiverSummary?.lostPercent }

    /// UDP datagrams sent.
    public var packets: Int? { udpReceiverSummary?.packets }
}
