import Foundation
import Hummingbird
import HummingbirdTesting
import SpeakerID
import SpeakerIDDemo
import Testing

@testable import speakerid_server

/// The server with `--system dvector` and `fusion` (a small random-weight speaker encoder):
/// answers byte for byte as `speakerid`'s with the same system, enrolments that keep the
/// d-vector exact, and refusals at start.
@Suite(.serialized)
struct EncoderSystemsTests {
    /// Three voices enrolled with an encoder (as DVectorSystemCommandTests' corpus: 3-s clips,
    /// two to enrol and one to test each), and calibrations of the two encoder systems made by
    /// `speakerid calibrate` on held-out halves of the enrolment.
    struct EncoderFolder {
        let f: ServerFixture
        var encoder: String { f.dir + "/test.encoder" }
        var corpus: String { f.dir + "/dv-corpus" }
        var models: String { f.dir + "/dv-models" }
        var ubm: String { f.dir + "/dv-ubm.gmm" }
        func clip(_ voice: String, _ i: Int) -> String { corpus + "/\(voice)/\(i).wav" }
        func calibration(_ system: ScoringSystem) -> String { f.dir + "/\(system.rawValue).cal" }

        init() throws {
            f = try ServerFixture()
            var protocolText = "speaker\tpath\tsplit\n"
            for (i, (name, pitch)) in [("low", 90.0), ("mid", 160.0), ("high", 260.0)].enumerated() {
                try FileManager.default.createDirectory(atPath: corpus + "/" + name, withIntermediateDirectories: true)
                for j in 0..<3 {
                    let x = SyntheticSpeech.generate(seconds: 3, sampleRate: 16000, seed: UInt64(i * 10 + j), pitch: pitch)
                    try AudioWriter.write(x, sampleRate: 16000, to: corpus + "/\(name)/\(j).wav")
                    protocolText += "\(name)\t\(name)/\(j).wav\t\(j < 2 ? "enroll" : "test")\n"
                }
            }
            try protocolText.write(toFile: corpus + "/protocol.tsv", atomically: true, encoding: .utf8)
            try Data(SyntheticEncoder.file()).write(to: URL(fileURLWithPath: encoder))
            let runs: [[String]] =
                [
                    ["train-ubm", "--corpus", corpus + ":enroll", "--components", "8", "--out", ubm, "-q"],
                    ["enroll", "--models", models, "--ubm", ubm, "--corpus", corpus, "--split", "enroll", "--encoder", encoder, "-q"],
                ]
                + [ScoringSystem.dvector, .fusion].map { s in
                    [
                        "calibrate", "--models", models, "--ubm", ubm, "--system", s.rawValue, "--encoder", encoder, "--corpus",
                        corpus + ":enroll", "--segment-seconds", "0.5", "--quality", "none", "--out", calibration(s),
                    ]
                }
            for args in runs {
                let r = try Tool.run("speakerid", args)
                guard r.status == 0 else { throw FixtureFailure(description: "\(args[0]): \(r.stderr)") }
            }
        }

        func settings(_ system: ScoringSystem) -> (inout ServerSettings) -> Void {
            { s in
                s.models = models
                s.ubmPath = ubm
                s.system = system
                s.encoderPath = encoder
                s.calibrationPath = calibration(system)
            }
        }

        /// `speakerid`'s options for the same system on the same folder.
        func cli(_ system: ScoringSystem) -> [String] {
            ["--models", models, "--system", system.rawValue, "--encoder", encoder, "--calibration", calibration(system)]
                + (system == .dvector ? [] : ["--ubm", ubm])
        }
    }

