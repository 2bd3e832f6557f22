import Foundation
import Testing

@testable import Crossnet

/// `InventoryLoader.loadForSuites`: the lab suites skip only when no inventory was asked for.
@Suite(.tags(.inventory))
struct SuiteInventoryTests {
    /// A fresh folder to act as the working directory.
    func folder() throws -> String {
        let path = InventoryFixtures.root + "/suites-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test("CROSSNET_INVENTORY naming a missing file fails the suites, naming the variable and the path")
    func missingFile() throws {
        let cwd = try folder()
        let result = InventoryLoader.loadForSuites(
            environment: ["CROSSNET_INVENTORY": "nope.yaml"], currentDirectory: cwd, homeDirectory: InventoryFixtures.home)
        #expect(result.mustFail)
        #expect(result.inventory == nil)
        guard case .failed(.environment(let path), let error) = result else {
            Issue.record("expected .failed, got \(result)")
            return
        }
        #expect(path == cwd + "/nope.yaml")
        #expect(error.isInputError)
        #expect(result.reason.hasPrefix("CROSSNET_INVENTORY=\(cwd)/nope.yaml does not load"))
        #expect(result.reason.contains("does not exist"))
    }

    @Test("CROSSNET_INVENTORY naming a bad inventory fails the suites with file:line:column")
    func badInventory() throws {
        let cwd = try folder()
        try "hosts:\n  - name: h1\n    address: 198.18.0.11\nmeasurement: {udp_rate: 10000000000G}\n"
            .write(toFile: cwd + "/bad.yaml", atomically: true, encoding: .utf8)
        let result = InventoryLoader.loadForSuites(
            environment: ["CROSSNET_INVENTORY": cwd + "/bad.yaml"], currentDirectory: cwd,
            homeDirectory: InventoryFixtures.home)
        #expect(result.mustFail)
        let error = try #require({ if case .failed(_, let error) = result { return error as? InputError } else { return nil } }())
        #expect(error.line == 4)
        #expect(error.column == 25)
        #expect(result.reason.contains("bad.yaml:4:25: 'udp_rate' in 'measurement' must be at most 100G"))
    }

    @Test("No CROSSNET_INVENTORY and no virtual lab: absent, so the suites may skip")
    func absent() throws {
        for environment in [[:], ["CROSSNET_INVENTORY": ""], ["CROSSNET_INVENTORY": "  "]] {
            let result = InventoryLoader.loadForSuites(environment: environment, currentDirectory: try folder())
            #expect(!result.mustFail)
            guard case .absent(let reason) = result else {
                Issue.record("expected .absent, got \(result)")
                continue
            }
            #expect(reason == "no inventory: set CROSSNET_INVENTORY or run `crossnet lab up` first")
        }
    }

    @Test("A good CROSSNET_INVENTORY loads; without it the virtual lab's .lab/inventory.yaml is used")
    func loads() throws {
        let cwd = try folder()
        try FileManager.default.createDirectory(atPath: cwd + "/.lab", withIntermediateDirectories: true)
        try "hosts: [{name: h1, address: 198.18.0.11}]\n".write(toFile: cwd + "/.lab/inventory.yaml", atomically: true, encoding: .utf8)
        try "hosts: [{name: a, address: 198.18.0.21}, {name: b, address: 198.18.0.22}]\n"
            .write(toFile: cwd + "/two.yaml", atomically: true, encoding: .utf8)

        let explicit = InventoryLoader.loadForSuites(
            environment: ["CROSSNET_INVENTORY": "two.yaml"], currentDirectory: cwd, homeDirectory: InventoryFixtures.home)
        #expect(explicit.inventory?.hosts.map(\.name) == ["a", "b"])
        guard case .loaded(_, .environment(let path)) = explicit else {
            Issue.record("expected .loaded from the environment, got \(explicit)")
            return
        }
        #expect(path == cwd + "/two.yaml")

        let lab = InventoryLoader.loadForSuites(environment: [:], currentDirectory: cwd, homeDirectory: InventoryFixtures.home)
        #expect(lab.inventory?.hosts.map(\.name) == ["h1"])
        guard case .loaded(_, .virtualLab(let labPath)) = lab else {
            Issue.record("expected .loaded from the lab, got \(lab)")
            return
        }
        #expect(labPath == cwd + "/.lab/inventory.yaml")
    }

    @Test("A virtual lab inventory that no longer loads fails rather than skips")
    func brokenLab() throws {
        let cwd = try folder()
        try FileManager.default.createDirectory(atPath: cwd + "/.lab", withIntermediateDirectories: true)
        try "hosts: []\n".write(toFile: cwd + "/.lab/inventory.yaml", atomically: true, encoding: .utf8)
        let result = InventoryLoader.loadForSuites(environment: [:], currentDirectory: cwd, homeDirectory: InventoryFixtures.home)
        #expect(result.mustFail)
        #expect(result.reason.contains("the virtual lab inventory \(cwd)/.lab/inventory.yaml does not load"))
        #expect(result.reason.contains("'hosts' is empty"))
    }
}
