import Foundation
import Testing

import Crossnet

/// The driver suites' claims, from ``ClaimCatalogue``: one parameterized test case per claim;
/// each case checks its claim on every host (or ordered pair of hosts) concurrently.
enum SuiteClaims {
    /// The claims of `driver` that apply to the inventory (pair claims need two hosts).
    static func claims(_ driver: DriverID) -> [Claim] {
        ClaimCatalogue.claims(for: driver).filter { $0.scope == .eachHost || SuiteInventory.hostNames.count >= 2 }
    }

    /// Checks `claim` on every host or pair at once against the suite's deployment, records the
    /// typed results, and expects each to hold.
    static func check(_ claim: Claim, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        try await withTranscript {
            let evaluator = ClaimEvaluator(context: try CurrentDeployment.runContext(), deployment: try CurrentDeployment.get())
            // The hosts the driver is deployed on (a host that did not answer is left out).
            let deployed = Set(evaluator.deployment.endpoints.map(\.host))
            let cases = ClaimCase.cases([claim], hosts: SuiteInventory.hostNames.filter(deployed.contains))
            let results = await withTaskGroup(of: (Int, ClaimResult).self) { group in
                for (index, claimCase) in cases.enumerated() {
                    group.addTask {
                        do {
                            return (index, try await evaluator.evaluate(claimCase))
                        } catch {
                            // The host did not answer: the case fails naming the host and the operation.
                            return (index, ClaimResult.unreachableHost(claimCase, error: error))
                        }
                    }
                }
                var results: [(Int, ClaimResult)] = []
                for await result in group { results.append(result) }
                return results.sorted { $0.0 < $1.0 }.map(\.1)
            }
            SuiteHost.recorder.record(results)
            for result in results {
                #expect(result.passed, "\(result)", sourceLocation: sourceLocation)
            }
        }
    }
}

extension Claim: CustomTestStringConvertible {
    public var testDescription: String { "\(id): \(statement)" }
}
