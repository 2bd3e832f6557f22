import Foundation

/// Whether an inventory describes a virtual lab that `crossnet lab up` made — the only place
/// self-tests may change hosts (tc qdiscs, links down, a simulated user swarm).
public enum VirtualLabOwnership {
    /// `true` when `inventory` carries `virtual_lab: ID` and the lab state next to it
    /// (`state.json`, written by `crossnet lab up`) is up and has that id. Never guessed from
    /// interface names or addresses.
    public static func isCrossnetLab(_ inventory: Inventory) -> Bool {
        guard let id = inventory.virtualLab, let path = inventory.sourcePath else { return false }
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        guard let state = LabState.load(directory: folder) else { return false }
        return state.id == id && state.phase == "up"
    }
}
