import Foundation

/// A `sockperf ping-pong --full-log FILE` CSV: one line per message of the valid period
/// (`packet, txTime(sec), rxTime(sec), latency(usec)`). sockperf already leaves out its own
/// warm-up messages; its `latency` column is half the round trip, so the RTT is `rxTime − txTime`.
public struct SockperfLog: Sendable, Equatable {
    /// Round-trip times, seconds, in send order.
    public var rtts: [Double]

    public init(rtts: [Double]) { self.rtts = rtts }

    /// Parses the CSV, dropping the first `warmUp` samples as extra warm-up.
    public static func parse(
        _ text: String, droppingFirst warmUp: Int = 0, host: String = "local", operation: String = "sockperf --full-log"
    ) throws -> SockperfLog {
        var rtts: [Double] = []
        var sawHeader = false
        for line in text.split(whereSeparator: \.isNewline) {
            if line.hasPrefix("packet,") {
                sawHeader = true
                continue
            }
            let fields = line.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            guard fields.count >= 3, Int(fields[0]) != nil,
                let tx = nanoseconds(fields[1]), let rx = nanoseconds(fields[2])
            else { continue }
            // A message without a reply has no receive time.
            guard rx > tx else { continue }
            rtts.append(Double(rx - tx) / 1e9)
        }
        guard sawHeader else {
            throw MeasurementError.unparsable(
                host: host, operation: operation, reason: "no 'packet, txTime(sec), …' header",
                excerpt: String(text.prefix(300)))
        }
        return SockperfLog(rtts: Array(rtts.dropFirst(warmUp)))
    }

    /// `2.406760692` → 2_406_760_692 ns, exactly (a Double would lose nanoseconds on epoch times).
    static func nanoseconds(_ text: String) -> Int64? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard let seconds = Int64(parts[0]) else { return nil }
        var nanos: Int64 = 0
        if parts.count == 2 {
            let digits = parts[1].prefix(9)
            guard let fraction = Int64(digits) else { return nil }
            nanos = fraction
            for _ in digits.count..<9 { nanos *= 10 }
        }
        return seconds * 1_000_000_000 + nanos
    }
}
