// swift-tools-version:6.0
// Switchboard: one dependency arrow direction, read top to bottom.
//
//   CSQLite, CCurl, CCrypto      system C libraries (module.modulemap + shim.h)
//   SwitchboardCore              pure: model, JSON, config reading, classifier, matrix, router (Foundation only)
//   SwitchboardStore             edge: SQLite (WAL, migrations, group commit)
//   SwitchboardNet               edge: HTTP/1.1 server (Unix + TCP), libcurl client
//   SwitchboardSystem            edge: signals, sd_notify, log handlers, metrics
//   SwitchboardChannels          one folder per channel: adapter, config, parser, sender
//   SwitchboardDaemon            configuration, wiring (buildDaemon), lifecycle, reload, CLI commands
//   switchboard                  thin executable
//   SwitchboardFuzzing           the parsers that read untrusted bytes, with their invariants (make fuzz)
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .unsafeFlags(["-Ounchecked"], .when(configuration: .release)),
]

let package = Package(
    name: "Switchboard",
    products: [
        .executable(name: "switchboard", targets: ["switchboard"]),
    ],
    targets: [
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CCurl", path: "Sources/CCurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CCrypto", path: "Sources/CCrypto", providers: [.apt(["libssl-dev"])]),

        .target(name: "SwitchboardCore", swiftSettings: swiftSettings),
        .target(name: "SwitchboardStore", dependencies: ["SwitchboardCore", "CSQLite"], swiftSettings: swiftSettings),
        .target(name: "SwitchboardNet", dependencies: ["SwitchboardCore", "CCurl"], exclude: ["HTTP/README.md"], swiftSettings: swiftSettings),
        .target(name: "SwitchboardSystem", dependencies: ["SwitchboardCore"], swiftSettings: swiftSettings),
        .target(name: "SwitchboardChannels",
                dependencies: ["SwitchboardCore", "SwitchboardStore", "SwitchboardNet", "SwitchboardSystem", "CCrypto"],
                exclude: ["Email/README.md", "Local/README.md", "SMS/README.md"],
                swiftSettings: swiftSettings),
        .target(name: "SwitchboardDaemon",
                dependencies: ["SwitchboardCore", "SwitchboardStore", "SwitchboardNet", "SwitchboardSystem", "SwitchboardChannels"],
                swiftSettings: swiftSettings),
        .executableTarget(name: "switchboard", dependencies: ["SwitchboardDaemon"], swiftSettings: swiftSettings),
        .executableTarget(name: "switchboard-bench", path: "Sources/SwitchboardBench", swiftSettings: swiftSettings),
        .executableTarget(name: "switchboard-simulate", dependencies: ["SwitchboardCore"], path: "Sources/SwitchboardSimulator", swiftSettings: swiftSettings),
        .target(name: "SwitchboardFuzzing", dependencies: ["SwitchboardCore", "SwitchboardNet", "SwitchboardChannels"]),
        // libFuzzer's executable under `make fuzz` (--sanitize=fuzzer -DFUZZING); a replayer otherwise.
        .executableTarget(name: "switchboard-fuzz", dependencies: ["SwitchboardFuzzing"], path: "Sources/SwitchboardFuzz"),

        .testTarget(name: "SwitchboardCoreTests", dependencies: ["SwitchboardCore"]),
        .testTarget(name: "SwitchboardStoreTests", dependencies: ["SwitchboardStore"]),
        .testTarget(name: "SwitchboardNetTests", dependencies: ["SwitchboardNet"]),
        .testTarget(name: "SwitchboardSystemTests", dependencies: ["SwitchboardSystem"]),
        .testTarget(name: "SwitchboardChannelsTests", dependencies: ["SwitchboardChannels"], exclude: ["Fixtures"]),
        .testTarget(name: "SwitchboardDaemonTests", dependencies: ["SwitchboardDaemon"]),
        .testTarget(name: "SwitchboardFuzzingTests", dependencies: ["SwitchboardFuzzing"]),
    ]
)
