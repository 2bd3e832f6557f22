import Testing

@testable import Crossnet

@Suite(.tags(.docker))
struct EngineDialerTests {
    static let endpoint = SSHEndpoint(hostName: "h2", address: "198.18.120.12", port: 2222, user: "crossnet", knownHostsFile: "/kh")

    @Test("A refused stream-local channel (sshd's answer under DisableForwarding, captured from the lab) leads to the probe")
    func refusal() {
        // Message libssh 0.10.6 gave against OpenSSH's sshd with `DisableForwarding yes` (and the
        // same, code 2, with `AllowStreamLocalForwarding no`).
        let refused = SSHError(
            Self.endpoint, .libssh(function: "ssh_channel_open_forward_unix", code: -1),
            "open unix socket /lab/h2/docker.sock: ssh_channel_open_forward_unix failed (-1): Channel opening failure: channel 43 error (2) open failed")
        #expect(EngineDialer.isChannelRefusal(refused))
        let lost = SSHError(Self.endpoint, .connectionLost, "connection to h2 lost (Socket error: disconnected)")
        #expect(!EngineDialer.isChannelRefusal(lost))
        let timeout = SSHError(
            Self.endpoint, .timeout(operation: "open unix socket /lab/h2/docker.sock", elapsed: .seconds(15)),
            "open unix socket /lab/h2/docker.sock timed out after 15.00 s")
        #expect(!EngineDialer.isChannelRefusal(timeout))
    }
}
