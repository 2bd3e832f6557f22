import Foundation

/// busybox `ping` output: one RTT per `time=X ms` line, and the summary counts.
public struct PingOutput: Sendable, Equatable {
    /// Per-reply round-trip times, seconds, in arrival order.
    public var rtts: [Double]
    public var transmitted: Int
    public var received: Int
    /// Packet loss in percent as ping reported it.
    public var lossPercent: Double

    public init(rtts: [Double], transmitted: Int, received: Int, lossPercent: Double) {
        self.rtts = rtts
        self.transmitted = transmitted
        self.received = received
        self.lossPercent = lossPercent
    }

    /// Parses busybox (or iputils) ping output; throws when there is no statistics line.
    public static func parse(_ text: String, host: String = "local", operation: String = "ping") throws -> PingOutput {
        var rtts: [Double] = []
        var transmitted: Int?
        var received = 0
        var loss = 0.0
        for line in text.split(whereSeparator: \.isNewline) {
            if let range = line.range(of: "time=") {
                let rest = line[range.upperBound...]
                let number = rest.prefix { $0.isNumber || $0 == "." }
                guard let value = Double(number) else { continue }
                let unit = rest.dropFirst(number.count).trimmingCharacters(in: .whitespaces)
                let scale = unit.hasPrefix("us") || unit.hasPrefix("µs") ? 1e-6 : unit.hasPrefix("s") ? 1 : 1e-3
                rtts.append(value * scale)
            } else if line.contains("packets transmitted") {
                let fields = line.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                for field in fields {
                    let number = field.prefix { $0.isNumber || $0 == "." }
                    if field.hasSuffix("transmitted") { transmitted = Int(number) }
                    if field.contains("received") { received = Int(number) ?? 0 }
                    if field.contains("packet loss") { loss = Double(number) ?? 0 }
                }
            }
        }
        guard let transmitted else {
            throw MeasurementError.unparsable(
                host: host, operation: operation, reason: "no 'packets transmitted' statistics line",
                excerpt: String(text.prefix(300)))
        }
        return PingOutput(rtts: rtts, transmitted: transmitted, received: received, lossPercent: loss)
    }
}
