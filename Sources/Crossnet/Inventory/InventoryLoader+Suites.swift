import Foundation

/// Where the lab suites' inventory came from.
public enum SuiteInventorySource: Sendable, Equatable {
    /// The path in `CROSSNET_INVENTORY`.
    case environment(path: String)
    /// The virtual lab's `.lab/inventory.yaml`, found in the working directory.
    case virtualLab(path: String)

    /// The inventory file's path.
    public var path: String {
        switch self {
        case .environment(let path), .virtualLab(let path): path
        }
    }
}

/// The outcome of looking for the lab suites' inventory.
///
/// Only ``absent(reason:)`` lets the lab suites be skipped: an inventory that was asked for and
/// does not load makes the test run fail (``failed(source:error:)``), so a typo in
/// `CROSSNET_INVENTORY` never turns into a green run in which nothing was tested.
public enum SuiteInventoryResult: Sendable {
    /// The inventory loaded.
    case loaded(Inventory, source: SuiteInventorySource)
    /// No inventory was asked for: `CROSSNET_INVENTORY` is unset or empty and there is no
    /// virtual lab inventory. The reason says how to provide one.
    case absent(reason: String)
    /// An inventory was asked for and does not load; `error` says where and what to fix.
    case failed(source: SuiteInventorySource, error: any CrossnetError)

    /// The inventory, when it loaded.
    public var inventory: Inventory? {
        if case .loaded(let inventory, _) = self { return inventory }
        return nil
    }

    /// `true` when the suites must fail rather than skip.
    public var mustFail: Bool {
        if case .failed = self { return true }
        return false
    }

    /// One line for a skip or failure comment: what happened and what to do.
    public var reason: String {
        switch self {
        case .loaded(let inventory, let source):
            "inventory \(source.path) loaded: \(inventory.hosts.count) hosts"
        case .absent(let reason):
            reason
        case .failed(.environment(let path), let error):
            "CROSSNET_INVENTORY=\(path) does not load, so no lab suite can run: \(error.description)"
        case .failed(.virtualLab(let path), let error):
            "the virtual lab inventory \(path) does not load (run `crossnet lab down` and `lab up` again): \(error.description)"
        }
    }
}

extension InventoryLoader {
    /// The name of the environment variable naming the suites' inventory.
    public static let suiteInventoryVariable = "CROSSNET_INVENTORY"

    /// Finds and loads the inventory for the lab suites: `CROSSNET_INVENTORY` when set and not
    /// empty, else `.lab/inventory.yaml` under `currentDirectory` when that file exists.
    ///
    /// - Parameters:
    ///   - environment: the process environment (pass `ProcessInfo.processInfo.environment`).
    ///   - currentDirectory: where `.lab/` and a relative `CROSSNET_INVENTORY` are looked up.
    ///   - homeDirectory: for `~` in the inventory and the default ssh config; default `$HOME`.
    public static func loadForSuites(
        environment: [String: String], currentDirectory: String = FileManager.default.currentDirectoryPath,
        homeDirectory: String? = nil
    ) -> SuiteInventoryResult {
        let source: SuiteInventorySource
        if let value = environment[suiteInventoryVariable], !value.trimmingCharacters(in: .whitespaces).isEmpty {
            source = .environment(path: absolutePath(value, base: currentDirectory))
        } else {
            let lab = absolutePath(".lab/inventory.yaml", base: currentDirectory)
            guard FileManager.default.fileExists(atPath: lab) else {
                return .absent(reason: "no inventory: set \(suiteInventoryVariable) or run `crossnet lab up` first")
            }
            source = .virtualLab(path: lab)
        }
        do {
            return .loaded(try load(path: source.path, homeDirectory: homeDirectory), source: source)
        } catch let error as any CrossnetError {
            return .failed(source: source, error: error)
        } catch {
            return .failed(source: source, error: InputError(file: source.path, "cannot load the inventory: \(error)"))
        }
    }
}
