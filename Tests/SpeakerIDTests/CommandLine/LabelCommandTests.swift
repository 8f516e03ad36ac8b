import Foundation
import Testing
@testable import SpeakerID
import SpeakerIDDemo

/// `speakerid label`: names on a transcript's cues and on a diarization's anonymous speakers,
/// end to end through the tool on synthetic voices (a small random-weight encoder for the
/// encoder systems), each figure checked against another way of computing it.
struct LabelCommandTests {
    typealias Fixture = DVectorSystemCommandTests.Fixture

    /// A recording of turns (voice, seconds, seed) with 0.6 s of faint noise before each; the
    /// turns' times.
    static func conversation(_ turns: [(String, Double, UInt64)], to path: String) throws -> [(start: Double, end: Double, voice: String)] {
        let pitch = ["low": 90.0, "mid": 160.0, "high": 260.0, "other": 200.0]
        var x: [Float] = []
        var rng = SeededRandom(seed: 5)
        var times: [(Double, Double, String)] = []
        for (voice, seconds, seed) in turns {
            x += (0..<9600).map { _ in Float(rng.nextUnit() - 0.5) * 1e-4 }
            let start = Double(x.count) / 16000
            x += SyntheticSpeech.generate(seconds: seconds, sampleRate: 16000, seed: seed, pitch: pitch[voice] ?? 120)
            times.append((start, Double(x.count) / 16000, voice))
        }
        x += (0..<9600).map { _ in Float(rng.nextUnit() - 0.5) * 1e-4 }
        try AudioWriter.write(x, sampleRate: 16000, to: path)
        return times
    }

    static let turns: [(String, Double, UInt64)] = [("low", 3, 2), ("high", 2.5, 21), ("low", 2, 100), ("mid", 3, 12), ("high", 2, 101)]

    static func clock(_ t: Double) -> String { Transcript.clock(t) }

    /// The bytes of `path`'s samples from `start` to `end` seconds, written as a clip of its own.
    static func cut(_ path: String, _ start: Double, _ end: Double, to out: String) throws {
        let x = try AudioDecoder(path: path).readAll()
        try AudioWriter.write(Array(x[Int((start * 16000).rounded())..<Int((end * 16000).rounded())]), sampleRate: 16000, to: out)
    }

    /// Each cue of a WebVTT transcript is named from its own audio, exactly as identify names
    /// that stretch cut into a clip of its own; the transcript comes back as it was but for the
    /// voice spans, right-to-left and emoji text included; no decision contradicts its LLR.
    @Test func eachCueIsNamedAsIdentifyNamesItsAudio() throws {
        let f = try Fixture()
        defer { f.dir.cleanup() }
        let (ubm, models) = try f.adaptedWithEncoder()
        let cal = try f.calibration(.gmm, ubm: ubm, models: models)
        let talk = f.dir.file("talk.wav")
        let times = try Self.conversation(Self.turns, to: talk)
        let texts = ["سلام، حال شما چطور است؟ 😀", "first line\nsecond line", "שלום", "👩🏽‍💻 plain", "the end"]
        var vtt = "WEBVTT - meeting\n\nNOTE made by hand\n\n"
        for (i, t) in times.enumerated() {
            vtt += "cue-\(i)\n\(Self.clock(t.start)) --> \(Self.clock(t.end)) align:start\n\(texts[i])\n\n"
        }
        let input = f.dir.file("talk.vtt"), output = f.dir.file("named.vtt")
        try vtt.write(toFile: input, atomically: true, encoding: .utf8)
        let r = try CLI.run([
            "label", "--models", models, "--ubm", ubm, "--calibration", cal, "--transcript", input, "--audio", talk, "--out", output, "--json",
        ])
        #expect(r.status == 0, "\(r.stderr)")
        let o = try #require(CLI.jsonLines(r.stdout).first, "\(r.stdout)")
        let cues = try #require(o["cues"] as? [[String: Any]])
        let threshold = try #require(o["threshold"] as? Double)
        #expect(cues.count == times.count && (o["clusters"] as? [Any])?.isEmpty == true && o["system"] as? String == "gmm")
        let named = try Transcript.parse(Array(try Data(contentsOf: URL(fileURLWithPath: output))), name: output)
        #expect(named.cues.map(\.text) == texts, "the cues' text is kept")
        for (i, cue) in cues.enumerated() {
            let llr = try #require(cue["llr"] as? Double)
            // No decision against its own LLR.
            #expect((cue["decision"] as? String == "accepted") == (llr >= threshold), "\(cue)")
            #expect(named.cues[i].speaker == cue["label"] as? String)
            #expect((cue["label"] as? String == "unknown") == (cue["speaker"] is NSNull), "\(cue)")
            // identify on the cue's audio cut into a clip gives the same decision and LLR.
            let clip = f.dir.file("cue\(i).wav")
            try Self.cut(talk, times[i].start, times[i].end, to: clip)
            let id = try CLI.run(["identify", "--models", models, "--ubm", ubm, "--calibration", cal, "--json", clip])
            let j = try #require(CLI.jsonLines(id.stdout).first, "\(id.stderr)")
            #expect(abs((j["llr"] as? Double ?? .nan) - llr) < 1e-6 * max(1, abs(llr)), "cue \(i): \(cue) vs identify \(j)")
            #expect(j["decision"] as? String == cue["decision"] as? String && j["speaker"] as? String == cue["speaker"] as? String)
            #expect(abs((j["speech_seconds"] as? Double ?? .nan) - (cue["speech_seconds"] as? Double ?? 0)) < 1e-3)
        }
        // Most turns' best speaker is right (synthetic voices are easy; the check is the plumbing).
        let right = zip(cues, times).filter { $0.0["best_speaker"] as? String == $0.1.voice }.count
        #expect(right >= 4, "\(cues)")
        // Without the voice spans the output is the input, byte for byte.
        let stripped = try String(contentsOfFile: output, encoding: .utf8).replacingOccurrences(
            of: "<v [^>]*>", with: "", options: .regularExpression)
        #expect(stripped == vtt)
    }

