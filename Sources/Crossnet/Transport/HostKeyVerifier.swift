import CLibSSH
import Foundation
import Logging

/// Verifies the server's host key against the endpoint's known_hosts file with libssh's
/// knownhosts API; records unknown keys only when asked to.
enum HostKeyVerifier {
    static func verify(_ call: LibSSHCall, options: SSHOptions, logger: Logger) throws {
        let endpoint = call.endpoint
        let session = call.session
        let file = endpoint.knownHostsFile
        var serverKey: OpaquePointer?
        try call.check(ssh_get_server_publickey(session, &serverKey), "ssh_get_server_publickey")
        defer { ssh_key_free(serverKey) }
        let serverFingerprint = LibSSHKey.sha256Fingerprint(serverKey) ?? "(unknown fingerprint)"

        let state = ssh_session_is_known_server(session)
        switch state {
        case SSH_KNOWN_HOSTS_OK:
            logger.debug("host key verified", metadata: ["fingerprint": "\(serverFingerprint)"])

        case SSH_KNOWN_HOSTS_CHANGED, SSH_KNOWN_HOSTS_OTHER:
            var entry: UnsafeMutablePointer<ssh_knownhosts_entry>?
            _ = ssh_session_get_known_hosts_entry(session, &entry)  // fills `entry` only for a same-type key
            // libssh 0.10 fills `entry` only for a matching key, so fall back to reading the file.
            let recorded = entry.flatMap { LibSSHKey.sha256Fingerprint($0.pointee.publickey) }
                ?? recordedFingerprints(in: file, for: endpoint).first
            if entry != nil { ssh_knownhosts_entry_free(entry) }
            let has = recorded.map { "has \($0)" } ?? "has a key of another type for it"
            throw SSHError(
                endpoint,
                .hostKeyMismatch(serverFingerprint: serverFingerprint, recordedFingerprint: recorded),
                "host key mismatch: server presents \(serverFingerprint), known_hosts (\(file)) \(has)",
                hint: "if the host was reinstalled, remove its line with "
                    + "`ssh-keygen -R '\(endpoint.knownHostsName)' -f \(file)` and run again with "
                    + "`--accept-new-host-keys`; otherwise someone may be intercepting the connection")

        case SSH_KNOWN_HOSTS_UNKNOWN, SSH_KNOWN_HOSTS_NOT_FOUND:
            guard options.acceptNewHostKeys else {
                throw SSHError(
                    endpoint, .unknownHostKey(serverFingerprint: serverFingerprint),
                    "host key not in known_hosts (\(file)); server presents \(serverFingerprint)",
                    hint: "check the fingerprint on the host (`ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub`), "
                        + "then pass `--accept-new-host-keys` to record it")
            }
            let directory = (file as NSString).deletingLastPathComponent
            if !directory.isEmpty {
                try? FileManager.default.createDirectory(
                    atPath: directory, withIntermediateDirectories: true,
                    attributes: [.posixPermissions: 0o700])
            }
            try call.check(
                ssh_session_update_known_hosts(session), "ssh_session_update_known_hosts",
                context: "recording the host key in \(file)")
            logger.notice(
                "recorded new host key in known_hosts",
                metadata: ["fingerprint": "\(serverFingerprint)", "knownHosts": "\(file)"])

        default:  // SSH_KNOWN_HOSTS_ERROR
            throw call.error(state.rawValue, "ssh_session_is_known_server", context: "reading known_hosts \(file)")
        }
    }

    /// SHA256 fingerprints of the plain-text (unhashed) known_hosts entries for `endpoint`.
    static func recordedFingerprints(in file: String, for endpoint: SSHEndpoint) -> [String] {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { return [] }
        var fingerprints: [String] = []
        for line in text.split(whereSeparator: \.isNewline) {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            guard fields.count >= 3, !fields[0].hasPrefix("#"), !fields[0].hasPrefix("@") else { continue }
            let names = fields[0].split(separator: ",").map(String.init)
            guard names.contains(endpoint.knownHostsName) else { continue }
            var key: OpaquePointer?
            guard ssh_pki_import_pubkey_base64(fields[2], ssh_key_type_from_name(fields[1]), &key) == SSH_OK else {
                continue
            }
            if let fingerprint = LibSSHKey.sha256Fingerprint(key) { fingerprints.append(fingerprint) }
            ssh_key_free(key)
        }
        return fingerprints
    }
}
