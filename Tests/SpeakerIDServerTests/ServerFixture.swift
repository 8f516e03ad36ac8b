import Foundation
import Hummingbird
import HummingbirdTesting
import SpeakerID
import SpeakerIDDemo
import Testing

@testable import speakerid_server

/// The tools built beside this test bundle, run as a user runs them.
enum Tool {
    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// The build folder (the test bundle's, where `speakerid` and `speakerid-server` are).
    static var buildFolder: URL {
        var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<4 where !FileManager.default.fileExists(atPath: url.appendingPathComponent("speakerid").path) {
            url = url.deletingLastPathComponent()
        }
        return url
    }

    static func path(_ name: String) -> String { buildFolder.appendingPathComponent(name).path }

    /// The tools' environment: no default speaker encoder (a test that wants one names it).
    static var environment: [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["SPEAKERID_ENCODER"] = "/nonexistent/speakerid-tests-use---encoder.encoder"
        return env
    }

    @discardableResult
    static func run(_ name: String, _ args: [String]) throws -> Run {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path(name))
        p.arguments = args
        p.environment = environment
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Run(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }
}

struct FixtureFailure: Error, CustomStringConvertible {
    var description: String
}

/// A UBM and three synthetic speakers adapted from it, made with `speakerid` as a user would,
/// and a server on them.
struct ServerFixture {
    let dir: String
    var ubm: String { dir + "/ubm.gmm" }
    var models: String { dir + "/models" }
    func clip(_ speaker: String, _ i: Int) -> String { dir + "/corpus/\(speaker)/\(i).wav" }

    init() throws {
        dir = NSTemporaryDirectory() + "speakerid-server-test-\(UUID().uuidString)"
        for (i, (name, pitch)) in [("low", 90.0), ("mid", 160.0), ("high", 260.0), ("bg1", 120.0), ("bg2", 200.0), ("bg3", 320.0)].enumerated() {
            let folder = i < 3 ? "corpus/\(name)" : "background/\(name)"
            try FileManager.default.createDirectory(atPath: dir + "/" + folder, withIntermediateDirectories: true)
            for j in 0..<3 {
                let x = SyntheticSpeech.generate(seconds: 4, sampleRate: 16000, seed: UInt64(i * 10 + j), pitch: pitch)
                try AudioWriter.write(x, sampleRate: 16000, to: dir + "/\(folder)/\(j).wav")
            }
        }
        let t = try Tool.run(
            "speakerid",
            ["train-ubm", "--corpus", dir + "/background:all", "--corpus", dir + "/corpus:all", "--components", "16", "--out", ubm, "-q"])
        guard t.status == 0 else { throw FixtureFailure(description: t.stderr) }
        let e = try Tool.run("speakerid", ["enroll", "--models", models, "--corpus", dir + "/corpus", "--split", "all", "--ubm", ubm, "-q"])
        guard e.status == 0 else { throw FixtureFailure(description: e.stderr) }
    }

    func cleanup() { try? FileManager.default.removeItem(atPath: dir) }

    /// A keys file with one `use` and one `admin` key; the keys.
    func keys() throws -> (path: String, use: String, admin: String) {
        let use = APIKeys.newKey(scope: .use), admin = APIKeys.newKey(scope: .admin)
        let path = dir + "/keys"
        try "# test keys\n\(use.line)\n\n\(admin.line)\n".write(toFile: path, atomically: true, encoding: .utf8)
        return (path, use.key, admin.key)
    }

    /// The server's application on this folder.
    func application(keys: String?, settings edit: (inout ServerSettings) -> Void = { _ in }) throws -> some ApplicationProtocol {
        var s = ServerSettings(models: models, ubmPath: ubm)
        edit(&s)
        let server = Server(
            folder: try SpeakerFolder(settings: s), auth: try Authenticator(path: keys), openAPI: try ServerCommand.openAPIDocument(),
            page: try WebPage.load())
        return Application(router: server.router(), server: server.httpServer())
    }

    /// Every file of the models folder and its bytes.
    func folderSnapshot() -> [String: Data] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: models)) ?? []
        return Dictionary(uniqueKeysWithValues: names.map { ($0, FileManager.default.contents(atPath: models + "/" + $0) ?? Data()) })
    }
}

extension TestResponse {
    var text: String { String(buffer: body) }
    var json: [String: Any]? { try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] }
}

func bearer(_ key: String) -> HTTPFields { [.authorization: "Bearer \(key)"] }