    /// With a diarization, each anonymous speaker is named as a whole from all its turns: the
    /// LLR is the calibration's of the frame-weighted mean of identify's scores of its turns
    /// (statistics pooled, not decisions averaged), one name per anonymous speaker at most, and
    /// the RTTM comes back with names.
    @Test func anonymousSpeakersAreNamedAsWholes() throws {
        let f = try Fixture()
        defer { f.dir.cleanup() }
        let (ubm, models) = try f.adaptedWithEncoder()
        let cal = try f.calibration(.gmm, ubm: ubm, models: models)
        let talk = f.dir.file("talk.wav")
        let times = try Self.conversation(Self.turns, to: talk)
        let anonymous = ["low": "SPEAKER_00", "high": "SPEAKER_01", "mid": "SPEAKER_02"]
        let rttm = times.map { RTTM.line(file: "talk", start: $0.start, duration: $0.end - $0.start, label: anonymous[$0.voice] ?? "") + "\n" }
        let input = f.dir.file("talk.rttm"), output = f.dir.file("named.rttm")
        try rttm.joined().write(toFile: input, atomically: true, encoding: .utf8)
        let r = try CLI.run([
            // -1: the synthetic voices' calibration is weak, and each cluster's open-set
            // identification LLR is its LLR less about log 3.
            "label", "--models", models, "--ubm", ubm, "--calibration", cal, "--diarization", input, "--audio", talk, "--out", output, "--json",
            "--threshold", "-1",
        ])
        #expect(r.status == 0, "\(r.stderr)")
        let o = try #require(CLI.jsonLines(r.stdout).first, "\(r.stdout)")
        let clusters = try #require(o["clusters"] as? [[String: Any]])
        #expect(clusters.map { $0["cluster"] as? String } == ["SPEAKER_00", "SPEAKER_01", "SPEAKER_02"] && o["cues"] == nil)
        let calibration = try Calibration.load(path: cal)
        let store = ModelStore(directory: models)
        for c in clusters {
            let name = try #require(c["cluster"] as? String)
            let voice = try #require(anonymous.first { $0.value == name }?.key)
            // identify's scores of each of the cluster's turns, cut into clips.
            var sums: [String: Double] = [:]
            var speech = 0.0
            for (i, t) in times.enumerated() where t.voice == voice {
                let clip = f.dir.file("turn\(i).wav")
                try Self.cut(talk, t.start, t.end, to: clip)
                let id = try CLI.run(["identify", "--models", models, "--ubm", ubm, "--top", "3", "--json", clip])
                let j = try #require(CLI.jsonLines(id.stdout).first, "\(id.stderr)")
                let seconds = try #require(j["speech_seconds"] as? Double)
                for e in j["ranking"] as? [[String: Any]] ?? [] {
                    sums[e["speaker"] as? String ?? "", default: 0] += (e["score"] as? Double ?? .nan) * seconds
                }
                speech += seconds
            }
            let ranking = try #require(c["ranking"] as? [[String: Any]])
            let llrs = Dictionary(uniqueKeysWithValues: ranking.map { ($0["speaker"] as? String ?? "", $0["llr"] as? Double ?? .nan) })
            #expect(zip(ranking, ranking.dropFirst()).allSatisfy { ($0["llr"] as? Double ?? 0) >= ($1["llr"] as? Double ?? 0) })
            #expect(llrs.count == 3 && abs((c["speech_seconds"] as? Double ?? 0) - speech) < 2e-3, "\(c)")
            for (speaker, llr) in llrs {
                let enrol = try store.load(try SpeakerName(speaker)).training.speechSeconds
                let expected = calibration.llr(score: (sums[speaker] ?? .nan) / speech, testSeconds: speech, enrolSeconds: enrol)
                #expect(abs(llr - expected) < 1e-6 * max(1, abs(llr)), "\(name), \(speaker): \(llr) vs \(expected)")
            }
            // Decided on the open-set identification LLR: each speaker's LLR against every
            // other enrolled speaker and nobody enrolled, at the prior (computed here from the
            // ranking's LLRs by its definition).
            let prior = try #require(o["prior"] as? Double)
            for e in ranking {
                let l = e["llr"] as? Double ?? .nan
                let others = ranking.filter { ($0["speaker"] as? String) != (e["speaker"] as? String) }.map { exp($0["llr"] as? Double ?? .nan) }
                let expected = l - log(Double(ranking.count) + prior / (1 - prior) * others.reduce(0, +))
                #expect(abs((e["open_set_llr"] as? Double ?? .nan) - expected) < 1e-9, "\(e)")
            }
            #expect(c["label"] as? String == voice && c["decision"] as? String == "accepted", "\(c)")
            #expect((c["open_set_llr"] as? Double ?? .nan) >= (o["threshold"] as? Double ?? .infinity), "\(c)")
            #expect(
                abs((c["posterior"] as? Double ?? .nan) - DecisionCosts(prior: prior).posterior(llr: c["open_set_llr"] as? Double ?? .nan)) < 1e-12)
        }
        let named = try RTTM.read(path: output)
        #expect(named.map(\.label) == times.map(\.voice) && named.allSatisfy { $0.file == "talk" })
    }

    /// A whisperX transcript whose segments carry anonymous speakers is named by speaker, with
    /// the encoder systems too; a speaker of nobody enrolled stays unknown-1; a cue over a
    /// pause has too little speech and is left without a speaker, and says so.
    @Test func whisperXSpeakersAreNamedByTheEncoderSystems() throws {
        let f = try Fixture()
        defer { f.dir.cleanup() }
        let (ubm, models) = try f.adaptedWithEncoder()
        let talk = f.dir.file("talk.wav")
        let times = try Self.conversation(Self.turns + [("other", 3, 7)], to: talk)
        let labels = ["low": "SPEAKER_00", "high": "SPEAKER_01", "mid": "SPEAKER_02", "other": "SPEAKER_03"]
        var segments = times.map { t -> [String: Any] in
            ["start": t.start, "end": t.end, "text": " words", "speaker": labels[t.voice] ?? "", "words": [["word": "words"]]]
        }
        // A cue shorter than the minimum speech, in the faint noise before the first turn.
        segments.insert(["start": 0.05, "end": 0.2, "text": " (noise)"], at: 0)
        let input = f.dir.file("talk.json")
        try JSONSerialization.data(withJSONObject: ["segments": segments, "language": "en"]).write(to: URL(fileURLWithPath: input))
        for system in ["fusion", "dvector"] {
            let cal = try f.calibration(system == "fusion" ? .fusion : .dvector, ubm: ubm, models: models)
            let out = f.dir.file("named-\(system).json")
            let r = try CLI.run(
                ["label", "--models", models] + (system == "fusion" ? ["--ubm", ubm] : []) + [
                    "--system", system, "--encoder", f.encoder, "--calibration", cal, "--transcript", input, "--audio", talk,
                    "--out", out, "--json", "--threshold", "0",
                ])
            #expect(r.status == 0, "\(r.stderr)")
            let o = try #require(CLI.jsonLines(r.stdout).first, "\(r.stdout)")
            let clusters = try #require(o["clusters"] as? [[String: Any]])
            #expect(clusters.count == 4, "\(clusters)")
            let names = clusters.compactMap { $0["speaker"] as? String }
            #expect(Set(names).count == names.count, "one name per anonymous speaker at most: \(clusters)")
            for c in clusters {
                let label = c["label"] as? String ?? ""
                #expect(c["speaker"] is NSNull ? label.hasPrefix("unknown-") : label == c["speaker"] as? String, "\(c)")
                if let llr = c["llr"] as? Double, c["decision"] as? String == "accepted" { #expect(llr >= 0) }
            }
            let cues = try #require(o["cues"] as? [[String: Any]])
            #expect(cues[0]["decision"] as? String == "too_short" && cues[0]["label"] is NSNull && cues[0]["cluster"] is NSNull, "\(cues[0])")
            #expect(r.stderr.contains("left without a speaker"), "\(r.stderr)")
            // The JSON written back: speakers replaced by the labels, everything else kept.
            let back = try #require(
                try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out))) as? [String: Any])
            let written = try #require(back["segments"] as? [[String: Any]])
            #expect(back["language"] as? String == "en" && written.count == segments.count)
            #expect(written[0]["speaker"] == nil && (written[1]["words"] as? [Any])?.count == 1)
            for (w, cue) in zip(written.dropFirst(), cues.dropFirst()) { #expect(w["speaker"] as? String == cue["label"] as? String) }
            #expect(cues.dropFirst().allSatisfy { $0["cluster"] is String })
        }
    }

    /// Bad input: one line naming the file and line, exit 1, nothing written.
    @Test func badInputIsRefusedNamingFileAndLineAndWritesNothing() throws {
        let f = try Fixture()
        defer { f.dir.cleanup() }
        let (ubm, models) = try f.adaptedWithEncoder()
        let cal = try f.calibration(.gmm, ubm: ubm, models: models)
        let talk = f.dir.file("talk.wav")
        _ = try Self.conversation(Array(Self.turns.prefix(2)), to: talk)
        let out = f.dir.file("out.vtt")
        func refused(_ name: String, _ content: [UInt8], _ mentions: String, diarization: Bool = false) throws {
            let path = f.dir.file(name)
            try Data(content).write(to: URL(fileURLWithPath: path))
            let r = try CLI.run(
                ["label", "--models", models, "--ubm", ubm, "--calibration", cal, diarization ? "--diarization" : "--transcript", path]
                    + ["--audio", talk, "--out", out])
            let lines = r.stderr.split(separator: "\n")
            #expect(r.status == 1 && lines.count == 1 && r.stderr.contains(mentions), "\(name): \(r.status) \(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: out), "\(name): an output was written")
        }
        let vtt = "WEBVTT\n\n"
        try refused("late.vtt", Array((vtt + "00:00.500 --> 00:02.000\na\n\n00:09.000 --> 01:00.000\nb\n").utf8), "late.vtt:6: the turn ends")
        try refused("overlap.vtt", Array((vtt + "00:00.500 --> 00:02.000\na\n\n00:01.000 --> 00:03.000\nb\n").utf8), "overlap.vtt:6:")
        try refused("empty.vtt", Array((vtt + "00:01.000 --> 00:01.000\na\n").utf8), "empty.vtt:3:")
        try refused("time.srt", Array("1\n00:00:1,000 --> 00:00:02,000\na\n".utf8), "time.srt:2:")
        try refused("latin1.srt", [0x31, 0x0A] + Array("00:00:01,000 --> 00:00:02,000\n".utf8) + [0xE9, 0x0A], "latin1.srt: not UTF-8")
        try refused("other.rttm", Array("SPEAKER meeting 1 0.5 1.0 <NA> <NA> A <NA> <NA>\n".utf8), "other.rttm:1:", diarization: true)
        try refused(
            "late.rttm", Array("SPEAKER talk 1 0.5 1.0 <NA> <NA> A <NA> <NA>\nSPEAKER talk 1 30 1.0 <NA> <NA> B <NA> <NA>\n".utf8), "late.rttm:2:",
            diarization: true)
        // The output may not be an input.
        let vttPath = f.dir.file("ok.vtt")
        try (vtt + "00:00.700 --> 00:02.000\na\n").write(toFile: vttPath, atomically: true, encoding: .utf8)
        let same = try CLI.run([
            "label", "--models", models, "--ubm", ubm, "--calibration", cal, "--transcript", vttPath, "--audio", talk, "--out", vttPath,
        ])
        let kept = try String(contentsOfFile: vttPath, encoding: .utf8)
        #expect(same.status != 0 && same.stderr.contains("the transcript") && kept.hasSuffix("a\n"), "\(same.stderr)")
        // A calibration is required; the GMM system needs the UBM.
        let noCal = try CLI.run(["label", "--models", models, "--ubm", ubm, "--transcript", vttPath, "--audio", talk])
        #expect(noCal.status == 64 && noCal.stderr.contains("--calibration"), "\(noCal.stderr)")
    }
}
