import Foundation
import Testing
@testable import SpeakerID

/// A fresh temporary folder, removed by `cleanup()`.
struct TempDir {
    let path: String

    init() {
        path = (NSTemporaryDirectory() as NSString).appendingPathComponent("speakerid-test-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }
    func cleanup() { try? FileManager.default.removeItem(atPath: path) }
    var contents: [String] { (try? FileManager.default.contentsOfDirectory(atPath: path))?.sorted() ?? [] }
}

/// The repository's checkout.
enum Repository {
    /// The repository's root folder (this file is Tests/SpeakerIDTests/Support/TestSupport.swift).
    static var root: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }
}

/// The repository's README and its reference pages in `docs/`.
enum Readme {
    /// The repository's root folder.
    static var root: URL { Repository.root }

    static func text() throws -> String {
        try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
    }

    /// The JSON reference, `docs/json.md`.
    static func jsonReference() throws -> String {
        try String(contentsOf: root.appendingPathComponent("docs/json.md"), encoding: .utf8)
    }

    /// The first cells of the JSON reference's table rows, where they are code: the keys of
    /// the table of JSON keys (and the other tables' first words).
    static func jsonKeys() throws -> Set<String> {
        Set(
            try jsonReference().split(separator: "\n").filter { $0.hasPrefix("| `") }.compactMap { line -> String? in
                let cell = line.dropFirst(3)
                guard let end = cell.firstIndex(of: "`") else { return nil }
                return String(cell[..<end])
            })
    }
}

/// The shared corpora beside the repository, if present.
enum SharedCorpora {
    static var root: String? {
        let candidate = Repository.root.deletingLastPathComponent().appendingPathComponent("shared/corpora").path
        if let env = ProcessInfo.processInfo.environment["SPEAKERID_CORPORA"] { return env }
        return FileManager.default.fileExists(atPath: candidate) ? candidate : nil
    }

    /// Why a real-speech test is skipped.
    static let absent: Comment = "../shared/corpora not found (set SPEAKERID_CORPORA to run it)"
}

func sine(_ hz: Double, seconds: Double, rate: Int, amplitude: Double = 0.5) -> [Float] {
    (0..<Int(seconds * Double(rate))).map { Float(amplitude * sin(2 * Double.pi * hz * Double($0) / Double(rate))) }
}

/// Frames from a known mixture of well-separated Gaussians.
func mixtureSample(n: Int, weights: [Double], means: [[Double]], sds: [[Double]], seed: UInt64) -> FeatureMatrix {
    var rng = SeededRandom(seed: seed)
    let D = means[0].count
    var values: [Float] = []
    values.reserveCapacity(n * D)
    for _ in 0..<n {
        var u = rng.nextUnit(), k = 0
        while k < weights.count - 1 && u > weights[k] {
            u -= weights[k]
            k += 1
        }
        for d in 0..<D { values.append(Float(means[k][d] + sds[k][d] * rng.nextGaussian())) }
    }
    return FeatureMatrix(rows: n, columns: D, values: values)
}

/// Whether this test run is built with a sanitizer (CI runs the suite under AddressSanitizer
/// and ThreadSanitizer, then once more normally). The few tests that spend minutes streaming
/// hours of audio or killing processes run in the normal run only; under a sanitizer they show
/// as skipped.
enum Sanitizer {
    static let active: Bool = {
        let me = dlopen(nil, RTLD_NOW)
        return dlsym(me, "__asan_init") != nil || dlsym(me, "__tsan_init") != nil
    }()
    static let reason: Comment = "minutes of audio under a sanitizer; runs in the normal test run"
}
