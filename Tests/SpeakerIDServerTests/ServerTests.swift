import Foundation
import Hummingbird
import HummingbirdTesting
import SpeakerID
import Testing

@testable import speakerid_server

/// The server on loopback (Hummingbird's live test client: real HTTP over a socket) against a
/// models folder `speakerid` made, answers compared with `speakerid`'s own.
@Suite(.serialized)
struct ServerTests {
    @Test func identifyAndVerifyAnswerAsTheCLI() async throws {
        let f = try ServerFixture()
        defer { f.cleanup() }
        let clip = f.clip("mid", 1)
        let cliIdentify = try Tool.run("speakerid", ["identify", "--models", f.models, "--ubm", f.ubm, "--json", clip])
        let cliVerify = try Tool.run("speakerid", ["verify", "--models", f.models, "--ubm", f.ubm, "--speaker", "low", "--json", clip])
        #expect(cliIdentify.status == 0 && cliVerify.status == 0, "\(cliIdentify.stderr)\(cliVerify.stderr)")
        let audio = ByteBuffer(bytes: try Data(contentsOf: URL(fileURLWithPath: clip)))
        let file = clip.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        try await f.application(keys: nil).test(.live) { client in
            try await client.execute(uri: "/v1/identify?file=\(file)", method: .post, body: audio) { r in
                #expect(r.status == .ok)
                #expect(r.text == cliIdentify.stdout, "server: \(r.text)\nCLI:    \(cliIdentify.stdout)")
                #expect(r.json?["speaker"] as? String == "mid")
            }
            try await client.execute(uri: "/v1/verify?speaker=low&file=\(file)", method: .post, body: audio) { r in
                #expect(r.status == .ok)
                #expect(r.text == cliVerify.stdout, "server: \(r.text)\nCLI:    \(cliVerify.stdout)")
            }
            // Without a name the clip is "upload"; the rest of the answer is the same.
            try await client.execute(uri: "/v1/identify", method: .post, body: audio) { r in
                #expect(r.json?["file"] as? String == "upload")
                #expect(
                    r.text
                        == cliIdentify.stdout.replacingOccurrences(
                            of: #""file":"\#(clip.replacingOccurrences(of: "/", with: "\\/"))""#, with: #""file":"upload""#))
            }
        }
    }

    @Test func enrolListRenameRemove() async throws {
        let f = try ServerFixture()
        defer { f.cleanup() }
        let keys = try f.keys()
        let admin = bearer(keys.admin)
        let first = ByteBuffer(bytes: try Data(contentsOf: URL(fileURLWithPath: f.clip("high", 0))))
        let second = ByteBuffer(bytes: try Data(contentsOf: URL(fileURLWithPath: f.clip("high", 1))))
        try await f.application(keys: keys.path).test(.live) { client in
            // A new speaker, with a name that needs percent-encoding.
            try await client.execute(uri: "/v1/speakers/Ana%20Mar%C3%ADa/audio", method: .post, headers: admin, body: first) { r in
                #expect(r.status == .created, "\(r.text)")
                #expect(r.json?["speaker"] as? String == "Ana María")
                #expect(r.json?["created"] as? Bool == true)
            }
            // Audio added: the model is the one the CLI's enroll --add gives.
            try await client.execute(uri: "/v1/speakers/Ana%20Mar%C3%ADa/audio", method: .post, headers: admin, body: second) { r in
                #expect(r.status == .ok, "\(r.text)")
                #expect(r.json?["created"] as? Bool == false)
                #expect(r.json?["files"] as? Int == 2)
            }
            try await client.execute(uri: "/v1/speakers", method: .get, headers: bearer(keys.use)) { r in
                let names = (r.json?["speakers"] as? [[String: Any]])?.compactMap { $0["speaker"] as? String }
                #expect(names == ["Ana María", "high", "low", "mid"], "\(r.text)")
            }
            // The CLI sees the server's speaker, and the server the CLI's change.
            let cli = try Tool.run("speakerid", ["speakers", "list", "--models", f.models, "--json"])
            #expect(cli.stdout.contains(#""speaker":"Ana María""#), "\(cli.stdout)")
            #expect(try Tool.run("speakerid", ["speakers", "remove", "--models", f.models, "high"]).status == 0)
            try await client.execute(uri: "/v1/speakers", method: .get, headers: admin) { r in
                #expect(!r.text.contains(#""speaker":"high""#), "the server did not reload the folder: \(r.text)")
            }
            try await client.execute(
                uri: "/v1/speakers/Ana%20Mar%C3%ADa", method: .patch, headers: admin, body: ByteBuffer(string: #"{"name": "ana"}"#)
            ) { r in
                #expect(r.status == .ok, "\(r.text)")
            }
            try await client.execute(uri: "/v1/speakers/ana", method: .patch, headers: admin, body: ByteBuffer(string: #"{"name": "low"}"#)) { r in
                #expect(r.status == .conflict, "\(r.text)")
            }
            try await client.execute(uri: "/v1/speakers/ana", method: .delete, headers: admin) { r in
                #expect(r.status == .ok, "\(r.text)")
            }
            try await client.execute(uri: "/v1/speakers/ana", method: .delete, headers: admin) { r in
                #expect(r.status == .notFound, "\(r.text)")
                #expect(r.json?["error"] is String)
            }
        }
        #expect(Set(f.folderSnapshot().keys.filter { $0.hasSuffix(".gmm") }) == ["low.gmm", "mid.gmm"])
    }

    /// An enrolment through the server gives the model `speakerid enroll` and `enroll --add` give.
    @Test func enrolmentMatchesTheCLI() async throws {
        let f = try ServerFixture()
        defer { f.cleanup() }
        let cliModels = f.dir + "/cli-models"
        #expect(try Tool.run("speakerid", ["enroll", "--models", cliModels, "--ubm", f.ubm, "--speaker", "x", f.clip("high", 0), "-q"]).status == 0)
        #expect(
            try Tool.run("speakerid", ["enroll", "--models", cliModels, "--ubm", f.ubm, "--speaker", "x", "--add", f.clip("high", 1), "-q"]).status
                == 0)
        try await f.application(keys: nil).test(.live) { client in
            for i in 0..<2 {
                let audio = ByteBuffer(bytes: try Data(contentsOf: URL(fileURLWithPath: f.clip("high", i))))
                try await client.execute(uri: "/v1/speakers/x/audio", method: .post, body: audio) { r in
                    #expect(r.status == (i == 0 ? .created : .ok), "\(r.text)")
                }
            }
        }
        let served = try ModelStore(directory: f.models).load(try SpeakerName("x"))
        let cli = try ModelStore(directory: cliModels).load(try SpeakerName("x"))
        #expect(served.gmm.means == cli.gmm.means)
        #expect(served.training.frames == cli.training.frames)
    }

    @Test func keysAndScopes() async throws {
        let f = try ServerFixture()
        defer { f.cleanup() }
        let keys = try f.keys()
        try await f.application(keys: keys.path).test(.live) { client in
            try await client.execute(uri: "/healthz", method: .get) { r in #expect(r.status == .ok) }
            try await client.execute(uri: "/openapi.json", method: .get) { r in #expect(r.status == .ok) }
            try await client.execute(uri: "/v1/speakers", method: .get) { r in
                #expect(r.status == .unauthorized)
                #expect(r.json?["error"] is String)
            }
            try await client.execute(uri: "/v1/speakers", method: .get, headers: bearer("not-a-key")) { r in #expect(r.status == .unauthorized) }
            try await client.execute(uri: "/v1/speakers", method: .get, headers: [.authorization: "Basic abc"]) { r in
                #expect(r.status == .unauthorized)
            }
            try await client.execute(uri: "/v1/speakers", method: .get, headers: bearer(keys.use)) { r in #expect(r.status == .ok) }
            try await client.execute(uri: "/v1/speakers/low", method: .delete, headers: bearer(keys.use)) { r in
                #expect(r.status == .forbidden)
                #expect(r.json?["error"] is String)
            }
            try await client.execute(uri: "/metrics", method: .get, headers: bearer(keys.use)) { r in #expect(r.status == .forbidden) }
            try await client.execute(uri: "/metrics", method: .get, headers: bearer(keys.admin)) { r in #expect(r.status == .ok) }
        }
        #expect(f.folderSnapshot().keys.contains("low.gmm"))
    }

    @Test func keysFileParsing() throws {
        let k = APIKeys.newKey(scope: .admin)
        let keys = try APIKeys.parse("# comment\n\n  \(k.line)  \n", name: "keys")
        #expect(keys.scope(ofKey: k.key) == .admin)
        #expect(keys.scope(ofKey: k.key + "x") == nil)
        for bad in [
            "", "# only a comment", "root " + String(repeating: "a", count: 64), "use abc", "use " + String(repeating: "g", count: 64), "use",
        ] {
            #expect(throws: KeysFileError.self, "\(bad.debugDescription)") { try APIKeys.parse(bad, name: "keys") }
        }
        // The digest is SHA-256, as Python's hashlib computes it.
        #expect(APIKeys.digest("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(APIKeys.digest("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    /// Hostile and mistaken requests: every one a 4xx with one line of JSON naming the problem,
    /// and the models folder untouched.
    @Test func hostileRequestsAreRefusedWithJSON() async throws {
        let f = try ServerFixture()
        defer { f.cleanup() }
        let keys = try f.keys()
        let before = f.folderSnapshot()
        let admin = bearer(keys.admin)
        let audio = ByteBuffer(bytes: try Data(contentsOf: URL(fileURLWithPath: f.clip("low", 2))))
        let noise = ByteBuffer(bytes: (0..<5000).map { UInt8(truncatingIfNeeded: $0 &* 7919) })
        let big = ByteBuffer(repeating: 0x52, count: (1 << 20) + 10)
        var requests: [(String, HTTPRequest.Method, ByteBuffer?, HTTPFields)] = [
            ("/v1/identify", .get, nil, admin),
            ("/v1/identify", .put, audio, admin),
            ("/v1/identify", .post, nil, admin),
            ("/v1/identify", .post, ByteBuffer(string: "RIFF not really"), admin),
            ("/v1/identify", .post, noise, admin),
            ("/v1/identify", .post, big, admin),
            ("/v1/verify", .post, audio, admin),
            ("/v1/verify?speaker=nobody", .post, audio, admin),
            ("/v1/verify?speaker=", .post, audio, admin),
            ("/v1/verify?speaker=%2E%2E%2Flow", .post, audio, admin),
            ("/v1/speakers/low", .get, nil, admin),
            ("/v1/speakers/low", .post, audio, admin),
            ("/v1/speakers/low", .patch, nil, admin),
            ("/v1/speakers/low", .patch, ByteBuffer(string: "{not json"), admin),
            ("/v1/speakers/low", .patch, ByteBuffer(string: #"{"name": 3}"#), admin),
            ("/v1/speakers/low", .patch, ByteBuffer(string: #"{"name": ""}"#), admin),
            ("/v1/speakers/low", .patch, ByteBuffer(string: #"{"name": "a\nb"}"#), admin),
            ("/v1/speakers/low", .patch, ByteBuffer(string: #"{"name": "unknown"}"#), admin),
            ("/v1/speakers/nobody", .patch, ByteBuffer(string: #"{"name": "x"}"#), admin),
            ("/v1/speakers/nobody", .delete, nil, admin),
            ("/v1/speakers/%2E%2E", .delete, nil, admin),
            ("/v1/speakers/..%2F..%2Fetc%2Fpasswd", .delete, nil, admin),
            ("/v1/speakers/a%2Fb/audio", .post, noise, admin),
            ("/v1/speakers/%00/audio", .post, audio, admin),
            ("/v1/speakers/%0A/audio", .post, audio, admin),
            ("/v1/speakers/%FF%FE/audio", .post, audio, admin),
            ("/v1/speakers/%/audio", .post, audio, admin),
            ("/v1/speakers/x/audio", .post, nil, admin),
            ("/v1/speakers/x/audio", .post, noise, admin),
            ("/v1/speakers/x/audio", .post, big, admin),
            ("/v1/speakers/x/audio", .get, nil, admin),
            ("/v1/speakers/" + String(repeating: "n", count: 300) + "/audio", .post, audio, admin),
            ("/v1/nothing", .get, nil, admin),
            ("/index.htm", .get, nil, admin),
            ("/v1/track", .post, noise, admin),
            ("/v1/track", .get, nil, admin),
            ("/v1/jobs/nope", .get, nil, admin),
            ("/v1/stream", .get, nil, admin),
            ("/v1/stream?rate=16000", .get, nil, admin),
            ("/v1/speakers", .delete, nil, admin),
            ("/healthz", .post, nil, admin),
        ]
        requests.append(("/v1/speakers", .get, nil, [.authorization: "Bearer"]))
        requests.append(("/v1/speakers/x/audio", .post, audio, bearer(keys.use)))
        let all = requests
        try await f.application(keys: keys.path, settings: { $0.maxBodyBytes = 1 << 20 }).test(.live) { client in
            for (uri, method, body, headers) in all {
                try await client.execute(uri: uri, method: method, headers: headers, body: body) { r in
                    #expect((400..<500).contains(r.status.code), "\(method) \(uri): \(r.status) \(r.text)")
                    #expect(r.json?["error"] is String, "\(method) \(uri): \(r.text)")
                    #expect(r.text.filter { $0 == "\n" }.count == 1, "\(method) \(uri): not one line: \(r.text)")
                }
            }
        }
        #expect(f.folderSnapshot() == before, "a refused request changed the models folder")
    }

    @Test func limitsOnAudioLength() async throws {
        let f = try ServerFixture()
        defer { f.cleanup() }
        let audio = ByteBuffer(bytes: try Data(contentsOf: URL(fileURLWithPath: f.clip("low", 0))))
        try await f.application(keys: nil, settings: { $0.maxAudioSeconds = 2 }).test(.live) { client in
            try await client.execute(uri: "/v1/identify", method: .post, body: audio) { r in
                #expect(r.status == .contentTooLarge, "\(r.text)")
                #expect((r.json?["error"] as? String)?.contains("limit of 2 s") == true, "\(r.text)")
            }
        }
    }

    @Test func metricsCountRequestsAudioAndErrors() async throws {
        let f = try ServerFixture()
        defer { f.cleanup() }
        let audio = ByteBuffer(bytes: try Data(contentsOf: URL(fileURLWithPath: f.clip("low", 0))))
        try await f.application(keys: nil).test(.live) { client in
            try await client.execute(uri: "/v1/identify", method: .post, body: audio) { r in #expect(r.status == .ok) }
            try await client.execute(uri: "/v1/identify", method: .post, body: ByteBuffer(string: "x")) { r in #expect(r.status.code == 422) }
            try await client.execute(uri: "/metrics", method: .get) { r in
                #expect(r.status == .ok)
                #expect(r.headers[.contentType]?.hasPrefix("text/plain") == true)
                let text = r.text
                #expect(text.contains(#"speakerid_http_requests_total{route="/v1/identify",method="POST",status="200"} 1"#), "\(text)")
                #expect(text.contains(#"speakerid_http_requests_total{route="/v1/identify",method="POST",status="422"} 1"#), "\(text)")
                #expect(text.contains(#"speakerid_http_request_duration_seconds_bucket{route="/v1/identify",le="+Inf"} 2"#), "\(text)")
                #expect(text.contains(#"speakerid_errors_total{kind="not_audio"} 1"#), "\(text)")
                #expect(text.contains("speakerid_audio_seconds_total 4"), "\(text)")
                #expect(text.contains("# TYPE speakerid_http_request_duration_seconds histogram"))
            }
        }
    }

    /// The OpenAPI document the server serves parses and describes every route it has.
    @Test func openAPIDocumentListsEveryRoute() async throws {
        let f = try ServerFixture()
        defer { f.cleanup() }
        try await f.application(keys: nil).test(.live) { client in
            try await client.execute(uri: "/openapi.json", method: .get) { r in
                let doc = try #require(r.json)
                #expect(doc["openapi"] as? String == "3.1.0")
                let paths = try #require(doc["paths"] as? [String: [String: Any]])
                for route in Routes.all {
                    let item = try #require(paths[route.path], "\(route.path) is not in openapi.json")
                    for m in route.methods { #expect(item[m.lowercased()] != nil, "\(m) \(route.path) is not in openapi.json") }
                }
                #expect(Set(paths.keys) == Set(Routes.all.map(\.path)))
            }
        }
    }
}
