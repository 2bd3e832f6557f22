import CLibSSH
import Foundation
import Logging

/// Public-key authentication: ssh-agent first (when `SSH_AUTH_SOCK` is set), then each identity
/// file; without identity files, libssh's list (the ssh config's `IdentityFile` entries, then the
/// default keys). Key files readable by group or others are refused, like OpenSSH does.
enum SSHAuthenticator {
    static func authenticate(_ call: LibSSHCall, options: SSHOptions, logger: Logger) throws {
        let endpoint = call.endpoint
        let session = call.session
        var tried: [String] = []

        if let socket = ProcessInfo.processInfo.environment["SSH_AUTH_SOCK"], !socket.isEmpty {
            tried.append("ssh-agent")
            let rc = ssh_userauth_agent(session, nil)
            if rc == SSH_AUTH_SUCCESS.rawValue {
                logger.debug("authenticated with ssh-agent")
                return
            }
            if rc == SSH_AUTH_ERROR.rawValue {
                // An agent problem is not fatal: the identity files may still work.
                logger.warning("ssh-agent authentication failed", metadata: ["reason": "\(call.lastError)"])
            }
        }

        for path in endpoint.identityFiles {
            var info = stat()
            guard stat(path, &info) == 0 else {
                tried.append("\(path) (missing)")
                logger.warning("identity file not found", metadata: ["file": "\(path)"])
                continue
            }
            let mode = UInt16(info.st_mode & 0o777)
            if mode & 0o077 != 0 {
                throw SSHError(
                    endpoint, .unsafeKeyFile(path: path, mode: mode),
                    "private key \(path) is accessible by others (mode \(String(mode, radix: 8))); refusing to use it",
                    hint: "run `chmod 600 \(path)`")
            }
            guard let key = try importKey(path, call: call, options: options, logger: logger) else {
                tried.append("\(path) (could not be loaded)")
                continue
            }
            defer { ssh_key_free(key) }
            tried.append(path)
            let rc = ssh_userauth_publickey(session, nil, key)
            if rc == SSH_AUTH_SUCCESS.rawValue {
                logger.debug("authenticated with key", metadata: ["file": "\(path)"])
                return
            }
            try call.check(
                rc, "ssh_userauth_publickey", context: "authenticating with \(path)",
                accept: { $0 != SSH_AUTH_ERROR.rawValue })
        }

        if endpoint.identityFiles.isEmpty {
            // libssh's list: the ssh config's IdentityFile entries, then ~/.ssh/id_ed25519,
            // id_ecdsa and id_rsa (missing files are skipped), as OpenSSH does without an agent.
            tried.append("ssh config IdentityFile keys and ~/.ssh/id_ed25519, id_ecdsa, id_rsa")
            let rc = ssh_userauth_publickey_auto(session, nil, options.passphrase)
            if rc == SSH_AUTH_SUCCESS.rawValue {
                logger.debug("authenticated with a key from libssh's identity list")
                return
            }
            try call.check(
                rc, "ssh_userauth_publickey_auto", context: "authenticating with the default keys",
                accept: { $0 != SSH_AUTH_ERROR.rawValue })
        }

        let keys = tried.joined(separator: ", ")
        throw SSHError(
            endpoint, .authenticationFailed(triedKeys: tried),
            "authentication as \(endpoint.user) failed; tried \(keys)",
            hint: "add the public key to ~\(endpoint.user)/.ssh/authorized_keys on the host, "
                + "or list the right key in the inventory's identity files or the ssh config's IdentityFile")
    }

    /// Loads a private key; asks for a passphrase on the terminal once when needed and possible.
    private static func importKey(
        _ path: String, call: LibSSHCall, options: SSHOptions, logger: Logger
    ) throws -> OpaquePointer? {
        var key: OpaquePointer?
        var rc = ssh_pki_import_privkey_file(path, options.passphrase, nil, nil, &key)
        if rc != SSH_OK, options.passphrase == nil, isatty(STDIN_FILENO) == 1,
            let typed = PassphrasePrompt.ask("Passphrase for \(path) (\(call.endpoint.hostName)): ")
        {
            rc = ssh_pki_import_privkey_file(path, typed, nil, nil, &key)
        }
        do {
            try call.check(rc, "ssh_pki_import_privkey_file", context: "loading \(path)")
            return key
        } catch {
            logger.warning(
                "cannot load private key (wrong passphrase? set CROSSNET_SSH_PASSPHRASE)",
                metadata: ["file": "\(path)"])
            return nil
        }
    }
}

/// Asks for a passphrase on the terminal, one prompt at a time across sessions.
enum PassphrasePrompt {
    private static let lock = NSLock()

    static func ask(_ prompt: String) -> String? {
        lock.lock()
        defer { lock.unlock() }
        guard let typed = getpass(prompt) else { return nil }
        return String(cString: typed)
    }
}
