import Foundation

/// Reads the captured tool outputs under `Fixtures/`.
enum MeasureFixtures {
    static func data(_ path: String) throws -> Data {
        let url = try requireURL(path)
        return try Data(contentsOf: url)
    }

    static func text(_ path: String) throws -> String { String(decoding: try data(path), as: UTF8.self) }

    private static func `requireURL`(_ path: String) throws -> URL {
        guard let base = Bundle.module.resourceURL else { throw CocoaError(.fileNoSuchFile) }
        return base.appendingPathComponent("Fixtures").appendingPathComponent(path)
    }
}
