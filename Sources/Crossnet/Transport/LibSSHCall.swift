import CLibSSH
import Foundation

/// The single place libssh return codes are checked: a failing code becomes an ``SSHError`` naming
/// the C function and carrying `ssh_get_error`'s message.
struct LibSSHCall {
    let endpoint: SSHEndpoint
    let session: OpaquePointer

    /// The session's last error message from libssh.
    var lastError: String {
        guard let text = ssh_get_error(UnsafeMutableRawPointer(session)) else { return "unknown error" }
        let message = String(cString: text)
        return message.isEmpty ? "unknown error" : message
    }

    /// Returns `rc` when `accept(rc)` holds (by default `rc == SSH_OK`), throws otherwise.
    @discardableResult
    func check(
        _ rc: Int32, _ function: String, context: String? = nil, accept: (Int32) -> Bool = { $0 == SSH_OK }
    ) throws -> Int32 {
        if accept(rc) { return rc }
        throw error(rc, function, context: context)
    }

    /// The error ``check(_:_:context:accept:)`` throws for a failed call.
    func error(_ rc: Int32, _ function: String, context: String? = nil) -> SSHError {
        let what = context.map { "\($0): " } ?? ""
        return SSHError(
            endpoint, .libssh(function: function, code: rc),
            "\(what)\(function) failed (\(rc)): \(lastError)")
    }
}

/// Helpers around libssh public keys, kept C-only-internal.
enum LibSSHKey {
    /// `SHA256:<base64>` fingerprint of `key`, or `nil` when libssh cannot hash it.
    static func sha256Fingerprint(_ key: OpaquePointer?) -> String? {
        guard let key else { return nil }
        var hash: UnsafeMutablePointer<UInt8>?
        var length = 0
        guard ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &length) == SSH_OK, let hash
        else { return nil }
        defer {
            var owned: UnsafeMutablePointer<UInt8>? = hash
            ssh_clean_pubkey_hash(&owned)
        }
        guard let text = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, length) else { return nil }
        defer { ssh_string_free_char(text) }
        return String(cString: text)
    }
}
