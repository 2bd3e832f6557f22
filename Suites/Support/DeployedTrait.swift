import Foundation
import Testing
import _Testing_Foundation

import Crossnet

/// The deployment of the suite being run, set by the ``DeployedTrait`` around the suite.
enum CurrentDeployment {
    @TaskLocal static var value: Deployment?
    @TaskLocal static var context: RunContext?

    /// The deployment, or a recorded failure when the suite's setup did not produce one.
    static func get() throws -> Deployment {
        try #require(value, "the topology was not deployed (see the suite's setup failure)")
    }

    static func runContext() throws -> RunContext {
        try #require(context, "no run context")
    }
}

/// Deploys a driver's topology once before a suite's tests and tears it down after them, even
/// when a test fails.
struct DeployedTrait: SuiteTrait, TestScoping {
    let driver: DriverID
    var isRecursive: Bool { false }

    func provideScope(
        for test: Testing.Test, testCase: Testing.Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        let environment = try await SuiteEnvironment.shared.get()
        let context = RunContext(runID: environment.runID, fleet: environment.fleet, probeImage: environment.image.tag)
        let driver = driver
        do {
            let hosts = await Self.answeringHosts(environment.fleet, driver: driver)
            let deployment = try await TranscriptScope.$current.withValue("\(driver.rawValue) deploy") {
                try await TopologyDeployer(context: context).deploy(driver, hosts: hosts)
            }
            try await TranscriptScope.$current.withValue(driver.rawValue) {
                try await CurrentDeployment.$context.withValue(context) {
                    try await CurrentDeployment.$value.withValue(deployment) { try await function() }
                }
            }
        } catch {
            await Self.tearDown(driver, context)
            throw error
        }
        let problems = await Self.tearDown(driver, context)
        if !problems.isEmpty {
            Issue.record("teardown left problems: \(problems.joined(separator: "; "))")
        }
    }

    /// The hosts whose SSH session and Engine answer within 5 s (asked at once). A host that does
    /// not is named in a recorded issue and left out of this driver's deployment, so the other
    /// hosts' tests go on.
    static func answeringHosts(_ fleet: HostFleet, driver: DriverID) async -> [String] {
        let answers = await withTaskGroup(of: (String, String?).self) { group in
            for host in fleet.hostNames {
                group.addTask {
                    do {
                        _ = try await fleet.engine(host).call("GET", "/_ping", cli: "docker system info (reachability)", timeout: .seconds(5))
                        return (host, nil)
                    } catch {
                        return (host, "\(error)")
                    }
                }
            }
            var answers: [String: String?] = [:]
            for await (host, problem) in group { answers[host] = problem }
            return answers
        }
        var hosts: [String] = []
        for host in fleet.hostNames {
            if let problem = answers[host] ?? nil {
                Issue.record("\(host) is left out of the \(driver.rawValue) deployment: its Engine did not answer within 5 s (\(problem)); the other hosts' tests go on")
            } else {
                hosts.append(host)
            }
        }
        return hosts
    }

    /// Tears down everything the deployment made (also after a failure), recorded as the
    /// driver's teardown in the transcript.
    @discardableResult
    static func tearDown(_ driver: DriverID, _ context: RunContext) async -> [String] {
        // An unstructured task: a cancelled run (Ctrl-C, --timeout) still tears down everything.
        let problems = await Task {
            await TranscriptScope.$current.withValue("\(driver.rawValue) teardown") { await Teardown.run(context) }
        }.value
        await SuiteEnvironment.shared.flushTranscript()
        return problems
    }
}

extension Trait where Self == DeployedTrait {
    /// Deploys `driver` around the suite.
    static func deployed(_ driver: DriverID) -> Self { DeployedTrait(driver: driver) }
}

/// Skips a suite when there is no inventory to run it on.
extension Trait where Self == ConditionTrait {
    static var needsInventory: Self { .enabled(if: SuiteInventory.isAvailable, SuiteInventory.unavailableReason) }
    static var needsTwoHosts: Self {
        .enabled(if: SuiteInventory.hostNames.count >= 2, "needs at least two hosts in the inventory")
    }
    /// Self-tests (tc accuracy, unplugging a host, a simulated user swarm) run only on a virtual
    /// lab Crossnet made, never against another inventory.
    static var needsCrossnetLab: Self {
        .enabled(if: SuiteInventory.isCrossnetLab, "self-test: runs only on a virtual lab made by `crossnet lab up` (inventory marked virtual_lab), never on another inventory")
    }
    static var needsMacvlan: Self {
        .enabled(if: SuiteInventory.hasMacvlan, "the inventory has no macvlan parent interface and ranges for every host")
    }
}

extension Tag {
    @Tag static var lab: Self
    @Tag static var bridge: Self
    @Tag static var userBridge: Self
    @Tag static var compose: Self
    @Tag static var hostNetwork: Self
    @Tag static var noneNetwork: Self
    @Tag static var overlay: Self
    @Tag static var macvlan: Self
}

/// Asserts a reachability result and attaches its evidence when it fails.
func expectResult(_ result: ReachabilityResult, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(result.passed, "\(result)", sourceLocation: sourceLocation)
}

/// Attaches the transcript lines recorded while `body` ran to the current test.
func withTranscript<T>(_ body: () async throws -> T) async throws -> T {
    let context = try CurrentDeployment.runContext()
    let start = context.fleet.transcript.count
    defer {
        let lines = context.fleet.transcript.entries(since: start).map(\.line).joined(separator: "\n")
        if !lines.isEmpty { Attachment.record(lines, named: "transcript.log") }
    }
    return try await body()
}
