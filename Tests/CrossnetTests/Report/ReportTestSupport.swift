import Foundation
import Testing

@testable import Crossnet

enum ReportFixtures {
    static var eventStreamDirectory: String {
        Bundle.module.resourceURL!.appendingPathComponent("Fixtures/eventstream").path
    }

    static func eventStream(_ name: String) -> String { eventStreamDirectory + "/" + name }

    static var attachments: String { eventStreamDirectory + "/attachments" }

    /// A fresh temporary folder.
    static func temporaryFolder(_ label: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("crossnet-\(label)-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// The package root (for Reports/schema).
    static var packageRoot: String {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url.path }
        }
        return FileManager.default.currentDirectoryPath
    }

    static var resultsSchema: String { packageRoot + "/Reports/schema/results.schema.json" }

    /// The JUnit schema kept in the repository (with its license).
    static var junitSchema: String { packageRoot + "/Reports/schema/junit/junit-10.xsd" }

    /// A throughput record: median of 5 repeats with its order-statistic interval ([min, max]: 93.75%).
    static func throughput(
        _ driver: String, _ source: String, _ target: String, gbps: Double, ci: Double = 0.3, streams: Int = 1
    ) -> MeasurementRecord {
        MeasurementRecord(
            test: "Suites.Measure/\(driver)/throughput[\(source)→\(target)]", driver: driver, metric: "throughput",
            protocol: "tcp", source: source, target: target, unit: "bit/s", value: gbps * 1e9,
            stats: .init(
                p50: gbps * 1e9, min: (gbps - ci) * 1e9, max: (gbps + ci) * 1e9, mean: gbps * 1e9, stddev: ci / 2 * 1e9,
                intervals: ["p50": .init(low: (gbps - ci) * 1e9, high: (gbps + ci) * 1e9, level: 0.9375)], samples: 5),
            parameters: .init(tool: "iperf3", version: "3.12", durationSeconds: 5, streams: streams, repeats: 5),
            placement: source == target ? .sameHost : .crossHost)
    }

    /// An RTT record (milliseconds in, seconds stored), with p50 and p99 intervals.
    static func rtt(_ driver: String, _ source: String, _ target: String, p50 ms: Double, p99 p99ms: Double? = nil) -> MeasurementRecord {
        let p99 = (p99ms ?? ms * 2.5) / 1e3
        let p50 = ms / 1e3
        return MeasurementRecord(
            test: "Suites.Measure/\(driver)/rtt[\(source)→\(target)]", driver: driver, metric: "rtt", protocol: "icmp",
            source: source, target: target, unit: "s", value: p50,
            stats: .init(
                p50: p50, p90: p50 * 1.6, p99: p99, p999: p99 * 1.3, min: p50 * 0.6, max: p99 * 1.5, mean: p50 * 1.1,
                stddev: p50 * 0.2,
                intervals: [
                    "p50": .init(low: p50 * 0.95, high: p50 * 1.05, level: 0.95),
                    "p99": .init(low: p99 * 0.9, high: p99 * 1.5, level: 0.8648),
                ], samples: 200),
            parameters: .init(tool: "ping", version: "busybox 1.36", durationSeconds: 20),
            placement: source == target ? .sameHost : .crossHost)
    }

