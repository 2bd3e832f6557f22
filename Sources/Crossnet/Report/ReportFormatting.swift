import Foundation

/// Number and text formatting shared by the report writers.
public enum ReportFormat {
    /// `12.3 Gbit/s`, `0.142 ms`, `0.5 %`: a value in its record unit, made readable.
    public static func value(_ value: Double, unit: String) -> String {
        switch unit {
        case "bit/s":
            let steps: [(Double, String)] = [(1e9, "Gbit/s"), (1e6, "Mbit/s"), (1e3, "kbit/s")]
            for (scale, name) in steps where abs(value) >= scale { return String(format: "%.2f %@", value / scale, name) }
            return String(format: "%.0f bit/s", value)
        case "s":
            if abs(value) >= 1 { return String(format: "%.3f s", value) }
            if abs(value) >= 1e-3 { return String(format: "%.3f ms", value * 1e3) }
            return String(format: "%.1f µs", value * 1e6)
        case "%": return String(format: "%.2f %%", value)
        default: return String(format: "%g %@", value, unit)
        }
    }

    /// `[1.10 Gbit/s … 1.30 Gbit/s]` for the headline's interval (with its level when below 95%:
    /// `… 75%`), or `nil` without one.
    public static func interval(_ stats: MeasurementRecord.Stats, unit: String) -> String? {
        stats.interval("p50").map { interval($0, unit: unit) }
    }

    /// `[a … b]`, followed by the level when it is below 95%.
    public static func interval(_ ci: ConfidenceInterval, unit: String) -> String {
        let text = "[\(value(ci.low, unit: unit)) … \(value(ci.high, unit: unit))]"
        return ci.level < ConfidenceInterval.targetLevel - 1e-9 ? text + " " + level(ci.level) : text
    }

    /// A confidence level as whole percent, rounded down (never claims more than it has): `93%`.
    public static func level(_ level: Double) -> String { "\(Int((level * 100 + 1e-9).rounded(.down)))%" }

    /// The headline's interval, or why there is none (`no interval (n=1)`).
    public static func intervalOrReason(_ stats: MeasurementRecord.Stats, unit: String) -> String {
        interval(stats, unit: unit) ?? "no interval (n=\(stats.samples))"
    }

    /// `text` followed by the flags that qualify it: `11.80 Gbit/s ⚠ noisy`.
    public static func flagged(_ text: String, _ flags: [String]) -> String {
        flags.isEmpty ? text : text + " ⚠ " + flags.joined(separator: ", ")
    }

    /// `+12.5 %`.
    public static func percent(_ change: Double) -> String {
        if change.isInfinite { return change > 0 ? "+∞ %" : "−∞ %" }
        return String(format: "%+.1f %%", change)
    }

    /// One human-readable line for a measurement record.
    public static func line(_ record: MeasurementRecord) -> String {
        var text = "\(record.driver) \(record.metric) \(record.protocol) \(record.source)→\(record.target)"
        if let streams = record.parameters.streams { text += " streams=\(streams)" }
        text += ": \(value(record.value, unit: record.unit))"
        text += " CI " + intervalOrReason(record.stats, unit: record.unit)
        let percentiles = [("p90", record.stats.p90), ("p99", record.stats.p99), ("p99.9", record.stats.p999)]
            .compactMap { name, v in v.map { "\(name) \(value($0, unit: record.unit))" } }
        if !percentiles.isEmpty { text += " (" + percentiles.joined(separator: ", ") + ")" }
        text += " n=\(record.stats.samples) [\(record.parameters.tool) \(record.parameters.version)]"
        if !record.flags.isEmpty { text += " flags: " + record.flags.joined(separator: ",") }
        return text
    }

    /// Escapes text for XML/HTML content and attribute values; drops characters XML 1.0 forbids.
    public static func xml(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\n", "\t", "\r": out.unicodeScalars.append(scalar)
            default:
                let v = scalar.value
                if v < 0x20 || (v >= 0xFFFE && v <= 0xFFFF) || (v >= 0xD800 && v <= 0xDFFF) { continue }
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// Seconds with at most 3 decimals (the JUnit schema's pattern), never negative.
    public static func seconds3(_ seconds: Double) -> String {
        String(format: "%.3f", max(0, seconds.isFinite ? seconds : 0))
    }

    /// The last `lines` lines of `text`.
    public static func tail(_ text: String, lines: Int) -> String {
        let all = text.split(separator: "\n", omittingEmptySubsequences: false)
        if all.count <= lines { return text }
        return "… (\(all.count - lines) earlier lines in transcript.log)\n" + all.suffix(lines).joined(separator: "\n")
    }
}
