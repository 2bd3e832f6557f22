/// A failure of the SSH transport: names the host, its address, what failed and what to do.
///
/// Reads like `h2 (198.18.0.12:22): host key mismatch: server presents SHA256:…, known_hosts
/// (/path) has SHA256:… — if the host was reinstalled, remove its line with `ssh-keygen -R …``.
public struct SSHError: CrossnetError, Equatable {
    /// What kind of failure this is, with the details tests and callers may match on.
    public enum Kind: Sendable, Equatable {
        /// A libssh call failed; `function` is the C function's name.
        case libssh(function: String, code: Int32)
        /// The server's host key differs from the one recorded in known_hosts.
        case hostKeyMismatch(serverFingerprint: String, recordedFingerprint: String?)
        /// The server is not in known_hosts and new keys are not accepted.
        case unknownHostKey(serverFingerprint: String)
        /// A private key file is readable by group or others.
        case unsafeKeyFile(path: String, mode: UInt16)
        /// The server accepted none of the credentials.
        case authenticationFailed(triedKeys: [String])
        /// The connection broke; no further commands can run on this session.
        case connectionLost
        /// The session was closed by ``SSHSession/close()``.
        case sessionClosed
        /// The channel was closed (locally or by the server).
        case channelClosed
        /// The connection was lost and reconnecting failed `attempts` times in a row; calls fail
        /// at once until the next attempt is due (backoff).
        case hostUnreachable(attempts: Int)
        /// An operation passed its deadline.
        case timeout(operation: String, elapsed: Duration)
        /// A local file (input or key) could not be read.
        case localFile(path: String)
    }

    /// The inventory name of the host.
    public var host: String
    /// `address:port` of the host.
    public var endpoint: String
    /// The kind of failure.
    public var kind: Kind
    /// What failed, in words.
    public var message: String
    /// What the user can do about it.
    public var hint: String?

    /// Creates an error for `endpoint`.
    public init(_ endpoint: SSHEndpoint, _ kind: Kind, _ message: String, hint: String? = nil) {
        self.host = endpoint.hostName
        self.endpoint = endpoint.addressAndPort
        self.kind = kind
        self.message = message
        self.hint = hint
    }

    /// Key-file permission problems are the user's to fix before anything runs.
    public var isInputError: Bool {
        switch kind {
        case .unsafeKeyFile, .localFile: return true
        default: return false
        }
    }

    public var description: String {
        var text = "\(host) (\(endpoint)): \(message)"
        if let hint { text += " — \(hint)" }
        return text
    }
}

/// Connecting to several hosts failed for some of them; lists each failing host.
public struct SSHConnectionPoolError: CrossnetError {
    /// One host that could not be connected.
    public struct Failure: Sendable {
        /// Inventory name of the host.
        public var host: String
        /// Why it failed.
        public var error: any Error & Sendable
    }

    /// The failing hosts, in inventory order.
    public var failures: [Failure]
    /// How many hosts were attempted.
    public var attempted: Int

    public var isInputError: Bool {
        failures.allSatisfy { ($0.error as? any CrossnetError)?.isInputError ?? false }
    }

    public var description: String {
        var text = "could not connect to \(failures.count) of \(attempted) host\(attempted == 1 ? "" : "s"):"
        for failure in failures {
            text += "\n  - \(failure.error)"
        }
        return text
    }
}
