// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Crossnet",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "crossnet", targets: ["crossnet"]),
        .library(name: "Crossnet", targets: ["Crossnet"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CLibSSH",
            path: "Sources/CLibSSH",
            pkgConfig: "libssh",
            providers: [.apt(["libssh-dev"])]
        ),
        .systemLibrary(
            name: "CCurl",
            path: "Sources/CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        .target(
            name: "Crossnet",
            dependencies: [
                "CLibSSH",
                "CCurl",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            path: "Sources/Crossnet"
        ),
        // The lab suites: a library so that `crossnet run` runs them in its own process (through
        // Swift Testing's ABI entry point) and `swift test` runs the same suites (SuitesTests).
        .target(
            name: "CrossnetSuites",
            dependencies: ["Crossnet"],
            path: "Suites"
        ),
        .executableTarget(
            name: "crossnet",
            dependencies: [
                "Crossnet",
                "CrossnetSuites",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/crossnet"
        ),
        .testTarget(
            name: "CrossnetTests",
            dependencies: ["Crossnet"],
            path: "Tests/CrossnetTests",
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "SuitesTests",
            dependencies: ["Crossnet", "CrossnetSuites"],
            path: "Tests/SuitesTests"
        ),
    ],
    swiftLanguageModes: [.v6]
)
