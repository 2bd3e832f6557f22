import Foundation
import Testing

@testable import CrossnetSuites
import Crossnet

/// `swift test` runs the lab suites from the CrossnetSuites library (the same suites
/// `crossnet run` runs in its own process). These checks keep that honest.
struct SuiteInventoryTests {
    /// When CROSSNET_INVENTORY names an inventory that does not load, every lab suite would be
    /// skipped and the run would pass: this test fails instead, with the loader's message.
    @Test("the inventory named by CROSSNET_INVENTORY loads")
    func inventoryLoads() throws {
        guard let path = ProcessInfo.processInfo.environment["CROSSNET_INVENTORY"], !path.isEmpty else { return }
        switch SuiteInventory.loaded {
        case .failure(let error): Issue.record("CROSSNET_INVENTORY=\(path) does not load: \(error)")
        case nil: Issue.record("CROSSNET_INVENTORY=\(path) was not read")
        case .success(let inventory): #expect(!inventory.hosts.isEmpty)
        }
    }

    @Test("the driver suites check exactly the catalogue's claims")
    func suitesUseTheCatalogue() {
        for driver in DriverID.allCases {
            let claims = SuiteClaims.claims(driver)
            #expect(Set(claims).isSubset(of: Set(ClaimCatalogue.claims(for: driver))))
            if SuiteInventory.hostNames.count >= 2 { #expect(claims == ClaimCatalogue.claims(for: driver)) }
        }
    }
}
