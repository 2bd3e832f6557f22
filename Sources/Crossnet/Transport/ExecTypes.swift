import Foundation

/// What a remote command reads on standard input.
public enum ExecInput: Sendable {
    /// These bytes.
    case data(Data)
    /// The contents of this local file, streamed in chunks.
    case file(URL)
}

/// Which output stream of a remote command a chunk came from.
public enum ExecStream: Sendable, Equatable {
    /// Standard output.
    case stdout
    /// Standard error.
    case stderr
}
