import Foundation
import Hummingbird
import HummingbirdTesting
import SpeakerID
import SpeakerIDDemo
import Testing

@testable import speakerid_server

/// A conversation of the fixture's voices: low, high, mid, low (4 s each, new takes), 16 kHz.
func conversation() -> [Float] {
    [(90.0, 40), (260.0, 41), (160.0, 42), (90.0, 43)].flatMap { pitch, seed in
        SyntheticSpeech.generate(seconds: 4, sampleRate: 16000, seed: UInt64(seed), pitch: pitch)
    }
}

/// 16-bit little-endian PCM, as the page's AudioWorklet sends it.
func pcm16(_ x: [Float]) -> [UInt8] {
    x.flatMap { v -> [UInt8] in
        let s = Int16(max(-32768, min(32767, (Double(v) * 32768).rounded())))
        return [UInt8(truncatingIfNeeded: s), UInt8(truncatingIfNeeded: s >> 8)]
    }
}

/// `GET /v1/stream` (a WebSocket) and `POST /v1/track`, against `speakerid track`.
@Suite(.serialized)
struct StreamAndTrackTests {
    /// The stream's events are `track --stream --json`'s on the same PCM: the same segments
    /// (byte for byte), the same live decisions (but for their latency), the same end.
    @Test func streamGivesTheCLIsEvents() async throws {
        let f = try ServerFixture()
        defer { f.cleanup() }
        let bytes = pcm16(conversation())
        let raw = f.dir + "/conversation.raw"
        try Data(bytes).write(to: URL(fileURLWithPath: raw))
        let cli = try Tool.run(
            "speakerid", ["track", "--models", f.models, "--ubm", f.ubm, "--stream", "--raw", "16000", "--idle-timeout", "0.2", "--json", raw])
        #expect(cli.status == 0, "\(cli.stderr)")
        let cliLines = cli.stdout.split(separator: "\n").map(String.init)
        try await f.application(keys: nil).test(.live) { client in
            let port = try #require(client.port)
            let (texts, code) = try await onThread {
                let ws = try RawWebSocket(port: port, path: "/v1/stream?rate=16000")
                guard ws.status == 101 else { throw RawWebSocket.Failure(description: "not upgraded: \(ws.status) \(ws.body)") }
                // Pieces of 20 ms, as the page sends them, but as fast as they go.
                for start in stride(from: 0, to: bytes.count, by: 640) { try ws.sendBinary(Array(bytes[start..<min(bytes.count, start + 640)])) }
                try ws.sendText("end")
                return try ws.textsUntilClose()
            }
            #expect(code == 1000)
            func events(_ lines: [String], _ kind: String) -> [String] { lines.filter { $0.contains(#""event":"\#(kind)""#) } }
            let segments = events(texts, "segment")
            #expect(!segments.isEmpty)
            #expect(segments == events(cliLines, "segment"), "server:\n\(segments.joined(separator: "\n"))\nCLI:\n\(cli.stdout)")
            func withoutLatency(_ lines: [String]) -> [String] {
                lines.map { $0.replacingOccurrences(of: #""latency_seconds":[0-9.e-]+,"#, with: "", options: .regularExpression) }
            }
            #expect(withoutLatency(events(texts, "window")) == withoutLatency(events(cliLines, "window")))
            #expect(events(texts, "window").allSatisfy { $0.contains(#""latency_seconds":"#) })
            let names = Set(segments.compactMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["speaker"] as? String })
            #expect(names.isSuperset(of: ["low", "high"]), "\(segments)")
            let end = try #require(texts.last)
            #expect(end.contains(#""event":"end""#) && end.contains(#""duration_seconds":16"#), "\(end)")
        }
    }

    /// Mistakes before the upgrade are 4xx JSON answers; after it, an `{"error"}` frame and a close.
    @Test func streamRefusals() async throws {
        let f = try ServerFixture()
        defer { f.cleanup() }
        let keys = try f.keys()
        try await f.application(keys: keys.path, settings: { $0.maxStreams = 1 }).test(.live) { client in
            let port = try #require(client.port)
            let use = keys.use
            let answers = try await onThread { () -> [String: (Int, String)] in
                var out: [String: (Int, String)] = [:]
                // The key as a header or a parameter; the mistakes in the rate are the user's.
                for path in ["/v1/stream", "/v1/stream?rate=100", "/v1/stream?rate=abc", "/v1/stream?rate=96000"] {
                    out[path] = try RawWebSocket(port: port, path: path, headers: ["Authorization": "Bearer \(use)"]).answer
                }
                out["?key"] = try RawWebSocket(port: port, path: "/v1/stream?rate=1&key=\(use)").answer
                for path in ["/v1/stream?rate=16000", "/v1/stream?rate=16000&key=wrong", "/v1/streams?rate=16000&key=\(use)"] {
                    out[path] = try RawWebSocket(port: port, path: path).answer
                }
                let plain = try RawWebSocket(port: port, path: "/v1/stream?rate=16000&key=\(use)", upgrade: false)
                out["plain"] = plain.answer
                // One stream is the limit: the second is refused while the first is open.
                let first = try RawWebSocket(port: port, path: "/v1/stream?rate=16000&key=\(use)")
                try first.sendBinary([UInt8](repeating: 0, count: 640))
                Thread.sleep(forTimeInterval: 0.3)
                let second = try RawWebSocket(port: port, path: "/v1/stream?rate=16000", headers: ["Authorization": "Bearer \(use)"])
                out["second"] = second.answer
                out["first"] = (first.status, "")
                // A text frame that is not `end`: an error frame, then a close.
                try first.sendText("hello")
                let (texts, code) = try first.textsUntilClose()
                out["text"] = (code, texts.last ?? "")
                return out
            }
            for (path, expected) in [
                ("/v1/stream", 400), ("/v1/stream?rate=100", 400), ("/v1/stream?rate=abc", 400), ("/v1/stream?rate=96000", 400),
                ("?key", 400), ("/v1/stream?rate=16000", 401), ("/v1/stream?rate=16000&key=wrong", 401),
                ("/v1/streams?rate=16000&key=\(use)", 404), ("plain", 426), ("second", 429), ("first", 101),
            ] {
                let (status, body) = try #require(answers[path])
                #expect(status == expected, "\(path): \(status) \(body.debugDescription)")
                if expected != 101 {
                    let json = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
                    #expect(json?["error"] is String, "\(path): \(body)")
                }
            }
            let (code, text) = try #require(answers["text"])
            #expect(code == 1008 && text.contains(#""error""#), "\(code) \(text)")
        }
    }

    /// A stream that sends nothing is closed after --stream-idle-seconds, with its reason, and
    /// its place among --max-streams freed.
    @Test func idleStreamsAreClosed() async throws {
        let f = try ServerFixture()
        defer { f.cleanup() }
        try await f.application(
            keys: nil,
            settings: {
                $0.streamIdleSeconds = 0.5
                $0.maxStreams = 1
            }
        ).test(.live) { client in
            let port = try #require(client.port)
            let (texts, code, next) = try await onThread { () -> ([String], Int, Int) in
                let ws = try RawWebSocket(port: port, path: "/v1/stream?rate=16000")
                let (texts, code) = try ws.textsUntilClose()
                Thread.sleep(forTimeInterval: 0.2)
                return (texts, code, try RawWebSocket(port: port, path: "/v1/stream?rate=16000").status)
            }
            #expect(code == 1008, "\(texts)")
            #expect(texts.last?.contains("no audio for 0.5 s") == true, "\(texts)")
            #expect(next == 101)
        }
    }

    /// A stream longer than --max-stream-seconds, or a long text message, is closed with its reason.
    @Test func streamLimits() async throws {
        let f = try ServerFixture()
        defer { f.cleanup() }
        let audio = pcm16(Array(conversation().prefix(32000)))
        try await f.application(keys: nil, settings: { $0.maxStreamSeconds = 1 }).test(.live) { client in
            let port = try #require(client.port)
            let (long, text) = try await onThread { () -> ((texts: [String], closeCode: Int), (texts: [String], closeCode: Int)) in
                let a = try RawWebSocket(port: port, path: "/v1/stream?rate=16000")
                for start in stride(from: 0, to: audio.count, by: 3200) { try a.sendBinary(Array(audio[start..<min(audio.count, start + 3200)])) }
                let long = try a.textsUntilClose()
                let b = try RawWebSocket(port: port, path: "/v1/stream?rate=16000")
                try b.sendFrame(opcode: 1, Array(repeating: UInt8(ascii: " "), count: 2000))
                return (long, try b.textsUntilClose())
            }
            #expect(long.closeCode == 1008 && long.texts.last?.contains("limit of 1 s") == true, "\(long)")
            #expect(text.closeCode == 1008 && text.texts.last?.contains(#""error""#) == true, "\(text)")
        }
    }

    /// `POST /v1/track` answers `track --json`'s object for the recording, byte for byte.
    @Test func trackAnswersAsTheCLI() async throws {
        let f = try ServerFixture()
        defer { f.cleanup() }
        let wav = f.dir + "/conversation.wav"
        try AudioWriter.write(conversation(), sampleRate: 16000, to: wav)
        let cli = try Tool.run("speakerid", ["track", "--models", f.models, "--ubm", f.ubm, "--json", wav])
        #expect(cli.status == 0, "\(cli.stderr)")
        let audio = ByteBuffer(bytes: try Data(contentsOf: URL(fileURLWithPath: wav)))
        let file = wav.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        try await f.application(keys: nil).test(.live) { client in
            try await client.execute(uri: "/v1/track?file=\(file)", method: .post, body: audio) { r in
                #expect(r.status == .ok, "\(r.text)")
                #expect(r.text == cli.stdout, "server: \(r.text)\nCLI:    \(cli.stdout)")
                #expect((r.json?["timeline"] as? [[String: Any]])?.isEmpty == false)
            }
            try await client.execute(uri: "/v1/track", method: .post, body: ByteBuffer(string: "not audio")) { r in
                #expect(r.status.code == 422, "\(r.text)")
                #expect(r.json?["error"] is String)
            }
        }
    }

    /// A recording longer than the threshold becomes a job: 202, Location, progress, and at
    /// the end the answer the short path gives.
    @Test func longRecordingsBecomeJobs() async throws {
        let f = try ServerFixture()
        defer { f.cleanup() }
        let wav = f.dir + "/conversation.wav"
        try AudioWriter.write(conversation(), sampleRate: 16000, to: wav)
        let audio = ByteBuffer(bytes: try Data(contentsOf: URL(fileURLWithPath: wav)))
        let sync = try Tool.run("speakerid", ["track", "--models", f.models, "--ubm", f.ubm, "--json", wav]).stdout
        try await f.application(keys: nil, settings: { $0.trackJobSeconds = 10 }).test(.live) { client in
            var location = ""
            try await client.execute(uri: "/v1/track?file=\(wav)", method: .post, body: audio) { r in
                #expect(r.status == .accepted, "\(r.text)")
                location = r.headers[.location] ?? ""
                #expect(location.hasPrefix("/v1/jobs/"))
                #expect(r.json?["state"] as? String == "queued" || r.json?["state"] as? String == "running", "\(r.text)")
            }
            var last: [String: Any] = [:]
            for _ in 0..<600 {
                try await client.execute(uri: location, method: .get) { r in
                    #expect(r.status == .ok, "\(r.text)")
                    last = r.json ?? [:]
                }
                let p = last["progress"] as? Double ?? -1
                #expect((0...1).contains(p), "\(last)")
                if last["state"] as? String == "done" || last["state"] as? String == "failed" { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(last["state"] as? String == "done", "\(last)")
            let result = try #require(last["result"] as? [String: Any])
            let expected = try #require(try JSONSerialization.jsonObject(with: Data(sync.utf8)) as? [String: Any])
            #expect(NSDictionary(dictionary: result).isEqual(to: expected), "job: \(result)\nCLI: \(sync)")
            try await client.execute(uri: "/v1/jobs/0123456789abcdef", method: .get) { r in
                #expect(r.status == .notFound)
                #expect(r.json?["error"] is String)
            }
        }
    }

    /// The page is served at `/` with its scripts, styles and worklet.
    @Test func servesTheWebPage() async throws {
        let f = try ServerFixture()
        defer { f.cleanup() }
        try await f.application(keys: nil).test(.live) { client in
            for (path, type, text) in [
                ("/", "text/html", "Who is speaking now"), ("/index.html", "text/html", "<main>"), ("/app.js", "text/javascript", "WebSocket"),
                ("/style.css", "text/css", "live-name"), ("/worklet.js", "text/javascript", "registerProcessor"),
            ] {
                try await client.execute(uri: path, method: .get) { r in
                    #expect(r.status == .ok, "\(path)")
                    #expect(r.headers[.contentType]?.hasPrefix(type) == true, "\(path)")
                    #expect(r.text.contains(text), "\(path)")
                }
            }
            try await client.execute(uri: "/app.js", method: .post) { r in #expect(r.status == .methodNotAllowed, "\(r.text)") }
            try await client.execute(uri: "/../Package.swift", method: .get) { r in #expect(r.status == .notFound, "\(r.text)") }
        }
    }
}
