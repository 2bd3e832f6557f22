import Foundation

/// A Docker resource Crossnet created and must remove.
public struct CreatedResource: Sendable, Equatable {
    public enum Kind: String, Sendable { case container, network, service, swarm }
    public var host: String
    public var kind: Kind
    public var id: String
    /// A swarm object (a service, a swarm-scoped network): when the run created the swarm itself,
    /// leaving it removes these on every node, so teardown does not remove them one by one.
    public var inSwarm: Bool

    public init(host: String, kind: Kind, id: String, inSwarm: Bool = false) {
        self.host = host
        self.kind = kind
        self.id = id
        self.inSwarm = inSwarm
    }
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
