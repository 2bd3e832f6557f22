import Testing

import Crossnet

/// Docker's default bridge: reach by IP, not by name (claims in ``ClaimCatalogue``).
@Suite("default bridge", .tags(.lab, .bridge), .needsInventory, .timeLimit(.minutes(15)), .deployed(.bridge))
struct DefaultBridgeSuite {
    @Test("default bridge claims hold on every host", arguments: SuiteClaims.claims(.bridge))
    func claim(_ claim: Claim) async throws {
        try await SuiteClaims.check(claim)
    }
}
