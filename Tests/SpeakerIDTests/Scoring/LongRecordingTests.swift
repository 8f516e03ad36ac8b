import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import SpeakerID
import SpeakerIDDemo

/// Long recordings are scored in chunks, so memory does not grow with their length.
struct LongRecordingTests {
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/time"), "/usr/bin/time is not installed (apt-get install time)"))
    func memoryStaysBoundedOnALongRecording() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        // Two speakers at 8 kHz, and a 30-minute recording of the second.
        for (name, pitch) in [("low", 90.0), ("high", 260.0)] {
            try AudioWriter.write(
                SyntheticSpeech.generate(seconds: 8, sampleRate: 8000, seed: 1, pitch: pitch), sampleRate: 8000, to: dir.file("\(name).wav"))
            let e = try CLI.run([
                "enroll", "--models", dir.file("m"), "--speaker", name, "--sample-rate", "8000",
                "--components", "8", "-q", dir.file("\(name).wav"),
            ])
            #expect(e.status == 0, "\(e.stderr)")
        }
        let block = SyntheticSpeech.generate(seconds: 10, sampleRate: 8000, seed: 9, pitch: 260)
        try AudioWriter.write(Array([[Float]](repeating: block, count: 180).joined()), sampleRate: 8000, to: dir.file("long.wav"))
        func peak(chunk: Int) throws -> (kb: Int, speaker: String?) {
            let r = try CLI.runTool(
                "/usr/bin/time",
                [
                    "-f", "maxrss=%M", CLI.binary, "identify", "--models", dir.file("m"),
                    "--json", "--chunk-seconds", "\(chunk)", dir.file("long.wav"),
                ])
            #expect(r.status == 0, "\(r.stderr)")
            let kb = r.stderr.split(separator: "\n").compactMap { $0.hasPrefix("maxrss=") ? Int($0.dropFirst(7)) : nil }.last ?? 0
            let o = try? JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
            return (kb, o?["speaker"] as? String)
        }
        let chunked = try peak(chunk: 60), whole = try peak(chunk: 3600)
        #expect(chunked.speaker == "high" && whole.speaker == "high")
        print("30-minute recording: peak memory \(chunked.kb / 1024) MiB in 60-s chunks, \(whole.kb / 1024) MiB in one piece")
        #expect(chunked.kb + 50 * 1024 < whole.kb, "chunked \(chunked.kb) kB vs whole \(whole.kb) kB")
        // Sanitizer runtimes add hundreds of megabytes of their own: check the absolute bound
        // only in normal builds.
        if dlsym(dlopen(nil, RTLD_NOW), "__asan_init") == nil && dlsym(dlopen(nil, RTLD_NOW), "__tsan_init") == nil {
            #expect(chunked.kb < 150 * 1024)
        }
    }
}
