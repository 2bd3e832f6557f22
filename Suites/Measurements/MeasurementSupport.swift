import Foundation
import Testing
import _Testing_Foundation

import Crossnet

extension Tag {
    /// Suites that measure throughput, latency and DNS timing.
    @Tag static var measure: Self
}

/// One round of a measurement schedule: a test case whose pairs share no host.
struct ScheduledRound: Sendable, CustomTestStringConvertible {
    var index: Int
    var round: MeasurementSchedule.Round
    var testDescription: String { "round \(index): " + round.measurements.map(\.description).joined(separator: ", ") }
}

/// What the measurement suites share: options from the inventory and environment, the schedule
/// per driver, and helpers that run a figure, check it and attach it.
enum MeasureSupport {
    /// Options without tool versions (known once the probe image is built).
    static var baseOptions: MeasurementOptions {
        guard let inventory = SuiteInventory.inventory else { return MeasurementOptions() }
        return MeasurementOptions(inventory: inventory, toolVersions: [:])
    }

    static func options() async throws -> MeasurementOptions {
        var options = baseOptions
        options.toolVersions = try await SuiteEnvironment.shared.get().image.toolVersions
        return options
    }

    /// The schedule for `driver` on the inventory's hosts.
    static func schedule(_ driver: DriverID) -> MeasurementSchedule {
        MeasurementSchedule(hosts: SuiteInventory.hostNames, mode: .forDriver(driver, pairs: baseOptions.pairs))
    }

    /// Throughput pairs in schedule order (round by round).
    static func throughputPairs(_ driver: DriverID) -> [HostPair] {
        schedule(driver).throughputOrder.map { HostPair(source: $0.source, target: $0.target) }
    }

    /// Latency pairs in schedule order (its own phase: the suite runs latency tests after throughput).
    static func latencyPairs(_ driver: DriverID) -> [HostPair] {
        schedule(driver).latencyOrder.map { HostPair(source: $0.source, target: $0.target) }
    }

    /// Throughput rounds in schedule order: one test case per round.
    static func throughputRounds(_ driver: DriverID) -> [ScheduledRound] {
        schedule(driver).rounds.enumerated().map { ScheduledRound(index: $0.offset + 1, round: $0.element) }
    }

    /// Latency rounds (their own phase: the suite runs latency tests after throughput).
    static func latencyRounds(_ driver: DriverID) -> [ScheduledRound] { throughputRounds(driver) }

    /// Runs `body` for every ordered pair of `round`, at once or one after another as the
    /// inventory's `measurement.concurrency` says.
    static func inRound(_ round: ScheduledRound, _ body: @escaping @Sendable (HostPair) async throws -> Void) async throws {
        let concurrency = try await options().concurrency
        _ = try await RoundExecutor.run(round.round, concurrency: concurrency) { order in
            try await body(HostPair(source: order.source, target: order.target))
        }
    }

    static func tcpThroughput(_ driver: DriverID, _ round: ScheduledRound) async throws {
        try await inRound(round) { try await tcpThroughput(driver, $0) }
    }

    static func udpThroughput(_ driver: DriverID, _ round: ScheduledRound) async throws {
        try await inRound(round) { try await udpThroughput(driver, $0) }
    }

    static func latency(_ driver: DriverID, _ round: ScheduledRound) async throws {
        try await inRound(round) { try await latency(driver, $0) }
    }

    static func dns(_ driver: DriverID, _ round: ScheduledRound) async throws {
        try await inRound(round) { try await dns(driver, $0) }
    }

    static func endpoints(_ pair: HostPair) throws -> MeasurementEndpoints {
        try CurrentDeployment.get().measurementEndpoints(for: HostPairOrder(source: pair.source, target: pair.target))
    }

    static func testName(_ what: String, _ driver: DriverID, _ pair: HostPair) -> String {
        "\(what) over \(driver.rawValue) \(pair.source)→\(pair.target)"
    }

    /// Attaches records as `measurements.json` (a JSON array of ``MeasurementRecord``).
    static func attach(_ records: [MeasurementRecord]) throws {
        SuiteHost.recorder.record(records)
        // Under `crossnet run` the records reach the report typed, through the recorder; under
        // `swift test` they travel as an attachment in the event stream.
        guard !SuiteHost.isHosted else { return }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        Attachment.record(try encoder.encode(records), named: "measurements.json")
    }

    /// TCP 1 stream, TCP P streams: sanity-checked and attached.
    static func tcpThroughput(_ driver: DriverID, _ pair: HostPair) async throws {
        try await withTranscript {
            let options = try await options()
            let records = try await tcpRecords(between: try endpoints(pair), options: options) { streams in
                testName(tcpFigureName(streams), driver, pair)
            }
            try attach(records)
            for record in records { expectThroughputSane(record, options: options) }
        }
    }

