import CCurl
import Foundation

/// `metrics.prom`: OpenMetrics text for node_exporter's textfile collector, and a push of the same
/// figures to a Prometheus Pushgateway. Follows Prometheus' conventions (`promtool check metrics`
/// passes): base units in the name (`_seconds`, `_bytes_per_second`, `_bytes`), ratios 0–1 with
/// `_ratio`, latency percentiles as a `summary` (the only type whose samples carry `quantile`),
/// and `crossnet_last_run_timestamp_seconds` / `crossnet_last_run_success` for alerting.
public struct PrometheusWriter: Sendable {
    public init() {}

    /// Metric family for a record's metric: name, help and type.
    public static func family(metric: String) -> (name: String, help: String, type: String) {
        switch metric {
        case "throughput": ("crossnet_throughput_bytes_per_second", "Median throughput between two containers (goodput, bytes per second).", "gauge")
        case "rtt": ("crossnet_rtt_seconds", "Round-trip time between two containers.", "summary")
        case "dns": ("crossnet_dns_seconds", "Name resolution time.", "summary")
        case "loss": ("crossnet_loss_ratio", "UDP packet loss, 0-1.", "gauge")
        case "jitter": ("crossnet_jitter_seconds", "UDP jitter.", "gauge")
        case "pmtu": ("crossnet_pmtu_bytes", "Largest packet that crosses with DF set.", "gauge")
        default: ("crossnet_\(sanitize(metric))", "Crossnet measurement \(metric).", "gauge")
        }
    }

    public func render(_ document: ResultsDocument, comparison: RunComparison? = nil) -> String {
        var families: [String: (help: String, type: String, lines: [String])] = [:]
        var order: [String] = []
        func add(_ name: String, _ help: String, _ type: String = "gauge", _ lines: [String]) {
            if families[name] == nil { order.append(name); families[name] = (help, type, []) }
            families[name]!.lines += lines
        }
        // A self-test's figure (a tbf-capped link) would repeat a driver series' labels.
        for record in document.measurements where !record.isSelfTest {
            let (name, help, type) = Self.family(metric: record.metric)
            var labels: [(String, String)] = [
                ("driver", record.driver), ("protocol", record.protocol), ("source", record.source), ("target", record.target),
                ("placement", record.resolvedPlacement.rawValue),
            ]
            if let streams = record.parameters.streams { labels.append(("streams", String(streams))) }
            if type == "summary" {
                let quantiles: [(String, Double?)] = [
                    ("0.5", record.stats.p50 ?? record.value), ("0.9", record.stats.p90), ("0.99", record.stats.p99),
                    ("0.999", record.stats.p999),
                ]
                var lines = quantiles.compactMap { quantile, value in
                    value.map { "\(name)\(Self.labels(labels + [("quantile", quantile)])) \(Self.number($0))" }
                }
                if let mean = record.stats.mean {
                    lines.append("\(name)_sum\(Self.labels(labels)) \(Self.number(mean * Double(record.stats.samples)))")
                }
                lines.append("\(name)_count\(Self.labels(labels)) \(record.stats.samples)")
                add(name, help, type, lines)
            } else {
                // Base units: bytes (not bits) per second, ratios (not percent).
                let value =
                    record.unit == "%" ? record.value / 100 : record.unit == "bit/s" ? record.value / 8 : record.value
                add(name, help, type, ["\(name)\(Self.labels(labels)) \(Self.number(value))"])
            }
        }
        add(
            "crossnet_test_passed", "1 when the test case (a claim about the network) held, 0 when it failed.", "gauge",
            document.tests.filter { $0.status != .skipped }.map { test in
                "crossnet_test_passed\(Self.labels([("suite", test.suite), ("test", test.displayName), ("driver", test.driver ?? "")])) \(test.status == .passed ? 1 : 0)"
            })
        add(
            "crossnet_run_tests", "Test cases of the run by status.", "gauge",
            ResultsDocument.Test.Status.allCases.map { status in
                "crossnet_run_tests\(Self.labels([("status", status.rawValue)])) \(document.tests.filter { $0.status == status }.count)"
            })
        let verdict = document.verdict ?? RunVerdict.evaluate(document, comparison: comparison, interrupted: false)
        if let comparison {
            add("crossnet_run_regressions", "Figures that regressed against the baseline.", "gauge",
                ["crossnet_run_regressions \(comparison.regressions.count)"])
        }
        add("crossnet_run_info", "Run metadata (value is always 1).", "gauge", [
            "crossnet_run_info\(Self.labels([("run", document.run.id), ("version", document.run.crossnetVersion), ("commit", document.run.gitCommit ?? ""), ("verdict", verdict.rawValue)])) 1"
        ])
        if let finished = Self.epochSeconds(document.run.finishedAt) {
            add("crossnet_last_run_timestamp_seconds", "When the last run finished, Unix time.", "gauge",
                ["crossnet_last_run_timestamp_seconds \(Self.number(finished))"])
        }
        add("crossnet_last_run_success", "1 when the last run passed (no failed claim, no regression), else 0.", "gauge",
            ["crossnet_last_run_success \(verdict.isSuccess ? 1 : 0)"])
        var text = ""
        for name in order {
            let family = families[name]!
            guard !family.lines.isEmpty else { continue }
            text += "# HELP \(name) \(family.help)\n# TYPE \(name) \(family.type)\n"
            for line in family.lines { text += line + "\n" }
        }
        text += "# EOF\n"
        return text
    }

