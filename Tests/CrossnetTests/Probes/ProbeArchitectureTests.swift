import Foundation
import Testing

@testable import Crossnet

extension Tag {
    /// Probe image: architectures, build.
    @Tag static var probes: Self
}

@Suite("probe image architectures", .tags(.probes))
struct ProbeArchitectureTests {
    @Test("uname -m / Engine Architecture values map to Docker's names", arguments: [
        ("x86_64", ProbeArchitecture.amd64), ("aarch64", .arm64), ("arm64", .arm64), ("amd64", .amd64),
    ])
    func mapping(machine: String, expected: ProbeArchitecture) {
        #expect(ProbeArchitecture(machine: machine) == expected)
    }

    @Test("architectures without a probe image are refused", arguments: ["riscv64", "s390x", "ppc64le", "armv7l", "i686", ""])
    func unsupported(machine: String) {
        #expect(ProbeArchitecture(machine: machine) == nil)
    }

    @Test("the Engine's /info (captured, Docker 20.10) reports the architecture")
    func fromInfo() throws {
        let info = try JSONDecoder().decode(DockerInfo.self, from: try EngineFixtures.data("info-swarm-manager.json"))
        #expect(info.architecture == "x86_64")
        #expect(ProbeArchitecture(machine: info.architecture ?? "") == .amd64)
    }

    @Test("crossnet check passes a supported host and refuses another clearly")
    func checkRow() {
        let pass = Preflight.architectureCheck(host: "h1", machine: "aarch64")
        #expect(pass.status == .pass)
        #expect(pass.detail == "aarch64 (probe image arm64)")
        let fail = Preflight.architectureCheck(host: "h4", machine: "riscv64")
        #expect(fail.status == .fail)
        #expect(fail.detail == "riscv64 is not supported: Crossnet's probe image exists for amd64 and arm64 only")
        #expect(fail.hint == "leave this host out of the inventory")
        #expect(Preflight.architectureCheck(host: "h4", machine: nil).status == .fail)
    }

    @Test("tool versions of another architecture come from Debian's package versions")
    func packageVersions() {
        let versions = ProbeImage.toolVersions(fromPackageVersions: [
            "busybox-static": "1:1.35.0-4+deb12u1+b1", "iperf3": "3.12-1+deb12u2", "sockperf": "3.7-1", "libc6": "2.36-9+deb12u14",
        ])
        #expect(versions == ["busybox": "v1.35.0", "iperf3": "3.12", "sockperf": "3.7"])
    }

    @Test("the common tag depends on every variant's image ID, in a fixed order")
    func commonTagInput() {
        let input = ProbeImage.commonTagInput(imageIDs: [.arm64: "sha256:b", .amd64: "sha256:a"])
        #expect(input == "amd64=sha256:a\narm64=sha256:b\n")
    }
}
