import Foundation
import Testing

import Crossnet

/// Shares the driver suite's deployment (one deployment per driver per run).
extension OverlaySuite {
/// VXLAN costs an overlay 50 bytes of MTU: what crosses it, and that TCP still moves bulk data.
@Suite("path MTU over overlay", .tags(.lab, .overlay), .needsInventory, .needsTwoHosts, .serialized)
struct PathMTU {
    /// The payload of a 1500-byte ICMP echo (the underlay's MTU).
    static let fullSizedPayload = 1500 - DFPing.headerBytes
    /// Bytes sent over one TCP connection to show there is no black hole.
    static let bulkBytes = 8 * 1024 * 1024

    static func endpoints(_ pair: HostPair) throws -> MeasurementEndpoints {
        try CurrentDeployment.get().measurementEndpoints(for: HostPairOrder(source: pair.source, target: pair.target))
    }

    @Test("overlay carries exactly its MTU and no more: a DF packet of the overlay's MTU crosses, one byte more and a 1500-byte DF packet do not", arguments: MeasureSupport.latencyPairs(.overlay))
    func carriesExactlyItsMTU(pair: HostPair) async throws {
        try await withTranscript {
            let fleet = try CurrentDeployment.runContext().fleet
            let probe = PathMTUProbe(fleet: fleet, options: try await MeasureSupport.options())
            let endpoints = try Self.endpoints(pair)
            let mtu = try #require(await probe.shell.pathMTU(from: endpoints.source, to: endpoints.targetAddress))
            let parent = try #require(await probe.parentInterface(for: endpoints), "no underlay interface on \(pair.source)")
            // VXLAN adds 50 bytes: an overlay MTU above the underlay's minus 50 black-holes full-sized packets.
            #expect(mtu <= parent.mtu - 50, "overlay MTU \(mtu) over \(parent.name) \(parent.mtu): VXLAN needs 50 bytes")
            let atMTU = try await probe.ping(payload: mtu - DFPing.headerBytes, between: endpoints)
            let oneMore = try await probe.ping(payload: mtu - DFPing.headerBytes + 1, between: endpoints)
            let fullSized = try await probe.ping(payload: Self.fullSizedPayload, between: endpoints)
            Attachment.record(
                [atMTU, oneMore, fullSized].map { "\($0.packetBytes) bytes DF: \($0.outcome) — \($0.evidence)" }.joined(separator: "\n") + "\n",
                named: "df-pings.txt")
            #expect(atMTU.crossed, "a \(atMTU.packetBytes)-byte DF packet did not cross: \(atMTU.evidence)")
            #expect(!oneMore.crossed, "a \(oneMore.packetBytes)-byte DF packet crossed an overlay of MTU \(mtu): \(oneMore.evidence)")
            #expect(!fullSized.crossed, "a 1500-byte DF packet crossed the overlay: \(fullSized.evidence)")
            // Refused at the sender with the overlay's MTU, so the sender learns it: not dropped on the way.
            #expect(fullSized.outcome == .tooLargeLocally(mtu: mtu), "1500-byte DF packet: \(fullSized.evidence)")
        }
    }

    @Test("a TCP connection across overlay moves bulk data (no black hole): 8 MiB arrive in full", arguments: MeasureSupport.latencyPairs(.overlay))
    func movesBulkData(pair: HostPair) async throws {
        try await withTranscript {
            let transfer = BulkTransfer(fleet: try CurrentDeployment.runContext().fleet)
            let started = ContinuousClock.now
            let result = try await transfer.fetch(bytes: Self.bulkBytes, between: try Self.endpoints(pair))
            let elapsed = ContinuousClock.now - started
            Attachment.record("\(result.bodyBytes) body bytes of \(result.contentLength.map(String.init) ?? "?") announced in \(elapsed)", named: "bulk.txt")
            #expect(result.contentLength == Self.bulkBytes, "announced \(String(describing: result.contentLength))")
            #expect(result.complete, "\(result.bodyBytes) of \(Self.bulkBytes) bytes arrived")
        }
    }
}
}
