import Foundation

/// Times name lookups through a container's resolver (Docker's embedded DNS at 127.0.0.11 on
/// user networks).
///
/// busybox `date` has no sub-second format, so each timestamp comes from `adjtimex` (the kernel's
/// clock, microseconds). One exec runs a loop of `N` lookups (`nslookup NAME`); each lookup is
/// paired with a baseline run of `busybox true` (the same binary starting and exiting), and the
/// figure is lookup time minus the *fastest* baseline: the floor of process start-up is taken
/// out, the noise of a busy machine is not (on the 2-core lab start-up varies 1–5 ms, so a
/// median subtraction would cancel real lookup time). Figures therefore lean high, never low.
public struct DNSTimer: Sendable {
    public let shell: ProbeShell
    public let options: MeasurementOptions

    public init(fleet: HostFleet, options: MeasurementOptions) {
        self.shell = ProbeShell(fleet: fleet)
        self.options = options
    }

    /// The shell loop run in the container.
    static func script(name: String, lookups: Int) -> String {
        """
        t() { adjtimex | sed -n 's/.*time.tv_sec: *\\([0-9]*\\).*/S \\1/p; s/.*time.tv_usec: *\\([0-9]*\\).*/U \\1/p'; }
        i=0; while [ $i -lt \(lookups) ]; do i=$((i+1))
        t; nslookup \(name) >/dev/null 2>&1; echo "R $?"; t
        t; busybox true >/dev/null 2>&1; t
        done
        """
    }

    /// Per-lookup times, seconds, and the baseline subtracted from them, parsed from the loop's output.
    public static func parse(_ text: String, host: String = "local", operation: String = "nslookup loop") throws -> (lookups: [Double], failures: Int, baseline: Double) {
        var stamps: [Int64] = []
        var codes: [Int] = []
        var seconds: Int64?
        for line in text.split(whereSeparator: \.isNewline) {
            let fields = line.split(separator: " ")
            guard fields.count == 2 else { continue }
            switch fields[0] {
            case "S": seconds = Int64(fields[1])
            case "U":
                if let s = seconds, let us = Int64(fields[1]) { stamps.append(s * 1_000_000 + us) }
                seconds = nil
            case "R": codes.append(Int(fields[1]) ?? 1)
            default: break
            }
        }
        let iterations = stamps.count / 4
        guard iterations > 0 else {
            throw MeasurementError.unparsable(
                host: host, operation: operation, reason: "no adjtimex timestamps", excerpt: String(text.prefix(300)))
        }
        var raw: [Double] = []
        var base: [Double] = []
        var failures = 0
        for i in 0..<iterations {
            let s = Array(stamps[(4 * i)..<(4 * i + 4)])
            if i < codes.count, codes[i] != 0 {
                failures += 1
                continue
            }
            raw.append(Double(s[1] - s[0]) / 1e6)
            base.append(Double(s[3] - s[2]) / 1e6)
        }
        let baseline = base.min() ?? 0
        return (raw.map { Swift.max(1e-6, $0 - baseline) }, failures, baseline)
    }

    /// Times `options.dnsLookups` lookups of `endpoints.dnsName` from the source; a `dns`/`udp` record.
    public func measure(_ endpoints: MeasurementEndpoints, testName: String) async throws -> MeasurementRecord {
        guard let name = endpoints.dnsName else {
            throw MeasurementError.noSamples(host: endpoints.source.host, operation: "DNS timing on \(endpoints.driver.rawValue): no name to resolve")
        }
        let lookups = Swift.max(1, options.dnsLookups)
        let command = ["sh", "-c", Self.script(name: name, lookups: lookups)]
        let operation = "docker exec \(endpoints.source.name) sh -c '<\(lookups) × nslookup \(name)>'"
        let output = try await shell.run(endpoints.source, command, timeout: .seconds(lookups + 60))
        let parsed = try Self.parse(output.stdoutText, host: endpoints.source.host, operation: operation)
        guard parsed.failures == 0, !parsed.lookups.isEmpty else {
            throw MeasurementError.commandFailed(
                host: endpoints.source.host, operation: operation + ": \(parsed.failures) of \(lookups) lookups failed",
                exitStatus: output.exitStatus, output: output.stderrText)
        }
        return LatencyRunner.record(
            samples: parsed.lookups, metric: "dns", protocol: "udp", endpoints: endpoints, testName: testName,
            parameters: .init(tool: "nslookup", version: options.version("busybox")), noisyCV: options.noisyCoefficientOfVariationPercent)
    }
}
