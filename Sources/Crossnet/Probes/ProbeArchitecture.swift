/// A CPU architecture the probe image is built for, named as Docker and Debian name it.
public enum ProbeArchitecture: String, Sendable, Codable, CaseIterable, Comparable {
    case amd64
    case arm64

    /// Maps what the Engine's `/info` (`Architecture`) or `uname -m` reports; `nil` when Crossnet
    /// has no probe image for it.
    public init?(machine: String) {
        switch machine.lowercased() {
        case "x86_64", "amd64": self = .amd64
        case "aarch64", "arm64", "armv8", "armv8l": self = .arm64
        default: return nil
        }
    }

    /// The architecture of this machine (the controller).
    public static var native: ProbeArchitecture {
        #if arch(arm64)
            return .arm64
        #else
            return .amd64
        #endif
    }

    /// Debian's multiarch triplet: where the architecture's libraries live.
    var triplet: String {
        switch self {
        case .amd64: "x86_64-linux-gnu"
        case .arm64: "aarch64-linux-gnu"
        }
    }

    /// What `file` says of an ELF binary of this architecture.
    public var elfMachine: String {
        switch self {
        case .amd64: "x86-64"
        case .arm64: "ARM aarch64"
        }
    }

    /// The list of supported architectures, for messages.
    public static var supportedList: String { allCases.map(\.rawValue).joined(separator: " and ") }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}
