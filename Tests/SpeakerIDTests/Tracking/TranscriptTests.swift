import Foundation
import Testing
@testable import SpeakerID

/// Transcripts read and written back: WebVTT and SRT byte for byte, speakers added the way
/// each format writes them, and every malformed file refused naming its line.
struct TranscriptTests {
    static let vtt = """
        WEBVTT - a meeting

        NOTE written by hand,
        over two lines

        STYLE
        ::cue { color: yellow }

        intro
        00:00:01.000 --> 00:00:02.500 align:start position:10%
        <v Bob>Hello there,
        two lines

        00:02.500 --> 00:04.000
        سلام، حال شما چطور است؟ 😀

        03
        01:02:03.456 --> 01:02:04.000
        <v.loud Carol>👩🏽‍💻 مرحبا

        """

    @Test func webVTTRoundTripsByteForByteAndTakesSpeakers() throws {
        for text in [Self.vtt, Self.vtt.replacingOccurrences(of: "\n", with: "\r\n"), "\u{FEFF}" + Self.vtt] {
            let t = try Transcript.parse(Array(text.utf8), name: "m.vtt")
            #expect(t.format == .webVTT && t.cues.count == 3)
            #expect(t.text() == text, "not written back as read")
            #expect(t.cues.map(\.speaker) == ["Bob", nil, "Carol"])
            #expect(t.cues[0].start == 1 && t.cues[0].end == 2.5 && t.cues[1].start == 2.5 && abs(t.cues[2].start - 3723.456) < 1e-9)
            #expect(t.cues[0].text == "Hello there,\ntwo lines" && t.cues[1].text == "سلام، حال شما چطور است؟ 😀")
            #expect(t.cues.map(\.line) == [9, 14, 17])
            var named = t
            named.cues[0].speaker = "Alice"
            named.cues[1].speaker = "Dana"
            let out = named.text()
            #expect(out.contains("<v Alice>Hello there,") && !out.contains("<v Bob>"))
            #expect(out.contains("<v Dana>سلام، حال شما چطور است؟ 😀"))
            #expect(out.contains("<v.loud Carol>👩🏽‍💻 مرحبا"), "an unchanged voice span stays as written")
            let again = try Transcript.parse(Array(out.utf8), name: "m.vtt")
            #expect(again.cues.map(\.speaker) == ["Alice", "Dana", "Carol"] && again.cues.map(\.text) == t.cues.map(\.text))
        }
    }

    @Test func srtRoundTripsAndTakesANamePrefix() throws {
        let srt =
            "1\n00:00:01,000 --> 00:00:02,000\nSPEAKER_00: שלום עולם\n\n2\n00:00:02,500 --> 00:00:04,000\nno speaker here: a colon\nsecond line 🎉\n"
        let t = try Transcript.parse(Array(srt.utf8), name: "x.srt")
        #expect(t.format == .srt && t.text() == srt)
        #expect(t.cues.map(\.speaker) == ["SPEAKER_00", nil] && t.cues[0].text == "שלום עולם")
        #expect(t.cues[1].text == "no speaker here: a colon\nsecond line 🎉")
        var named = t
        named.cues[0].speaker = "Alice"
        named.cues[1].speaker = "Bob"
        #expect(
            named.text()
                == "1\n00:00:01,000 --> 00:00:02,000\nAlice: שלום עולם\n\n2\n00:00:02,500 --> 00:00:04,000\nBob: no speaker here: a colon\nsecond line 🎉\n"
        )
    }

    @Test func whisperJSONKeepsItsKeysAndGainsSpeakers() throws {
        let json =
            #"{"text": " hi ✓", "language": "fa", "segments": [{"id": 0, "start": 0.0, "end": 1.5, "text": " سلام 😀", "words": []}, {"id": 1, "start": 1.5, "end": 3, "text": " bye", "speaker": "SPEAKER_01"}]}"#
        let t = try Transcript.parse(Array(json.utf8), name: "w.json")
        #expect(t.format == .whisperJSON && t.cues.map(\.speaker) == [nil, "SPEAKER_01"] && t.cues[0].text == " سلام 😀")
        var named = t
        named.cues[0].speaker = "Alice"
        let o = try #require(try JSONSerialization.jsonObject(with: Data(named.text().utf8)) as? [String: Any])
        let segments = try #require(o["segments"] as? [[String: Any]])
        #expect(segments[0]["speaker"] as? String == "Alice" && segments[1]["speaker"] as? String == "SPEAKER_01")
        #expect(segments[0]["text"] as? String == " سلام 😀" && o["language"] as? String == "fa" && segments[0]["words"] is [Any])
    }

    @Test func malformedFilesAreRefusedNamingTheLine() {
        let cases: [(String, String, String)] = [
            ("a.vtt", "WEBVTT\n\n00:00:01.000 --> 00:00:0x.000\nhi\n", "a.vtt:3: malformed timestamp"),
            ("a.vtt", "WEBVTT\n\n00:00:02.000 --> 00:00:02.000\nhi\n", "a.vtt:3: the cue ends"),
            ("a.vtt", "WEBVTT\n\n00:00:03.000 --> 00:00:02.000\nhi\n", "a.vtt:3: the cue ends"),
            ("a.vtt", "WEBVTT\n\n00:00:01.000 --> 00:00:03.000\nhi\n\n00:00:02.000 --> 00:00:04.000\nho\n", "a.vtt:6: the cue starts"),
            ("a.vtt", "WEBVT\n\n00:00:01.000 --> 00:00:03.000\nhi\n", "a.vtt:1:"),
            ("a.vtt", "WEBVTT\n\njust text\n", "a.vtt:3: a cue without a timing line"),
            ("a.vtt", "WEBVTT\n\n00:00:61.000 --> 00:01:03.000\nhi\n", "a.vtt:3: malformed timestamp"),
            ("b.srt", "1\n00:00:01.000 --> 00:00:02,000\nhi\n", "b.srt:2: malformed timestamp"),
            ("b.srt", "one\n00:00:01,000 --> 00:00:02,000\nhi\n", "b.srt:1:"),
            ("c.json", #"{"segments": [{"start": 1, "text": "x"}]}"#, "c.json:1: segment 1 lacks"),
            ("c.json", "[1, 2]", "c.json:1: not a JSON object"),
            ("c.json", #"{"segments": [{"start": 1, "end": 2, "text": "x"}, {"start": 1.5, "end": 3, "text": "y"}]}"#, "c.json:2: the cue starts"),
            ("d.txt", "hello", "d.txt: not WebVTT"),
        ]
        for (name, text, needle) in cases {
            do {
                _ = try Transcript.parse(Array(text.utf8), name: name)
                Issue.record("\(name) \(text.debugDescription) was accepted")
            } catch {
                #expect("\(error)".hasPrefix(needle), "\(error)")
                #expect(!"\(error)".contains("\n"))
            }
        }
        #expect(throws: TranscriptError.notUTF8("e.vtt")) { try Transcript.parse(Array("WEBVTT\n\n".utf8) + [0xFF, 0xFE], name: "e.vtt") }
    }
}
