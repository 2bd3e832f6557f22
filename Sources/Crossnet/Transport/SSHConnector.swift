import CLibSSH
import Foundation
import Logging

/// Opens the TCP connection, verifies the host key and authenticates; runs (blocking, bounded by
/// `connectTimeout`) on the session thread before the session enters its event loop.
enum SSHConnector {
    static func connect(_ core: SSHSessionCore) throws {
        let endpoint = core.endpoint
        let options = core.options
        let session = try core.createSession()
        let call = core.call

        func set(_ option: ssh_options_e, _ value: UnsafeRawPointer, _ name: String) throws {
            try call.check(ssh_options_set(session, option, value), "ssh_options_set", context: "setting \(name)")
        }
        if let file = endpoint.sshConfigFile {
            // libssh's parser applies the ssh config (IdentityFile, algorithms, timeouts); the
            // settings below, resolved by the inventory, then override what they name.
            try (endpoint.configHost ?? endpoint.address).withCString { try set(SSH_OPTIONS_HOST, $0, "host") }
            try call.check(
                ssh_options_parse_config(session, file), "ssh_options_parse_config", context: "reading \(file)")
        } else {
            var processConfig = false
            try set(SSH_OPTIONS_PROCESS_CONFIG, &processConfig, "process config")
        }
        // Never a ProxyCommand (libssh 0.10 would run the OpenSSH client for ProxyJump): jump hosts
        // are reached natively, through `socket`.
        try "none".withCString { try set(SSH_OPTIONS_PROXYCOMMAND, $0, "no proxy command") }
        try endpoint.address.withCString { try set(SSH_OPTIONS_HOST, $0, "host") }
        var port = UInt32(clamping: endpoint.port)
        try set(SSH_OPTIONS_PORT, &port, "port")
        try endpoint.user.withCString { try set(SSH_OPTIONS_USER, $0, "user") }
        try endpoint.knownHostsFile.withCString { try set(SSH_OPTIONS_KNOWNHOSTS, $0, "known_hosts file") }
        // Only the inventory's known_hosts file counts.
        try "/dev/null".withCString { try set(SSH_OPTIONS_GLOBAL_KNOWNHOSTS, $0, "global known_hosts") }
        if let socket = core.tunnelSocket {
            // The far end of a direct-tcpip channel on the previous hop's session.
            var fd = socket
            try set(SSH_OPTIONS_FD, &fd, "socket through the jump host")
            core.tunnelSocket = nil
        }
        let timeout = options.connectTimeout.components
        var seconds = Int(timeout.seconds)
        var microseconds = Int(timeout.attoseconds / 1_000_000_000_000)
        try set(SSH_OPTIONS_TIMEOUT, &seconds, "timeout")
        try set(SSH_OPTIONS_TIMEOUT_USEC, &microseconds, "timeout")
        var noDelay: Int32 = 1
        try set(SSH_OPTIONS_NODELAY, &noDelay, "TCP_NODELAY")

        ssh_set_blocking(session, 1)
        let started = ContinuousClock.now
        let rc = ssh_connect(session)
        if rc != SSH_OK {
            let error = call.error(rc, "ssh_connect", context: "connecting")
            throw SSHError(
                endpoint, error.kind,
                "cannot connect after \(formatSeconds(ContinuousClock.now - started)): \(call.lastError)",
                hint: endpoint.proxyJump.isEmpty && core.connectedThroughJump == nil
                    ? "check the address and port in the inventory and that sshd runs on the host"
                    : "check the address and port, that sshd runs on the host and that the jump host may reach it")
        }
        try HostKeyVerifier.verify(call, options: options, logger: core.logger)
        try SSHAuthenticator.authenticate(call, options: options, logger: core.logger)
        configureSocket(ssh_get_fd(session), keepalive: options.keepaliveInterval)
        try core.enterEventLoop()
    }

    /// Makes a dead peer surface as a socket error: TCP keepalive, and unacknowledged data
    /// (keepalive messages included) failing after two keepalive intervals.
    private static func configureSocket(_ fd: Int32, keepalive: Duration) {
        guard fd >= 0 else { return }
        var on: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, socklen_t(MemoryLayout<Int32>.size))
        #if os(Linux)
            var userTimeout = UInt32(max(10_000, Int(keepalive.clampedMilliseconds) * 2))
            _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_USER_TIMEOUT, &userTimeout, socklen_t(MemoryLayout<UInt32>.size))
        #endif
    }
}

/// `1.23 s` style formatting for messages.
func formatSeconds(_ duration: Duration) -> String {
    String(format: "%.2f s", duration.seconds)
}

/// A command shortened for messages.
func abbreviate(_ command: String, limit: Int = 120) -> String {
    command.count <= limit ? command : String(command.prefix(limit)) + "…"
}
