import Foundation

/// Which round trip a latency figure measures.
public enum LatencyProtocol: String, Sendable, CaseIterable {
    /// ICMP echo with busybox `ping -i 0.01` (root in the container, NET_RAW is a default capability).
    case icmp
    /// TCP request/response with `sockperf ping-pong --tcp`.
    case tcp
    /// UDP request/response with `sockperf ping-pong`.
    case udp
}

/// Measures round-trip times between two probe containers into a ``LatencyDistribution`` and
/// records its percentiles; the first samples are discarded as warm-up.
public struct LatencyRunner: Sendable {
    /// sockperf server port (TCP and UDP), away from common services.
    public static let sockperfPort = ProbePorts.sockperf

    public let shell: ProbeShell
    public let options: MeasurementOptions

    public init(fleet: HostFleet, options: MeasurementOptions) {
        self.shell = ProbeShell(fleet: fleet)
        self.options = options
    }

    /// RTT samples in seconds, warm-up removed, one array per repeat: `options.repeats` separate
    /// runs of the tool (each a new process and, for sockperf, a new connection), which share the
    /// figure's samples (`latencySamples` pings, `durationSeconds` of sockperf) between them.
    ///
    /// One long run hides what changes from one connection to the next: on shared cores the
    /// scheduler places client and server once per run, and a same-host RTT sits at 15 µs in one
    /// run and 260 µs in the next (measured on the virtual lab). Separate runs let the figure's
    /// interval see that spread (``MeasurementRecord/Stats/init(distribution:samples:repeats:)``).
    public func repeatedSamples(_ proto: LatencyProtocol, between endpoints: MeasurementEndpoints) async throws -> [[Double]] {
        let repeats = Swift.max(1, options.repeats)
        switch proto {
        case .icmp:
            var runs: [[Double]] = []
            for count in Self.pingCounts(total: options.latencySamples, repeats: repeats) {
                runs.append(try await pingSamples(endpoints, count: count))
            }
            return runs
        case .tcp, .udp:
            let seconds = Swift.max(1, options.durationSeconds / repeats)
            return try await sockperfSamples(endpoints, tcp: proto == .tcp, runs: repeats, seconds: seconds)
        }
    }

    /// Echo requests per ping run: `total` shared between at most `repeats` runs of at least 20
    /// each (fewer runs when `total` is small), adding up to `total` exactly.
    public static func pingCounts(total: Int, repeats: Int) -> [Int] {
        let total = Swift.max(1, total)
        let runs = Swift.max(1, Swift.min(repeats, total / 20))
        return (0..<runs).map { total / runs + ($0 < total % runs ? 1 : 0) }
    }

    /// RTT samples in seconds, warm-up removed, all repeats together.
    public func samples(_ proto: LatencyProtocol, between endpoints: MeasurementEndpoints) async throws -> [Double] {
        try await repeatedSamples(proto, between: endpoints).flatMap { $0 }
    }

    /// `ping -c N -i 0.01` from the source to the target's address.
    public func pingSamples(_ endpoints: MeasurementEndpoints, count: Int) async throws -> [Double] {
        let total = count + options.warmUpSamples
        // No `-w` deadline: the exec's own timeout bounds the run, and the command stays the one a
        // person would type (`-W 2` only bounds the wait for the last replies).
        let command = ["ping", "-c", String(total), "-i", "0.01", "-W", "2", endpoints.targetAddress]
        let operation = ProbeShell.display(command, in: endpoints.source)
        let output = try await shell.run(endpoints.source, command, timeout: .seconds(total / 50 + 40))
        let ping = try PingOutput.parse(output.stdoutText, host: endpoints.source.host, operation: operation)
        let samples = Array(ping.rtts.dropFirst(options.warmUpSamples))
        guard !samples.isEmpty else { throw MeasurementError.noSamples(host: endpoints.source.host, operation: operation) }
        return samples
    }

