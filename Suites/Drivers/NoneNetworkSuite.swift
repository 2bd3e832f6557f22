import Testing

import Crossnet

/// The none network: loopback only.
@Suite("none network", .tags(.lab, .noneNetwork), .needsInventory, .timeLimit(.minutes(15)), .deployed(.none))
struct NoneNetworkSuite {
    @Test("none network claims hold on every host and pair", arguments: SuiteClaims.claims(.none))
    func claim(_ claim: Claim) async throws {
        try await SuiteClaims.check(claim)
    }
}
