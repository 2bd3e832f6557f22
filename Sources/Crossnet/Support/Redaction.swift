import Foundation
import Logging

/// Removes secrets from text before it is printed, logged or stored.
///
/// Two kinds of secret can reach Crossnet's output: credentials written into a URL
/// (`http://user:password@host/…`, given to `--push`) and Docker swarm join tokens
/// (`SWMTKN-1-…`), which let anyone who holds one join the swarm. Every path that turns a URL or
/// a remote answer into a message, a log line, a transcript or a report goes through here.
public enum Redaction {
    /// What replaces a secret.
    public static let mask = "REDACTED"

    /// `url` with its user information replaced: `http://user:pass@host/x` → `http://REDACTED@host/x`.
    ///
    /// Text that is not a URL with user information comes back unchanged.
    public static func url(_ url: String) -> String { text(url) }

    /// `text` with every URL's user information and every swarm join token masked.
    public static func text(_ text: String) -> String {
        guard text.contains("@") || text.contains("SWMTKN-") else { return text }
        var result = text
        result = result.replacingOccurrences(
            of: #"([A-Za-z][A-Za-z0-9+.\-]*://)[^/\s@"'<>]+@"#, with: "$1\(mask)@", options: .regularExpression)
        result = result.replacingOccurrences(
            of: #"SWMTKN-[0-9]+-[A-Za-z0-9]+(-[A-Za-z0-9]+)*"#, with: "SWMTKN-\(mask)", options: .regularExpression)
        return result
    }

    /// `true` when `url` carries user information (`user@` or `user:password@`) before its host.
    public static func hasCredentials(_ url: String) -> Bool { Redaction.url(url) != url }
}

/// A log handler that masks secrets (``Redaction``) in every message and metadata value before
/// handing the record to `wrapped`.
public struct RedactingLogHandler: LogHandler {
    /// The handler that writes the records.
    public var wrapped: any LogHandler

    public init(wrapping wrapped: any LogHandler) { self.wrapped = wrapped }

    public var logLevel: Logger.Level {
        get { wrapped.logLevel }
        set { wrapped.logLevel = newValue }
    }

    public var metadata: Logger.Metadata {
        get { wrapped.metadata }
        set { wrapped.metadata = newValue }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { wrapped[metadataKey: key] }
        set { wrapped[metadataKey: key] = newValue }
    }

    public func log(event: LogEvent) {
        var event = event
        event.message = Logger.Message(stringLiteral: Redaction.text(event.message.description))
        event.metadata = event.metadata?.mapValues { .string(Redaction.text($0.description)) }
        wrapped.log(event: event)
    }
}
