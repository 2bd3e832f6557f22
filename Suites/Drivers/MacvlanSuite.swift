import Testing

import Crossnet

/// macvlan on each host's physical interface: addresses on the physical subnet, other hosts
/// reached directly, the own parent host not (kernel behaviour).
@Suite("macvlan", .tags(.lab, .macvlan), .needsInventory, .needsMacvlan, .timeLimit(.minutes(15)), .deployed(.macvlan))
struct MacvlanSuite {
    @Test("macvlan claims hold on every host and pair", arguments: SuiteClaims.claims(.macvlan))
    func claim(_ claim: Claim) async throws {
        try await SuiteClaims.check(claim)
    }
}
