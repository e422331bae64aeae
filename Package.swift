// swift-tools-version:6.0
import PackageDescription

// Module arrows point one way: LoomTensor <- LoomNN <- LoomModels <- loom.
// LoomText and LoomData need no tensors; LoomModels joins them to the networks.
// LoomCore (errors, crash-safe file writes) sits under everything that touches files.
let optimized: [SwiftSetting] = [.unsafeFlags(["-Ounchecked", "-wmo"], .when(configuration: .release))]

let package = Package(
    name: "Loom",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "Loom", targets: ["Loom"]),
        .executable(name: "loom", targets: ["loom"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .target(name: "CLoomICU", linkerSettings: [.linkedLibrary("icuuc")]),
        .target(name: "CLoomKernels"),
        .target(name: "LoomCore"),
        .target(name: "LoomTensor", dependencies: ["CBLAS", "CLoomKernels"], swiftSettings: optimized),
        .target(name: "LoomNN", dependencies: ["LoomCore", "LoomTensor", "CLoomKernels"], swiftSettings: optimized),
        .target(name: "LoomText", dependencies: ["LoomCore", "CLoomICU"], swiftSettings: optimized),
        .target(name: "LoomData", dependencies: ["LoomCore", "CZlib"], swiftSettings: optimized),
        .target(name: "LoomModels", dependencies: ["LoomNN", "LoomText", "LoomData"], swiftSettings: optimized),
        .target(name: "Loom", dependencies: ["LoomCore", "LoomTensor", "LoomNN", "LoomText", "LoomData", "LoomModels"]),
        .executableTarget(name: "loom", dependencies: [
            "Loom", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: optimized),
        .testTarget(name: "LoomTensorTests", dependencies: ["LoomTensor"]),
        .testTarget(name: "LoomNNTests", dependencies: ["LoomNN"], resources: [.copy("Fixtures")]),
        .testTarget(name: "LoomTextTests", dependencies: ["LoomText"], resources: [.copy("Fixtures")]),
        .testTarget(name: "LoomDataTests", dependencies: ["LoomData"]),
        .testTarget(name: "LoomModelsTests", dependencies: ["LoomModels"], resources: [.copy("Fixtures")]),
        // Runs the built `loom` binary as a user would (flags, exit codes, signals, files).
        .testTarget(name: "LoomCLITests", dependencies: ["loom"]),
    ],
    swiftLanguageModes: [.v5]
)
