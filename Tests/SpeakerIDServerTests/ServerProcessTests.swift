import Foundation
import Testing

@testable import speakerid_server

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The `speakerid-server` executable as a user starts it: its options, its ready line, and a
/// real HTTP client.
@Suite(.serialized)
struct ServerProcessTests {
    @Test func refusesToStartWithoutKeysOrOffLoopback() throws {
        let f = try ServerFixture()
        defer { f.cleanup() }
        let none = try Tool.run("speakerid-server", ["--models", f.models, "--ubm", f.ubm])
        #expect(none.status != 0 && none.stderr.contains("--keys"), "\(none.stderr)")
        let open = try Tool.run("speakerid-server", ["--models", f.models, "--ubm", f.ubm, "--no-auth", "--host", "0.0.0.0"])
        #expect(open.status != 0 && open.stderr.contains("loopback"), "\(open.stderr)")
        let badUBM = try Tool.run("speakerid-server", ["--models", f.models, "--ubm", f.clip("low", 0), "--no-auth"])
        #expect(badUBM.status != 0, "\(badUBM.stderr)")
    }

    @Test func newKeyPrintsAKeyAndItsLine() throws {
        let r = try Tool.run("speakerid-server", ["new-key", "--scope", "admin"])
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 2)
        let key = String(lines.first?.dropFirst("key: ".count) ?? "")
        #expect(lines.first?.hasPrefix("key: ") == true && key.count > 40)
        let line = lines.last?.split(separator: " ").map(String.init) ?? []
        #expect(line.first == "admin" && line.last?.count == 64)
        // The line's digest is SHA-256 of the key, as Python's hashlib computes it.
        let py = Process()
        py.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        py.arguments = ["python3", "-c", "import hashlib,sys; print(hashlib.sha256(sys.argv[1].encode()).hexdigest())", key]
        let out = Pipe()
        py.standardOutput = out
        guard (try? py.run()) != nil else {
            Issue.record("python3 is not here: the digest is not checked against hashlib")
            return
        }
        let digest = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        py.waitUntilExit()
        #expect(digest == line.last)
    }

    /// Started with --port 0: the ready line names the port it got, and it answers there.
    @Test func servesOnThePortItPrints() async throws {
        let f = try ServerFixture()
        defer { f.cleanup() }
        let keys = try f.keys()
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Tool.path("speakerid-server"))
        p.arguments = ["--models", f.models, "--ubm", f.ubm, "--keys", keys.path, "--port", "0"]
        p.environment = Tool.environment
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        defer {
            p.terminate()
            p.waitUntilExit()
        }
        // The ready line, within 60 s.
        let ready = try await withThrowingTaskGroup(of: String.self) { group in
            group.addTask {
                var line = Data()
                while let byte = try out.fileHandleForReading.read(upToCount: 1), !byte.isEmpty, byte != Data("\n".utf8) { line.append(byte) }
                return String(decoding: line, as: UTF8.self)
            }
            group.addTask {
                try await Task.sleep(for: .seconds(60))
                return ""
            }
            let first = try await group.next() ?? ""
            group.cancelAll()
            return first
        }
        let port = try #require(ready.split(separator: ":").last.flatMap { Int($0.prefix { $0.isNumber }) }, "ready line: \(ready.debugDescription)")
        #expect(ready.hasPrefix("speakerid-server: serving ") && port > 0, "\(ready)")
        let base = "http://127.0.0.1:\(port)"
        let (health, hr) = try await URLSession.shared.data(from: URL(string: base + "/healthz")!)
        #expect((hr as? HTTPURLResponse)?.statusCode == 200 && String(decoding: health, as: UTF8.self).contains("ok"))
        var request = URLRequest(url: URL(string: base + "/v1/identify")!)
        request.httpMethod = "POST"
        request.setValue("Bearer \(keys.use)", forHTTPHeaderField: "Authorization")
        request.httpBody = try Data(contentsOf: URL(fileURLWithPath: f.clip("high", 2)))
        let (body, ir) = try await URLSession.shared.data(for: request)
        #expect((ir as? HTTPURLResponse)?.statusCode == 200, "\(String(decoding: body, as: UTF8.self))")
        let answer = try JSONSerialization.jsonObject(with: body) as? [String: Any]
        #expect(answer?["speaker"] as? String == "high")
        // SIGHUP reads the keys file again: a key removed is refused from then on.
        try "\(APIKeys.newKey(scope: .admin).line)\n".write(toFile: keys.path, atomically: true, encoding: .utf8)
        kill(p.processIdentifier, SIGHUP)
        var refused = false
        for _ in 0..<50 where !refused {
            try await Task.sleep(for: .milliseconds(100))
            var list = URLRequest(url: URL(string: base + "/v1/speakers")!)
            list.setValue("Bearer \(keys.use)", forHTTPHeaderField: "Authorization")
            let (_, lr) = try await URLSession.shared.data(for: list)
            refused = (lr as? HTTPURLResponse)?.statusCode == 401
        }
        #expect(refused, "the key removed from the keys file was still accepted after SIGHUP")
    }
}