    static func epochSeconds(_ iso: String) -> Double? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: iso)?.timeIntervalSince1970
    }

    static func labels(_ pairs: [(String, String)]) -> String {
        "{" + pairs.map { "\($0.0)=\"\(escape($0.1))\"" }.joined(separator: ",") + "}"
    }

    static func escape(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }

    static func number(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded() && abs(value) < 1e15 { return String(format: "%.0f", value) }
        return "\(value)"
    }

    static func sanitize(_ text: String) -> String {
        String(text.map { $0.isLetter || $0.isNumber || $0 == "_" ? $0 : "_" })
    }
}

/// Pushes metrics to a Prometheus Pushgateway over HTTP with libcurl.
public enum PushgatewayClient {
    /// The push URL for `base`: `base` itself when it already names a group (`…/metrics/job/…`),
    /// else `base/metrics/job/crossnet/inventory/<inventory>`. The grouping key is stable (job plus
    /// inventory): each push replaces the inventory's previous one instead of piling up a group per
    /// run.
    public static func url(base: String, inventory: String) -> String {
        if base.contains("/metrics/job/") { return base }
        let trimmed = base.hasSuffix("/") ? String(base.dropLast()) : base
        let safe = inventory.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? inventory
        return "\(trimmed)/metrics/job/crossnet/inventory/\(safe.isEmpty ? "default" : safe)"
    }

    /// The old grouping by run: one Pushgateway group per run, piling up forever.
    @available(*, deprecated, message: "group by inventory: url(base:inventory:) with inventoryLabel(path:)")
    public static func url(base: String, instance: String) -> String {
        if base.contains("/metrics/job/") { return base }
        let trimmed = base.hasSuffix("/") ? String(base.dropLast()) : base
        let safe = instance.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? instance
        return "\(trimmed)/metrics/job/crossnet/instance/\(safe)"
    }

    /// A stable, readable grouping value for an inventory file: its base name without extension
    /// and 8 hex digits of its absolute path's SHA-256 (`lab-3f2a9c1d`), so two labs whose files
    /// share a name stay apart.
    public static func inventoryLabel(path: String) -> String {
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        let name = ((absolute as NSString).lastPathComponent as NSString).deletingPathExtension
        return "\(name)-\(SHA256.hex(Data((absolute as NSString).standardizingPath.utf8)).prefix(8))"
    }

    /// PUTs `body` (Prometheus text format; the OpenMetrics `# EOF` line is dropped) to `url`.
    ///
    /// - Returns: the HTTP status.
    /// - Throws: ``OperationError`` on a transport failure or a non-2xx status.
    public static func push(_ body: String, to url: String, timeout: Duration = .seconds(30)) async throws -> Int {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                continuation.resume(with: Result { try pushBlocking(body, to: url, timeout: timeout) })
            }
            thread.name = "crossnet.pushgateway"
            thread.start()
        }
    }

    public static func pushBlocking(_ body: String, to url: String, timeout: Duration = .seconds(30)) throws -> Int {
        let payload = body.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { $0 != "# EOF" }.joined(separator: "\n")
        guard let curl = curl_easy_init() else {
            throw OperationError(host: "local", operation: "push to \(url)", reason: "curl_easy_init failed")
        }
        defer { curl_easy_cleanup(curl) }
        var headers: UnsafeMutablePointer<curl_slist>? = nil
        headers = curl_slist_append(headers, "Content-Type: text/plain; version=0.0.4; charset=utf-8")
        defer { curl_slist_free_all(headers) }
        var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        let bytes = Array(payload.utf8)
        let code: CURLcode = bytes.withUnsafeBufferPointer { buffer in
            errorBuffer.withUnsafeMutableBufferPointer { errors in
                _ = crossnet_curl_setopt_string(curl, CURLOPT_URL, url)
                _ = crossnet_curl_setopt_string(curl, CURLOPT_CUSTOMREQUEST, "PUT")
                _ = crossnet_curl_setopt_long(curl, CURLOPT_POSTFIELDSIZE, Int(buffer.count))
                _ = crossnet_curl_setopt_pointer(curl, CURLOPT_POSTFIELDS, UnsafeMutableRawPointer(mutating: buffer.baseAddress))
                _ = crossnet_curl_setopt_pointer(curl, CURLOPT_HTTPHEADER, UnsafeMutableRawPointer(headers))
                _ = crossnet_curl_setopt_long(curl, CURLOPT_TIMEOUT_MS, Int(timeout.components.seconds * 1000))
                _ = crossnet_curl_setopt_long(curl, CURLOPT_NOSIGNAL, 1)
                _ = crossnet_curl_setopt_pointer(curl, CURLOPT_ERRORBUFFER, UnsafeMutableRawPointer(errors.baseAddress))
                _ = crossnet_curl_discard_body(curl)
                return curl_easy_perform(curl)
            }
        }
        guard code == CURLE_OK else {
            let detail = String(decoding: errorBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw OperationError(
                host: "local", operation: "push to \(url)",
                reason: detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail,
                hint: "is the Pushgateway reachable at that URL?")
        }
        var status = 0
        _ = crossnet_curl_getinfo_long(curl, CURLINFO_RESPONSE_CODE, &status)
        guard (200..<300).contains(status) else {
            throw OperationError(host: "local", operation: "push to \(url)", reason: "HTTP \(status)", hint: "check the Pushgateway's log")
        }
        return status
    }
}
