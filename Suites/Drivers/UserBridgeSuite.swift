import Testing

import Crossnet

/// A user-defined bridge: reach by name through Docker's embedded DNS.
@Suite("user-defined bridge", .tags(.lab, .userBridge), .needsInventory, .timeLimit(.minutes(15)), .deployed(.userBridge))
struct UserBridgeSuite {
    @Test("user-defined bridge claims hold on every host", arguments: SuiteClaims.claims(.userBridge))
    func claim(_ claim: Claim) async throws {
        try await SuiteClaims.check(claim)
    }
}
