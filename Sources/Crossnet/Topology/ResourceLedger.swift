import Foundation

/// A Docker resource Crossnet created and must remove.
public struct CreatedResource: Sendable, Equatable {
    public enum Kind: String, Sendable { case container, network, service, swarm }
    public var host: String
    public var kind: Kind
    public var id: String
}

/// Records what a run created, in order, so teardown removes it in reverse order even when a
/// test failed half-way.
public final class ResourceLedger: @unchecked Sendable {
    private let lock = NSLock()
    private var resources: [CreatedResource] = []

    public init() {}

    public func record(_ resource: CreatedResource) {
        lock.lock()
        resources.append(resource)
        lock.unlock()
    }

    /// Removes and returns everything recorded, newest first.
    public func drainNewestFirst() -> [CreatedResource] {
        lock.lock()
        defer { lock.unlock() }
        let drained = resources.reversed()
        resources.removeAll()
        return Array(drained)
    }

    public var isEmpty: Bool {
        lock.lock()
        defer { lock.unlock() }
        return resources.isEmpty
    }
}