    /// `TCP throughput (1 stream)`, `TCP throughput (4 streams)`.
    static func tcpFigureName(_ streams: Int) -> String {
        "TCP throughput (\(streams) stream\(streams == 1 ? "" : "s"))"
    }

    /// TCP throughput between `endpoints` with one stream and with the inventory's parallel
    /// streams; `name` gives each figure's test name from its stream count.
    static func tcpRecords(
        between endpoints: MeasurementEndpoints, options: MeasurementOptions, name: (Int) -> String
    ) async throws -> [MeasurementRecord] {
        let runner = ThroughputRunner(fleet: try CurrentDeployment.runContext().fleet, options: options)
        var records: [MeasurementRecord] = []
        for streams in Set([1, options.parallelStreams]).sorted() {
            records += try await runner.measure(.tcp(streams: streams), between: endpoints, testName: name(streams))
        }
        return records
    }

    /// UDP at the inventory's rate: throughput, loss and jitter.
    static func udpThroughput(_ driver: DriverID, _ pair: HostPair) async throws {
        try await withTranscript {
            let options = try await options()
            let runner = ThroughputRunner(fleet: try CurrentDeployment.runContext().fleet, options: options)
            let records = try await runner.measure(
                .udp(rateBitsPerSecond: options.udpRateBitsPerSecond), between: try endpoints(pair),
                testName: testName("UDP throughput", driver, pair))
            try attach(records)
            #expect(Set(records.map(\.metric)) == ["throughput", "loss", "jitter"])
            for record in records where record.metric == "throughput" { expectThroughputSane(record, options: options) }
            for record in records where record.metric == "loss" { #expect((0...100).contains(record.value)) }
            for record in records where record.metric == "jitter" { #expect(record.value >= 0) }
        }
    }

    /// ICMP, TCP and UDP round trips.
    static func latency(_ driver: DriverID, _ pair: HostPair) async throws {
        try await withTranscript {
            let options = try await options()
            let runner = LatencyRunner(fleet: try CurrentDeployment.runContext().fleet, options: options)
            let endpoints = try endpoints(pair)
            var records: [MeasurementRecord] = []
            for proto in LatencyProtocol.allCases {
                records.append(try await runner.measure(proto, between: endpoints, testName: testName("\(proto.rawValue.uppercased()) RTT", driver, pair)))
            }
            try attach(records)
            for record in records {
                expectLatencySane(record)
                if record.protocol == "icmp" { #expect(record.stats.samples == options.latencySamples, "\(record.stats.samples) ICMP samples") }
            }
        }
    }

    /// DNS lookups through the container's resolver.
    static func dns(_ driver: DriverID, _ pair: HostPair) async throws {
        try await withTranscript {
            let options = try await options()
            let record = try await DNSTimer(fleet: try CurrentDeployment.runContext().fleet, options: options)
                .measure(try endpoints(pair), testName: testName("DNS lookup", driver, pair))
            try attach([record])
            expectLatencySane(record)
            #expect(record.stats.samples == options.dnsLookups)
        }
    }

    static func expectThroughputSane(_ record: MeasurementRecord, options: MeasurementOptions, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(record.value > 0, "\(record.test): \(record.value) bit/s", sourceLocation: sourceLocation)
        #expect(record.stats.samples == options.repeats, sourceLocation: sourceLocation)
        #expect(record.parameters.repeats == options.repeats, sourceLocation: sourceLocation)
        if let ci = record.stats.interval("p50") {
            #expect(ci.low <= record.value && record.value <= ci.high, "median \(record.value) outside CI [\(ci.low), \(ci.high)]", sourceLocation: sourceLocation)
        } else if options.repeats >= 3 {
            // Below 3 repeats a median has no interval (see docs/measurements.md).
            Issue.record("\(record.test): no confidence interval", sourceLocation: sourceLocation)
        }
        #expect(record.parameters.version.first?.isNumber == true, "iperf3 version: \(record.parameters.version)", sourceLocation: sourceLocation)
        #expect(record.parameters.mtu.map { $0 >= 1280 } == true, "mtu \(String(describing: record.parameters.mtu))", sourceLocation: sourceLocation)
    }

    static func expectLatencySane(_ record: MeasurementRecord, sourceLocation: SourceLocation = #_sourceLocation) {
        let s = record.stats
        #expect(record.value > 0 && record.value < 1, "\(record.test): p50 \(record.value) s", sourceLocation: sourceLocation)
        #expect(s.samples > 0, sourceLocation: sourceLocation)
        if let min = s.min, let p50 = s.p50, let p99 = s.p99, let max = s.max {
            #expect(min <= p50 && p50 <= p99 && p99 <= max * 1.001, "\(s)", sourceLocation: sourceLocation)
        }
        #expect(record.parameters.version != "unknown", "\(record.parameters.tool) version not recorded", sourceLocation: sourceLocation)
    }
}
