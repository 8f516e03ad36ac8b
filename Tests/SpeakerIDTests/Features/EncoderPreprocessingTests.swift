import Foundation
import Testing
@testable import SpeakerID
import SpeakerIDDemo

/// What the encoder's input goes through first (resemblyzer's preprocess_wav): quiet recordings
/// raised to -30 dBFS, loud ones left alone, silences longer than about 0.2 s cut.
struct EncoderPreprocessingTests {
    static let w = EncoderPreprocessing.windowSamples

    /// A waveform of 30-ms windows: each "1" a window of a 300-Hz tone at 0.3 (its phase running
    /// on across windows, so no two windows are alike), each "0" digital silence; then `tail`
    /// samples of tone that make no whole window.
    static func windows(_ flags: String, tail: Int = 0) -> [Float] {
        var out: [Float] = []
        for (k, c) in flags.enumerated() {
            for i in 0..<w { out.append(c == "1" ? Float(0.3 * sin(2 * Double.pi * 300 * Double(k * w + i) / 16000)) : 0) }
        }
        out += (0..<tail).map { Float(0.3 * sin(Double($0))) }
        return out
    }

    /// The windows of `wav` where `keep` is "1", concatenated.
    static func kept(_ wav: [Float], _ keep: String) -> [Float] {
        var out: [Float] = []
        for (k, c) in keep.enumerated() where c == "1" { out += wav[(k * w)..<((k + 1) * w)] }
        return out
    }

    static func rmsDB(_ x: [Float]) -> Double { 10 * log10(x.reduce(0) { $0 + Double($1) * Double($1) } / Double(x.count)) }

