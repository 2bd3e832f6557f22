import Testing

import Crossnet

/// An attachable overlay across the swarm: `ping web` by service name from another host.
@Suite("overlay", .tags(.lab, .overlay), .needsInventory, .needsTwoHosts, .timeLimit(.minutes(15)), .deployed(.overlay))
struct OverlaySuite {
    @Test("overlay claims hold on every host and pair", arguments: SuiteClaims.claims(.overlay))
    func claim(_ claim: Claim) async throws {
        try await SuiteClaims.check(claim)
    }
}
