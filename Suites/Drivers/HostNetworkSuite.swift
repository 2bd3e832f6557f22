import Testing

import Crossnet

/// The host's own network stack, reachable at the host address with no port mapping.
@Suite("host network", .tags(.lab, .hostNetwork), .needsInventory, .timeLimit(.minutes(15)), .deployed(.host))
struct HostNetworkSuite {
    @Test("host network claims hold on every host and pair", arguments: SuiteClaims.claims(.host))
    func claim(_ claim: Claim) async throws {
        try await SuiteClaims.check(claim)
    }
}
