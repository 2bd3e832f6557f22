import Foundation
import Yams

/// Reads typed values out of a composed Yams `Node` tree, turning every problem into an
/// ``InputError`` that points at the offending node (`file:line:column`).
///
/// Kept internal: the public surface of the inventory layer is ``InventoryLoader``.
struct YAMLReader: Sendable {
    /// The file name used in errors.
    let file: String

    /// An error located at `node` (or at the start of the file when the node has no mark).
    func error(at node: Node?, _ message: String) -> InputError {
        let mark = node?.mark
        return InputError(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1, message)
    }

    /// An error located at `mark`.
    func error(at mark: Mark?, _ message: String) -> InputError {
        InputError(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1, message)
    }

    /// A short description of what a node is, for "expected X, got Y" messages.
    static func describe(_ node: Node) -> String {
        switch node {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        case .scalar(let scalar):
            if scalar.style == .plain || scalar.style == .any {
                switch Self.tagName(node) {
                case .null: return "an empty value"
                case .int: return "the integer \(scalar.string)"
                case .float: return "the number \(scalar.string)"
                case .bool: return "the boolean \(scalar.string)"
                default: break
                }
            }
            return "the string '\(scalar.string)'"
        }
    }

    /// The resolved YAML type of a node (`int`, `str`, `null`, …).
    static func tagName(_ node: Node) -> Tag.Name { Resolver.default.resolveTag(of: node) }

    static func isNull(_ node: Node) -> Bool {
        guard case .scalar(let scalar) = node else { return false }
        return (scalar.style == .plain || scalar.style == .any) && Self.tagName(node) == .null
    }

    // MARK: Mappings

    /// The key/value pairs of a mapping node, keys as strings; checks keys against `allowed`.
    ///
    /// - Parameters:
    ///   - context: names the mapping in messages, e.g. `"host 'h2'"` or `"'measurement'"`.
    func mapping(_ node: Node, context: String, allowed: [String]) throws -> Fields {
        guard case .mapping(let mapping) = node else {
            throw error(at: node, "\(context) must be a mapping of keys to values, got \(Self.describe(node))")
        }
        var fields = Fields(node: node, context: context)
        for (keyNode, valueNode) in mapping {
            guard case .scalar(let keyScalar) = keyNode else {
                throw error(at: keyNode, "keys in \(context) must be plain words, got \(Self.describe(keyNode))")
            }
            let key = keyScalar.string
            guard allowed.contains(key) else {
                var message = "unknown key '\(key)' in \(context)"
                if let suggestion = Self.suggestion(for: key, among: allowed) {
                    message += " (did you mean '\(suggestion)'?)"
                }
                message += "; allowed keys: \(allowed.joined(separator: ", "))"
                throw error(at: keyNode, message)
            }
            if let first = fields.keys[key] {
                // Yams already rejects duplicate keys; kept as a safety net.
                throw error(at: keyNode, "key '\(key)' appears twice in \(context) (first at line \(first.mark?.line ?? 0)); keep one")
            }
            fields.keys[key] = keyNode
            fields.values[key] = valueNode
        }
        return fields
    }

    /// The closest allowed key within a small edit distance, for "did you mean" hints.
    static func suggestion(for key: String, among allowed: [String]) -> String? {
        let lower = key.lowercased()
        var best: (String, Int)?
        for candidate in allowed {
            let distance = editDistance(lower, candidate)
            let limit = max(1, min(3, candidate.count / 3))
            if distance <= limit, best == nil || distance < best!.1 { best = (candidate, distance) }
        }
        if best == nil {
            // A key written with dashes or in camelCase: `ssh-alias`, `sshAlias`.
            let normalized = lower.replacingOccurrences(of: "-", with: "").replacingOccurrences(of: "_", with: "")
            best = allowed.first { $0.replacingOccurrences(of: "_", with: "") == normalized }.map { ($0, 0) }
        }
        return best?.0
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }

    // MARK: Scalars

    /// A non-empty string value. Plain numbers and booleans are accepted as their text.
    func string(_ node: Node, key: String, context: String) throws -> String {
        guard case .scalar(let scalar) = node, !Self.isNull(node) else {
            throw error(at: node, "'\(key)' in \(context) must be a string, got \(Self.describe(node))")
        }
        let value = scalar.string.trimmingCharacters(in: .whitespaces)
        guard !value.isEmpty else {
            throw error(at: node, "'\(key)' in \(context) must not be empty")
        }
        return value
    }

    /// An integer in `range`. Quoted numbers are rejected: the file should say what it means.
    func int(_ node: Node, key: String, context: String, range: ClosedRange<Int>) throws -> Int {
        guard case .scalar(let scalar) = node, scalar.style == .plain || scalar.style == .any,
            Self.tagName(node) == .int, let value = Int(scalar.string.replacingOccurrences(of: "_", with: ""))
        else {
            var message = "'\(key)' in \(context) must be an integer from \(range.lowerBound) to \(range.upperBound), got \(Self.describe(node))"
            if case .scalar(let scalar) = node, scalar.style != .plain, Int(scalar.string) != nil {
                message += "; remove the quotes"
            }
            throw error(at: node, message)
        }
        guard range.contains(value) else {
            throw error(at: node, "'\(key)' in \(context) must be from \(range.lowerBound) to \(range.upperBound), got \(value)")
        }
        return value
    }

    /// A plain (unquoted) integer or decimal number.
    func number(_ node: Node, key: String, context: String) throws -> Double {
        guard case .scalar(let scalar) = node, scalar.style == .plain || scalar.style == .any,
            Self.tagName(node) == .int || Self.tagName(node) == .float,
            let value = Double(scalar.string.replacingOccurrences(of: "_", with: "")), value.isFinite
        else {
            throw error(at: node, "'\(key)' in \(context) must be a number, got \(Self.describe(node))")
        }
        return value
    }

    /// One string or a list of strings, each with its node.
    func stringList(_ node: Node, key: String, context: String) throws -> [(String, Node)] {
        if case .sequence(let sequence) = node {
            return try sequence.map { try (string($0, key: key, context: context), $0) }
        }
        guard case .scalar = node, !Self.isNull(node) else {
            throw error(at: node, "'\(key)' in \(context) must be a string or a list of strings, got \(Self.describe(node))")
        }
        return [(try string(node, key: key, context: context), node)]
    }
}

/// The checked keys of one YAML mapping, with their key and value nodes.
struct Fields {
    /// The mapping node itself, where "missing key" errors point.
    let node: Node
    let context: String
    var keys: [String: Node] = [:]
    var values: [String: Node] = [:]

    subscript(key: String) -> Node? { values[key] }
}

extension Fields {
    /// The value of a required key, or an error at the mapping naming the key.
    func required(_ key: String, reader: YAMLReader, hint: String = "") throws -> Node {
        guard let value = values[key] else {
            throw reader.error(at: node, "\(context) is missing required key '\(key)'\(hint)")
        }
        return value
    }
}
