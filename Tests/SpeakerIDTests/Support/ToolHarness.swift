import Foundation

/// The `speakerid` tool, and the other programs the tests run, run as a user runs them: with
/// arguments, standard input and a working folder, giving back the exit status and both outputs.
enum CLI {
    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static var binary: String {
        // Another build of the tool, to show that a test fails on it (e.g. the previous release).
        if let other = ProcessInfo.processInfo.environment["SPEAKERID_BINARY"] { return other }
        // The test bundle sits in the build folder next to the executable.
        var url = Bundle.module.bundleURL.deletingLastPathComponent()
        for _ in 0..<3 where !FileManager.default.fileExists(atPath: url.appendingPathComponent("speakerid").path) {
            url = url.deletingLastPathComponent()
        }
        return url.appendingPathComponent("speakerid").path
    }

    @discardableResult
    static func run(_ args: [String], stdin: String? = nil) throws -> Run { try runTool(binary, args, stdin: stdin) }

    /// The environment every tool runs in: this one, without a default speaker encoder, so a
    /// run is the same whether or not the machine has `speakerid encoder fetch`'s file (a test
    /// that wants the encoder names it with --encoder).
    static var environment: [String: String] {
        var e = ProcessInfo.processInfo.environment
        e["SPEAKERID_ENCODER"] = "/nonexistent/speakerid-tests-use---encoder.encoder"
        return e
    }

    /// The developers' tool (`bench`, `demo-corpus`), built beside `speakerid` (or
    /// SPEAKERID_DEV_BINARY).
    static var devBinary: String {
        if let other = ProcessInfo.processInfo.environment["SPEAKERID_DEV_BINARY"] { return other }
        return URL(fileURLWithPath: binary).deletingLastPathComponent().appendingPathComponent("speakerid-dev").path
    }

    @discardableResult
    static func runDev(_ args: [String]) throws -> Run { try runTool(devBinary, args) }

    static func runTool(_ path: String, _ args: [String], stdin: String? = nil, in cwd: String? = nil) throws -> Run {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = args
        p.environment = environment
        if let cwd { p.currentDirectoryURL = URL(fileURLWithPath: cwd, isDirectory: true) }
        if let stdin { p.standardInput = try FileHandle(forReadingFrom: URL(fileURLWithPath: stdin)) }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Run(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }

    /// Whether python3 here can import `modules` (e.g. "sklearn, numpy"): the independent
    /// references some tests compare with, which they skip (visibly) without.
    static func pythonCanImport(_ modules: String) -> Bool {
        (try? runTool("/usr/bin/env", ["python3", "-c", "import " + modules]).status) == 0
    }

    /// The lines of a `--json` output that are JSON objects.
    static func jsonLines(_ s: String) -> [[String: Any]] {
        s.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }
}

/// A command a fixture needed failed; its standard error.
struct CLIFailure: Error {
    let message: String
    init(_ m: String) { message = m }
}
