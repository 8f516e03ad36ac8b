// swift-tools-version: 6.2
import PackageDescription

// Warnings are errors in every Swift target: the code builds without any today, and a new one
// is fixed where it appears.
let strict: [SwiftSetting] = [.treatAllWarnings(as: .error)]

// The server (`speakerid-server`, issue 27) and its tests, built on Hummingbird 2. Left out when
// SPEAKERID_NO_SERVER is set, so that CI's sanitizer stages build only the library and the tools;
// the library and `speakerid` never depend on a server package.
let withServer = Context.environment["SPEAKERID_NO_SERVER"] == nil

let package = Package(
    name: "SpeakerID",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "SpeakerID", targets: ["SpeakerID"]),
        .executable(name: "speakerid", targets: ["speakerid"]),
        // The developers' tool: benchmarks and the demo corpus builder (SpeakerIDDemo).
        .executable(name: "speakerid-dev", targets: ["speakerid-dev"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // Reads resemblyzer's wheel (a zip) in `speakerid encoder convert` (zlib: Debian's zlib1g-dev).
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.19"),
    ],
    targets: [
        // System libraries, found through pkg-config (Debian: libsndfile1-dev, libfftw3-dev,
        // libsamplerate0-dev, libopenblas-dev).
        .systemLibrary(
            name: "CSndfile", pkgConfig: "sndfile",
            providers: [.apt(["libsndfile1-dev"]), .brew(["libsndfile"])]),
        .systemLibrary(
            name: "CFFTW", pkgConfig: "fftw3f",
            providers: [.apt(["libfftw3-dev"]), .brew(["fftw"])]),
        .systemLibrary(
            name: "CSamplerate", pkgConfig: "samplerate",
            providers: [.apt(["libsamplerate0-dev"]), .brew(["libsamplerate"])]),
        .systemLibrary(
            name: "COpenBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"]), .brew(["openblas"])]),
        // Vector kernels (exp, log-sum-exp) compiled for AVX-512, AVX2 and baseline, chosen at
        // load time.
        .target(name: "CKernels"),
        // Signals to a pipe, read by a thread of the CLI (cleanup on SIGINT/SIGTERM/SIGHUP).
        .target(name: "CSignals"),
        .target(
            name: "SpeakerID",
            dependencies: ["CSndfile", "CFFTW", "CSamplerate", "COpenBLAS", "CKernels"],
            swiftSettings: strict
        ),
        // Synthetic voices and the demo corpus builder: for the tests, benchmarks and the demo,
        // kept out of the library app developers link and out of the user's tool.
        .target(name: "SpeakerIDDemo", dependencies: ["SpeakerID"], swiftSettings: strict),
        .executableTarget(
            name: "speakerid",
            dependencies: [
                "SpeakerID",
                "CKernels",
                "CSignals",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ],
            swiftSettings: strict
        ),
        // `bench` and `demo-corpus`.
        .executableTarget(
            name: "speakerid-dev",
            dependencies: [
                "SpeakerID",
                "SpeakerIDDemo",
                "CKernels",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "SpeakerIDTests",
            dependencies: ["SpeakerID", "SpeakerIDDemo", "speakerid", "speakerid-dev"],
            resources: [.copy("Golden")],
            swiftSettings: strict
        ),
    ],
    swiftLanguageModes: [.v6]
)

if withServer {
    package.products.append(.executable(name: "speakerid-server", targets: ["speakerid-server"]))
    package.dependencies += [
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
        // The live view's WebSocket (GET /v1/stream).
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.0.0"),
        // Hummingbird's own: the listening channel's address (the port `--port 0` got).
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        // Hummingbird's own: HTTP parts as swift-http-types (a refused WebSocket upgrade's answer).
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.22.0"),
        // Hummingbird's own: its log kept to warnings, so the ready line is the only line.
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
    ]
    package.targets += [
        // SHA-256 of the API keys (the keys file holds only their digests): Debian's OpenSSL
        // libcrypto (libssl-dev), not a second copy of BoringSSL to compile.
        .systemLibrary(
            name: "COpenSSL", pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"]), .brew(["openssl@3"])]),
        // `speakerid-server`: the models folder over HTTP (docs/server.md).
        .executableTarget(
            name: "speakerid-server",
            dependencies: [
                "SpeakerID",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                "COpenSSL",
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            resources: [.copy("Resources/openapi.json"), .copy("Public")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "SpeakerIDServerTests",
            dependencies: [
                "SpeakerID", "SpeakerIDDemo", "speakerid-server", "speakerid",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            swiftSettings: strict
        ),
    ]
}
