import Foundation

/// The path MTU between two probes as measured, with the evidence that bounds it.
public struct PathMTUResult: Sendable, Equatable {
    /// The largest DF echo that crossed.
    public var largest: DFPing
    /// The smallest DF echo above it that did not (and how it failed), when one was tried.
    public var firstRefused: DFPing?
    /// MTU of the source container's interface towards the target (`ip route get`).
    public var interfaceMTU: Int?
    /// The source host's interface the path leaves by, and its MTU.
    public var parent: HostInterface?
    /// Every echo sent, in order.
    public var trail: [DFPing]

    /// The path MTU: the largest IP packet that crossed, bytes.
    public var bytes: Int { largest.packetBytes }
}

/// A network interface of a host and its MTU, as `ip -o link show` reports it.
public struct HostInterface: Sendable, Equatable {
    public var name: String
    public var mtu: Int

    public init(name: String, mtu: Int) {
        self.name = name
        self.mtu = mtu
    }

    /// Reads `ip -o link show dev DEV` (`2: eth0@if6: <…> mtu 1500 qdisc …`).
    public static func parse(_ text: String) -> HostInterface? {
        guard let line = text.split(whereSeparator: \.isNewline).first(where: { $0.contains(" mtu ") }) else { return nil }
        let fields = line.split(separator: " ")
        guard fields.count > 2, let mtuIndex = fields.firstIndex(of: "mtu"), mtuIndex + 1 < fields.count,
            let mtu = Int(fields[mtuIndex + 1])
        else { return nil }
        let name = fields[1].prefix { $0 != "@" && $0 != ":" }
        return name.isEmpty ? nil : HostInterface(name: String(name), mtu: mtu)
    }
}

/// Measures the largest packet that crosses from one probe to another with DF set (metric `pmtu`,
/// unit `bytes`): iputils `ping -M do -s SIZE` in the source, bisected between a small echo that
/// must cross and the source interface's MTU, beside the MTU of the host interface the path
/// leaves by (the *parent*: `eth0` across hosts, the Linux bridge on one host).
public struct PathMTUProbe: Sendable {
    /// The smallest echo payload tried; if it does not cross there is no path to measure.
    public static let smallPayload = 64
    /// IPv4 ping's largest payload (a 65535-byte packet).
    public static let largestPayload = 65_507

    public let shell: ProbeShell
    public let options: MeasurementOptions

    public init(fleet: HostFleet, options: MeasurementOptions) {
        self.shell = ProbeShell(fleet: fleet)
        self.options = options
    }

    /// Sends one DF echo of `payload` bytes from the source to the target address.
    public func ping(payload: Int, between endpoints: MeasurementEndpoints) async throws -> DFPing {
        let command = DFPing.command(payload: payload, target: endpoints.targetAddress)
        let operation = ProbeShell.display(command, in: endpoints.source)
        let output = try await shell.run(endpoints.source, command, timeout: .seconds(15))
        return try DFPing.parse(
            output.stdoutText + output.stderrText, payload: payload, host: endpoints.source.host, operation: operation)
    }

    /// Finds the largest DF echo that crosses, and the first size that does not.
    public func search(between endpoints: MeasurementEndpoints) async throws -> PathMTUResult {
        var trail: [DFPing] = []
        func send(_ payload: Int) async throws -> DFPing {
            let result = try await ping(payload: payload, between: endpoints)
            trail.append(result)
            return result
        }
        let small = try await send(Self.smallPayload)
        guard small.crossed else {
            throw MeasurementError.commandFailed(
                host: endpoints.source.host,
                operation: ProbeShell.display(DFPing.command(payload: Self.smallPayload, target: endpoints.targetAddress), in: endpoints.source),
                exitStatus: 1, output: "a \(small.packetBytes)-byte DF echo did not cross (\(small.outcome)): no path to measure")
        }
        let interfaceMTU = await shell.pathMTU(from: endpoints.source, to: endpoints.targetAddress)
        // The sender refuses DF packets above its interface's MTU: start there, it usually crosses.
        let ceiling = min(Self.largestPayload, (interfaceMTU ?? 65_535) - DFPing.headerBytes)
        var largest = small
        var refused: DFPing?
        let atCeiling = try await send(ceiling)
        if atCeiling.crossed {
            largest = atCeiling
            if ceiling < Self.largestPayload { refused = try await send(ceiling + 1) }
        } else {
            let payload = try await PathMTUSearch.largest(crossing: Self.smallPayload, failing: ceiling) { try await send($0).crossed }
            largest = trail.last { $0.payload == payload && $0.crossed } ?? small
            refused = trail.filter { !$0.crossed && $0.payload > payload }.min { $0.payload < $1.payload }
        }
        let parent = await parentInterface(for: endpoints)
        return PathMTUResult(largest: largest, firstRefused: refused, interfaceMTU: interfaceMTU, parent: parent, trail: trail)
    }

    /// The source host's interface towards the target: towards the target host's address across
    /// hosts, towards the target container on one host (the bridge). Read with `ip` over SSH:
    /// `/sys/class/net` in a session on a lab host shows the machine's interfaces, not the host's.
    public func parentInterface(for endpoints: MeasurementEndpoints) async -> HostInterface? {
        let fleet = shell.fleet
        let destination = endpoints.placement == .sameHost ? endpoints.targetAddress : fleet.config(endpoints.target.host).address
        let script = "dev=$(ip -o route get \(destination) | sed -n 's/.* dev \\([^ ]*\\).*/\\1/p' | head -n 1); "
            + "ip -o link show dev \"${dev:-\(fleet.config(endpoints.source.host).interface ?? "eth0")}\""
        guard let output = try? await fleet.exec(endpoints.source.host, script, timeout: .seconds(15)), output.succeeded else {
            return nil
        }
        return HostInterface.parse(output.stdoutText)
    }

    /// Measures the path MTU and returns its `pmtu` record.
    public func measure(between endpoints: MeasurementEndpoints, testName: String) async throws -> (record: MeasurementRecord, result: PathMTUResult) {
        let result = try await search(between: endpoints)
        return (Self.record(result, endpoints: endpoints, testName: testName, version: options.version("iputils")), result)
    }

    /// The `pmtu` record of a search (pure; unit-tested): value and every statistic are the path
    /// MTU in bytes, exact rather than sampled, so there is no interval.
    public static func record(_ result: PathMTUResult, endpoints: MeasurementEndpoints, testName: String, version: String) -> MeasurementRecord {
        let bytes = Double(result.bytes)
        var parameters = MeasurementRecord.Parameters(tool: "ping", version: version, mtu: result.interfaceMTU)
        parameters.parentInterface = result.parent?.name
        parameters.parentMTU = result.parent?.mtu
        return MeasurementRecord(
            test: testName, driver: endpoints.driver.rawValue, metric: "pmtu", protocol: "icmp",
            source: endpoints.source.host, target: endpoints.target.host, unit: "bytes", value: bytes,
            stats: .init(p50: bytes, min: bytes, max: bytes, samples: 1), parameters: parameters,
            placement: endpoints.placement)
    }
}
