import Testing

import Crossnet

/// The Compose model: project network `<project>_default`, services by service name.
@Suite("compose", .tags(.lab, .compose), .needsInventory, .timeLimit(.minutes(15)), .deployed(.compose))
struct ComposeSuite {
    @Test("compose claims hold on every host", arguments: SuiteClaims.claims(.compose))
    func claim(_ claim: Claim) async throws {
        try await SuiteClaims.check(claim)
    }
}