    @Test(arguments: [ScoringSystem.dvector, .fusion])
    func identifyVerifyAndTrackAnswerAsTheCLI(system: ScoringSystem) async throws {
        let e = try EncoderFolder()
        defer { e.f.cleanup() }
        let clip = e.clip("mid", 2)
        let wav = e.f.dir + "/conversation.wav"
        try AudioWriter.write(conversation(), sampleRate: 16000, to: wav)
        let identify = try Tool.run("speakerid", ["identify"] + e.cli(system) + ["--json", clip])
        let verify = try Tool.run("speakerid", ["verify"] + e.cli(system) + ["--speaker", "low", "--json", clip])
        let track = try Tool.run("speakerid", ["track"] + e.cli(system).filter { $0 != "--ubm" && $0 != e.ubm } + ["--ubm", e.ubm, "--json", wav])
        let raw = e.f.dir + "/conversation.raw"
        try Data(pcm16(conversation())).write(to: URL(fileURLWithPath: raw))
        let stream = try Tool.run(
            "speakerid",
            ["track"] + e.cli(system).filter { $0 != "--ubm" && $0 != e.ubm }
                + ["--ubm", e.ubm, "--stream", "--raw", "16000", "--idle-timeout", "0.2", "--json", raw])
        for r in [identify, verify, track, stream] { #expect(r.status == 0, "\(r.stderr)") }
        #expect(identify.stdout.contains(#""system":"\#(system.rawValue)""#) && identify.stdout.contains(#""llr":"#), "\(identify.stdout)")
        let audio = ByteBuffer(bytes: try Data(contentsOf: URL(fileURLWithPath: clip)))
        let recording = ByteBuffer(bytes: try Data(contentsOf: URL(fileURLWithPath: wav)))
        let clipName = clip.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        let wavName = wav.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        try await e.f.application(keys: nil, settings: e.settings(system)).test(.live) { client in
            try await client.execute(uri: "/v1/identify?file=\(clipName)", method: .post, body: audio) { r in
                #expect(r.status == .ok)
                #expect(r.text == identify.stdout, "server: \(r.text)\nCLI:    \(identify.stdout)")
            }
            try await client.execute(uri: "/v1/verify?speaker=low&file=\(clipName)", method: .post, body: audio) { r in
                #expect(r.status == .ok)
                #expect(r.text == verify.stdout, "server: \(r.text)\nCLI:    \(verify.stdout)")
            }
            try await client.execute(uri: "/v1/track?file=\(wavName)", method: .post, body: recording) { r in
                #expect(r.status == .ok)
                #expect(r.text == track.stdout, "server: \(r.text)\nCLI:    \(track.stdout)")
            }
            // The live stream's segments and decisions are track --stream's with the same system
            // (the server adds each one's posterior, and latencies differ).
            let port = try #require(client.port)
            let bytes = pcm16(conversation())
            let (texts, code) = try await onThread {
                let ws = try RawWebSocket(port: port, path: "/v1/stream?rate=16000")
                for start in stride(from: 0, to: bytes.count, by: 640) { try ws.sendBinary(Array(bytes[start..<min(bytes.count, start + 640)])) }
                try ws.sendText("end")
                return try ws.textsUntilClose()
            }
            #expect(code == 1000)
            func comparable(_ lines: [String]) -> [String] {
                lines.filter { !$0.contains(#""event":"end""#) }.map {
                    $0.replacingOccurrences(of: #""latency_seconds":[0-9.e-]+,"#, with: "", options: .regularExpression)
                        .replacingOccurrences(of: #","posterior":[0-9.e-]+"#, with: "", options: .regularExpression)
                        .replacingOccurrences(of: #""posterior":[0-9.e-]+,"#, with: "", options: .regularExpression)
                }
            }
            let cliEvents = comparable(stream.stdout.split(separator: "\n").map(String.init))
            #expect(!cliEvents.isEmpty && comparable(texts) == cliEvents, "server:\n\(texts.joined(separator: "\n"))\nCLI:\n\(stream.stdout)")
            #expect(texts.contains { $0.contains(#""posterior":"#) })
        }
    }

    /// Enrolment through a server with the encoder gives the speaker the d-vector `speakerid
    /// enroll --encoder` (then `--add`) gives; without the encoder, audio is not added to a
    /// speaker who has one, and with an encoder system not to a speaker who has none.
    @Test func enrolmentKeepsTheDVectorExact() async throws {
        let e = try EncoderFolder()
        defer { e.f.cleanup() }
        let cliModels = e.f.dir + "/cli-models"
        for (i, extra) in [[], ["--add"]].enumerated() {
            let r = try Tool.run(
                "speakerid",
                ["enroll", "--models", cliModels, "--ubm", e.ubm, "--encoder", e.encoder, "--speaker", "x"] + extra + [e.clip("high", i), "-q"])
            #expect(r.status == 0, "\(r.stderr)")
        }
        let clips = try (0..<2).map { ByteBuffer(bytes: try Data(contentsOf: URL(fileURLWithPath: e.clip("high", $0)))) }
        try await e.f.application(keys: nil, settings: e.settings(.fusion)).test(.live) { client in
            for i in 0..<2 {
                try await client.execute(uri: "/v1/speakers/x/audio", method: .post, body: clips[i]) { r in
                    #expect(r.status == (i == 0 ? .created : .ok), "\(r.text)")
                    #expect(r.json?["dvector"] as? Bool == true && r.json?["warning"] == nil, "\(r.text)")
                }
            }
        }
        let served = try ModelStore(directory: e.models).load(try SpeakerName("x"))
        let cli = try ModelStore(directory: cliModels).load(try SpeakerName("x"))
        #expect(served.dvector != nil && served.dvector == cli.dvector)
        #expect(served.gmm.means == cli.gmm.means)

        // A server without the encoder refuses to add audio to a speaker with a d-vector.
        let before = try Data(contentsOf: URL(fileURLWithPath: e.models + "/x.gmm"))
        try await e.f.application(
            keys: nil,
            settings: { s in
                s.models = e.models
                s.ubmPath = e.ubm
            }
        ).test(.live) { client in
            try await client.execute(uri: "/v1/speakers/x/audio", method: .post, body: clips[0]) { r in
                #expect(r.status == .conflict && (r.json?["error"] as? String)?.contains("d-vector") == true, "\(r.text)")
            }
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: e.models + "/x.gmm")) == before)

        // The fixture's own speakers have no d-vector: a d-vector server refuses to add to them,
        // and says why it cannot score that folder.
        let fixtureFolder = e.f.folderSnapshot()
        try await e.f.application(
            keys: nil,
            settings: { s in
                e.settings(.dvector)(&s)
                (s.models, s.ubmPath) = (e.f.models, e.f.ubm)
            }
        ).test(.live) { client in
            try await client.execute(uri: "/v1/speakers/low/audio", method: .post, body: clips[0]) { r in
                #expect(r.status == .conflict && (r.json?["error"] as? String)?.contains("without the speaker encoder") == true, "\(r.text)")
            }
            try await client.execute(uri: "/v1/identify", method: .post, body: clips[0]) { r in
                #expect(r.status == .conflict && (r.json?["error"] as? String)?.contains("d-vector") == true, "\(r.text)")
            }
            try await client.execute(uri: "/v1/verify?speaker=low", method: .post, body: clips[0]) { r in
                #expect(r.status == .conflict && (r.json?["error"] as? String)?.contains("\"low\"") == true, "\(r.text)")
            }
            // The folder can still be listed (and its speakers renamed or removed).
            try await client.execute(uri: "/v1/speakers", method: .get) { r in
                #expect(r.status == .ok && (r.json?["speakers"] as? [[String: Any]])?.count == 3, "\(r.text)")
            }
        }
        #expect(e.f.folderSnapshot() == fixtureFolder, "a refused request changed the models folder")

        // A gmm server with the encoder adds audio to a speaker enrolled without it, and says
        // the speaker still has no d-vector.
        try await e.f.application(
            keys: nil,
            settings: { s in
                (s.models, s.ubmPath, s.encoderPath) = (e.f.models, e.f.ubm, e.encoder)
            }
        ).test(.live) { client in
            try await client.execute(uri: "/v1/speakers/low/audio", method: .post, body: clips[0]) { r in
                #expect(r.status == .ok && r.json?["dvector"] as? Bool == false, "\(r.text)")
                #expect((r.json?["warning"] as? String)?.contains("no d-vector") == true, "\(r.text)")
            }
        }
    }

    /// The encoder systems need the encoder and a calibration of that system.
    @Test func refusedAtStartWithoutWhatTheSystemNeeds() throws {
        let e = try EncoderFolder()
        defer { e.f.cleanup() }
        func refusal(_ edit: (inout ServerSettings) -> Void) -> String {
            var s = ServerSettings(models: e.models, ubmPath: e.ubm)
            edit(&s)
            do {
                _ = try SpeakerFolder(settings: s)
                return ""
            } catch { return error.description }
        }
        #expect(refusal { e.settings(.fusion)(&$0) } == "")
        #expect(
            refusal {
                e.settings(.fusion)(&$0)
                $0.calibrationPath = nil
            }.contains("calibrated LLRs"))
        #expect(
            refusal {
                e.settings(.fusion)(&$0)
                $0.encoderPath = nil
            }.contains("speaker encoder"))
        #expect(
            refusal {
                e.settings(.fusion)(&$0)
                $0.calibrationPath = e.calibration(.dvector)
            }.contains("dvector system"))
        #expect(
            refusal {
                e.settings(.dvector)(&$0)
                $0.encoderPath = e.f.dir + "/none.encoder"
            }.contains("none.encoder"))
        // The executable says the same in one line, before anything starts.
        let r = try Tool.run("speakerid-server", ["--models", e.models, "--ubm", e.ubm, "--system", "fusion", "--encoder", e.encoder, "--no-auth"])
        #expect(r.status != 0 && r.stderr.contains("--calibration"), "\(r.stderr)")
    }
}