    @Test func silenceGivesNothing() throws {
        let p = EncoderPreprocessing()
        #expect(p.apply([]).isEmpty)
        #expect(p.apply([Float](repeating: 0, count: 32000)).isEmpty)
        var untrimmed = p
        untrimmed.trimSilence = false
        #expect(untrimmed.apply([Float](repeating: 0, count: 32000)).isEmpty, "digital silence is no speech even untrimmed")
        let encoder = try EncoderFile.decode(EncoderResources.smallEncoderFile(), name: "small")
        #expect(throws: EncoderError.tooLittleSpeech("quiet.wav", seconds: 0, minimum: 0.03)) {
            try encoder.embedding(ofSamples: [Float](repeating: 0, count: 48000), name: "quiet.wav")
        }
        let message = EncoderError.tooLittleSpeech("quiet.wav", seconds: 0, minimum: 0.03).description
        #expect(message.hasPrefix("quiet.wav: ") && !message.contains("\n"), "\(message)")
    }

    @Test func quietRecordingsAreRaisedToMinus30dBFSAndLoudOnesLeftAlone() {
        let speech = SyntheticSpeech.generate(seconds: 3, sampleRate: 16000, seed: 4, pitch: 150)
        let level = Self.rmsDB(speech)
        var p = EncoderPreprocessing()
        p.trimSilence = false
        for target in [-70.0, -50, -31] {
            let gain = Float(pow(10, (target - level) / 20))
            let quiet = speech.map { $0 * gain }
            let out = p.apply(quiet)
            #expect(out.count == quiet.count)
            #expect(abs(Self.rmsDB(out) - -30) < 0.01, "from \(target) dBFS: \(Self.rmsDB(out)) dBFS")
            // One gain for the whole recording.
            let ratios = zip(out, quiet).filter { abs($0.1) > 1e-3 }.map { Double($0.0 / $0.1) }
            #expect((ratios.max()! - ratios.min()!) < 1e-4 * ratios.max()!)
        }
        for target in [-29.0, -20, -6] {
            let gain = Float(pow(10, (target - level) / 20))
            let loud = speech.map { $0 * gain }
            #expect(p.apply(loud) == loud, "\(target) dBFS is left as it is")
        }
        // Trimming too raises the quiet ones: what it keeps is the raised waveform.
        let quiet = Self.windows(String(repeating: "1", count: 40)).map { $0 / 1000 }
        let trimmed = EncoderPreprocessing().apply(quiet)
        #expect(trimmed.count == quiet.count && abs(Self.rmsDB(trimmed) - -30) < 0.01)
    }

    // Speech, three seconds of silence, speech: the silence shrinks to the windows the
    // dilation keeps beside the speech (3 before it; after it 3, less the one the moving
    // average, 3 windows back and 4 ahead, takes off its end), at most 3 + 3; every window of
    // speech stays.
    @Test func longSilencesAreCutToAtMostSixWindows() {
        let run = String(repeating: "1", count: 40), gap = String(repeating: "0", count: 100)
        let wav = Self.windows(run + gap + run + gap + run, tail: 300)
        let out = EncoderPreprocessing().apply(wav)
        #expect(out.count % Self.w == 0)
        var longest = 0, current = 0
        for x in out {
            current = x == 0 ? current + 1 : 0
            longest = max(longest, current)
        }
        #expect(longest <= 6 * Self.w, "a silence of \(longest) samples is left")
        let keptGap = "11" + String(repeating: "0", count: 95) + "111"
        #expect(out == Self.kept(wav, run + keptGap + run + keptGap + run), "\(out.count / Self.w) windows kept")
        // Real-looking speech: pauses of 0.05-0.2 s inside it stay, 3 s of silence do not.
        let speech = SyntheticSpeech.generate(seconds: 2, sampleRate: 16000, seed: 9)
        let long = speech + [Float](repeating: 0, count: 48000) + speech
        let trimmed = EncoderPreprocessing().apply(long)
        #expect(trimmed.count < speech.count * 2 + 8 * Self.w && trimmed.count > speech.count, "\(trimmed.count) of \(long.count) samples kept")
    }

    // The smoothing and dilation are resemblyzer's: given the same voiced windows, the same
    // windows are kept (reference_encoder.py mask runs resemblyzer's numpy and scipy code).
    // Windows of tone or digital silence make the energy detector's flags exactly the pattern.
    @Test(.enabled(if: Python.has("numpy, scipy"), "needs python3 with numpy and scipy (pip install numpy scipy)"))
    func smoothingAndDilationAreResemblyzers() throws {
        var patterns = [
            "1", "10", "11111", "111110", "0000111110000", "111111111", "1111111100000000111",
            "1111100011111", "11111000011111", "111110000000111110000000011111", "0101010101010101010101",
        ]
        var r = SeededRandom(seed: 6)
        for _ in 0..<30 {
            var s = ""
            while s.count < 150 { s += String(repeating: r.next() % 2 == 0 ? "1" : "0", count: 1 + Int(r.next() % 14)) }
            patterns.append(s)
        }
        let lines = try Python.run([Python.referenceScript, "mask"] + patterns)
        try #require(lines.status == 0, "\(lines.stderr)")
        let masks = lines.stdout.split(separator: "\n").map(String.init)
        try #require(masks.count == patterns.count)
        var compared = 0
        for (flags, mask) in zip(patterns, masks) where mask.contains("1") {
            let wav = Self.windows(flags, tail: 200)
            #expect(EncoderPreprocessing().apply(wav) == Self.kept(wav, mask), "flags \(flags): resemblyzer keeps \(mask)")
            compared += 1
        }
        #expect(compared >= 25)
    }

    // Where resemblyzer's smoothing leaves nothing (speech under 5 of any 8 windows), it would
    // hand the encoder an empty waveform; SpeakerID keeps the voiced windows, dilated.
    @Test func speechTheSmoothingRemovesKeepsItsVoicedWindows() {
        let wav = Self.windows("0000000000" + "1111" + String(repeating: "0", count: 20))
        let out = EncoderPreprocessing().apply(wav)
        #expect(out == Self.kept(wav, "0000000" + String(repeating: "1", count: 10) + String(repeating: "0", count: 17)))
    }

    // The speech threshold: a stretch 45 dB below the loudest is silence at 40 dB, speech at 50.
    @Test func theSpeechThresholdDecidesWhatIsSilence() {
        let loud = Self.windows(String(repeating: "1", count: 20))
        let soft = Self.windows(String(repeating: "1", count: 40)).map { $0 * Float(pow(10, -45.0 / 20)) }
        let wav = loud + soft + loud
        var p = EncoderPreprocessing()
        #expect(
            p.apply(wav) == Self.kept(wav, String(repeating: "1", count: 22) + String(repeating: "0", count: 35) + String(repeating: "1", count: 23)))
        p.speechThresholdDB = 50
        #expect(p.apply(wav) == wav)
    }
}