    /// A realistic document: the captured claims stream plus figures for every driver, across
    /// hosts (host, bridge through a published port, overlay, macvlan) and on one host (loopback,
    /// bridge, user-bridge, compose, macvlan, overlay).
    static func document() throws -> ResultsDocument {
        let stream = try EventStreamReader(attachmentsDirectory: attachments).read(path: eventStream("claims.jsonl"))
        let crossHost: [(String, Double, Double)] = [
            ("host", 14.2, 0.052), ("bridge", 11.8, 0.081), ("overlay", 6.3, 0.142), ("macvlan", 13.1, 0.061),
        ]
        let sameHost: [(String, Double, Double)] = [
            ("host", 40.0, 0.021), ("bridge", 28.0, 0.034), ("user-bridge", 27.5, 0.035), ("compose", 27.4, 0.036),
            ("macvlan", 30.0, 0.030), ("overlay", 25.0, 0.048),
        ]
        var measurements = stream.measurements
        for (driver, gbps, ms) in crossHost {
            measurements.append(throughput(driver, "h1", "h3", gbps: gbps))
            measurements.append(throughput(driver, "h2", "h3", gbps: gbps * 0.97))
            measurements.append(rtt(driver, "h1", "h2", p50: ms))
        }
        for (driver, gbps, ms) in sameHost {
            measurements.append(throughput(driver, "h1", "h1", gbps: gbps, ci: 0.8))
            measurements.append(rtt(driver, "h1", "h1", p50: ms))
        }
        var tests = stream.tests
        let claims: [(String, String, String, [String], Bool)] = [
            ("default bridge", "bridge", "containers on the default bridge reach each other by IP", ["h1", "h2", "h3"], true),
            ("default bridge", "bridge", "containers on the default bridge cannot resolve each other by name", ["h1", "h2", "h3"], true),
            ("overlay", "overlay", "containers on the overlay reach each other across hosts", ["h1→h2", "h1→h3", "h2→h1", "h2→h3", "h3→h1", "h3→h2"], true),
            ("overlay", "overlay", "an encrypted overlay passes traffic across hosts", ["h1→h2", "h2→h3"], false),
            ("none network", "none", "a container without a network cannot reach another host", ["h1", "h2", "h3"], true),
        ]
        for (suite, driver, claim, args, pass) in claims {
            for arg in args {
                tests.append(
                    .init(
                        id: "Suites.\(suite)/\(claim)[\(arg)]", suite: suite, name: claim, argument: arg, driver: driver,
                        status: pass ? .passed : .failed, durationSeconds: 1.234567,
                        message: pass ? nil : "Expectation failed: result.passed\n↳ ping 10.0.9.3 from \(arg): 100% packet loss",
                        transcript: pass ? nil : "h1 $ docker exec probe ping -c 3 10.0.9.3\n3 packets transmitted, 0 received, 100% packet loss"))
            }
        }
        return ResultsDocument(
            run: .init(
                id: "20261126-090000-abcd", startedAt: "2026-11-26T09:00:00Z", finishedAt: "2026-11-26T09:04:12Z",
                gitCommit: "5b54152aa0c4d6e1f00000000000000000000000",
                inventoryHash: SHA256.hex(Data("hosts: []\n".utf8)),
                hosts: [
                    .init(name: "h1", address: "198.18.30.11", kernel: "6.1.0-28-amd64", dockerVersion: "20.10.24", cpus: 2, apiVersion: "1.41"),
                    .init(name: "h2", address: "198.18.30.12", kernel: "6.1.0-28-amd64", dockerVersion: "20.10.24", cpus: 2, apiVersion: "1.41"),
                    .init(name: "h3", address: "198.18.30.13", kernel: "6.1.0-28-amd64", dockerVersion: "20.10.24", cpus: 2, apiVersion: "1.41"),
                ]),
            tests: tests, measurements: measurements)
    }

    /// Writes `document` as results.json in a new folder; returns the file path.
    static func write(_ document: ResultsDocument, label: String) throws -> String {
        let folder = try temporaryFolder(label)
        let path = folder + "/results.json"
        try document.encoded().write(to: URL(fileURLWithPath: path))
        return path
    }
}

extension MeasurementRecord {
    /// The record with its headline, percentiles and intervals multiplied by `factor` (a figure
    /// that moved, with the same relative spread).
    func scaled(by factor: Double) -> MeasurementRecord {
        var copy = self
        copy.value *= factor
        for path: WritableKeyPath<Stats, Double?> in [\.p50, \.p90, \.p99, \.p999, \.min, \.max, \.mean, \.ci95Low, \.ci95High] {
            copy.stats[keyPath: path] = copy.stats[keyPath: path].map { $0 * factor }
        }
        copy.stats.intervals = copy.stats.intervals?.mapValues {
            ConfidenceInterval(low: $0.low * factor, high: $0.high * factor, level: $0.level, method: $0.method)
        }
        return copy
    }
}