    /// `sockperf server` in the target, then `runs` × `sockperf ping-pong --full-log` of `seconds`
    /// each in the source, each log read back with `cat`; RTT = rxTime − txTime. One array per run.
    public func sockperfSamples(
        _ endpoints: MeasurementEndpoints, tcp: Bool, runs: Int = 1, seconds: Int? = nil
    ) async throws -> [[Double]] {
        let port = String(Self.sockperfPort)
        let transport = tcp ? ["--tcp"] : []
        let server = ["sockperf", "server", "-i", "0.0.0.0", "-p", port] + transport
        try await shell.check(
            endpoints.target,
            ["sh", "-c", "pkill -x sockperf 2>/dev/null; sleep 0.1; " + server.joined(separator: " ") + " --daemonize >/dev/null 2>&1"],
            timeout: .seconds(20))
        defer {
            let shell = shell, target = endpoints.target
            Task { _ = try? await shell.run(target, ["pkill", "-x", "sockperf"], timeout: .seconds(10)) }
        }
        try await Task.sleep(for: .milliseconds(200))
        let log = "/tmp/crossnet-sockperf-\(tcp ? "tcp" : "udp").csv"
        let duration = Swift.max(1, seconds ?? options.durationSeconds)
        let clientPort = String(endpoints.clientPort(Self.sockperfPort))
        let client = ["sockperf", "ping-pong", "-i", endpoints.targetAddress, "-p", clientPort] + transport + [
            "-t", String(duration), "--mps=\(options.sockperfMessagesPerSecond)", "--full-log", log,
        ]
        let operation = ProbeShell.display(client, in: endpoints.source)
        var results: [[Double]] = []
        for _ in 0..<Swift.max(1, runs) {
            var output = try await shell.run(endpoints.source, client, timeout: .seconds(duration + 40))
            if !output.succeeded {
                // The daemonised server may not have been listening yet: one retry.
                try await Task.sleep(for: .milliseconds(500))
                output = try await shell.run(endpoints.source, client, timeout: .seconds(duration + 40))
            }
            guard output.succeeded else {
                throw MeasurementError.commandFailed(
                    host: endpoints.source.host, operation: operation, exitStatus: output.exitStatus,
                    output: (output.stderrText + output.stdoutText).trimmingCharacters(in: .whitespacesAndNewlines))
            }
            let text = try await shell.check(endpoints.source, ["cat", log], timeout: .seconds(30)).stdoutText
            let parsed = try SockperfLog.parse(
                text, droppingFirst: options.warmUpSamples, host: endpoints.source.host, operation: operation)
            guard !parsed.rtts.isEmpty else { throw MeasurementError.noSamples(host: endpoints.source.host, operation: operation) }
            results.append(parsed.rtts)
        }
        return results
    }

    /// Measures `proto` and returns its `rtt` record.
    public func measure(_ proto: LatencyProtocol, between endpoints: MeasurementEndpoints, testName: String) async throws -> MeasurementRecord {
        let repeats = try await repeatedSamples(proto, between: endpoints)
        let mtu = await shell.pathMTU(from: endpoints.source, to: endpoints.targetAddress)
        let tool = proto == .icmp ? "ping" : "sockperf"
        let version = options.version(proto == .icmp ? "busybox" : "sockperf")
        var parameters = MeasurementRecord.Parameters(tool: tool, version: version, mtu: mtu, repeats: repeats.count)
        if proto != .icmp {
            parameters.durationSeconds = Double(Swift.max(1, options.durationSeconds / repeats.count))
            parameters.rateBitsPerSecond = nil
        }
        return Self.record(
            repeats: repeats, metric: "rtt", protocol: proto.rawValue, endpoints: endpoints, testName: testName,
            parameters: parameters, noisyCV: options.noisyCoefficientOfVariationPercent)
    }

    /// A latency-type record from samples in seconds: value = p50, each percentile with its
    /// order-statistic interval (pure; unit-tested).
    public static func record(
        samples: [Double], metric: String, protocol proto: String, endpoints: MeasurementEndpoints, testName: String,
        parameters: MeasurementRecord.Parameters, noisyCV: Double
    ) -> MeasurementRecord {
        record(
            repeats: [samples], metric: metric, protocol: proto, endpoints: endpoints, testName: testName,
            parameters: parameters, noisyCV: noisyCV)
    }

    /// A latency-type record from the samples of several runs (seconds): value = p50 of all samples;
    /// each percentile's interval is the order-statistic interval of all samples widened to the
    /// range of the runs' own percentiles; flagged `noisy` when the runs' medians vary by more than
    /// `noisyCV` percent (pure; unit-tested).
    public static func record(
        repeats: [[Double]], metric: String, protocol proto: String, endpoints: MeasurementEndpoints, testName: String,
        parameters: MeasurementRecord.Parameters, noisyCV: Double
    ) -> MeasurementRecord {
        let runs = repeats.filter { !$0.isEmpty }
        let samples = runs.flatMap { $0 }
        let distribution = LatencyDistribution(seconds: samples)
        // Each run's own distribution, built once: for the intervals and for the noisy flag.
        let perRun = runs.count > 1 ? runs.map { LatencyDistribution(seconds: $0) } : []
        let stats = MeasurementRecord.Stats(distribution: distribution, samples: samples, runs: perRun)
        var flags: [String] = []
        if let medians = SampleStatistics(perRun.map { $0.percentile(50) }), perRun.count > 1,
            medians.coefficientOfVariationPercent > noisyCV
        {
            flags.append("noisy")
        }
        return MeasurementRecord(
            test: testName, driver: endpoints.driver.rawValue, metric: metric, protocol: proto,
            source: endpoints.source.host, target: endpoints.target.host, unit: "s", value: distribution.percentile(50),
            stats: stats, parameters: parameters, flags: flags, placement: endpoints.placement)
    }
}
