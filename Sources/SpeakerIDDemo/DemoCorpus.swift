import Foundation
import SpeakerID

/// The built-in demo corpus: seven professional voices from Debian's Asterisk prompt packages
/// (8 kHz telephone prompts), split into enrolment and test by a fixed rule.
///
/// Rule: a voice's files are ordered by the FNV-1a 64-bit hash of their path relative to the
/// voice's folder (then by path); files go to `enroll` in that order until they hold
/// `enrollSeconds` of audio, the following ones to `test` until those hold `testSeconds`;
/// files in which the VAD finds fewer than 20 speech frames (the packages' silence/ prompts)
/// are skipped.
/// The audio stays where the packages put it: the corpus folder holds one symbolic link per
/// voice and a protocol.tsv.
public enum DemoCorpus {
    /// One demo voice: its speaker name, Debian package and installed folder.
    public struct Voice: Sendable {
        public var speaker: String
        public var package: String
        public var folder: String
    }

    /// Seven distinct people (asterisk-core-sounds-es is the English voice again, so left out).
    public static let voices: [Voice] = [
        Voice(speaker: "allison-en", package: "asterisk-core-sounds-en-wav", folder: "/usr/share/asterisk/sounds/en_US_f_Allison"),
        Voice(speaker: "june-fr", package: "asterisk-core-sounds-fr-wav", folder: "/usr/share/asterisk/sounds/fr_CA_f_June"),
        Voice(speaker: "carlo-it", package: "asterisk-core-sounds-it-wav", folder: "/usr/share/asterisk/sounds/it_IT_m_Carlo"),
        Voice(speaker: "ivrvoice-ru", package: "asterisk-core-sounds-ru-wav", folder: "/usr/share/asterisk/sounds/ru_RU_f_IvrvoiceRU"),
        Voice(speaker: "menardi-it", package: "asterisk-prompt-it-menardi-wav", folder: "/usr/share/asterisk/sounds/it_IT_f_Menardi"),
        Voice(speaker: "es-co", package: "asterisk-prompt-es-co", folder: "/usr/share/asterisk/sounds/es"),
        Voice(speaker: "armelle-fr", package: "asterisk-prompt-fr-armelle", folder: "/usr/share/asterisk/sounds/fr"),
    ]

    public static var packages: [String] { voices.map(\.package) }

    /// FNV-1a 64-bit hash of the UTF-8 bytes of `s` (the split rule's ordering).
    public static func fnv1a(_ s: String) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in s.utf8 {
            h ^= UInt64(b)
            h = h &* 0x0000_0100_0000_01B3
        }
        return h
    }

    /// What one voice contributes to the demo corpus.
    public struct Summary: Sendable {
        public var speaker: String
        public var enrollFiles: Int, enrollSeconds: Double
        public var testFiles: Int, testSeconds: Double
    }

    /// Writes the corpus folder. Throws if a voice's package is not installed.
    @discardableResult
    public static func build(at root: String, enrollSeconds: Double = 60, testSeconds: Double = 180) throws -> [Summary] {
        let fm = FileManager.default
        for v in voices where !fm.fileExists(atPath: v.folder) {
            throw CorpusError.notFound("\(v.folder) (install the Debian package \(v.package))")
        }
        let tmp = root + ".partial"
        try? fm.removeItem(atPath: tmp)
        try fm.createDirectory(atPath: tmp, withIntermediateDirectories: true)
        var rows = "speaker\tpath\tsplit\n"
        var o = FrontEndOptions()
        o.framing.sampleRate = 8000
        let frontEnd = try FrontEnd(options: o)
        var summaries: [Summary] = []
        for v in voices {
            try fm.createSymbolicLink(atPath: PathName.join(tmp, v.speaker), withDestinationPath: v.folder)
            let files = Corpus.audioFiles(in: v.folder).map { String($0.dropFirst(v.folder.count + 1)) }
                .sorted { (fnv1a($0), $0) < (fnv1a($1), $1) }
            var s = Summary(speaker: v.speaker, enrollFiles: 0, enrollSeconds: 0, testFiles: 0, testSeconds: 0)
            for rel in files {
                // Prompts with no speech (the packages' silence/ files) are left out.
                guard let f = try? frontEnd.features(of: .file(PathName.join(v.folder, rel))),
                    f.frames.rows >= 20
                else { continue }
                let seconds = f.duration
                if s.enrollSeconds < enrollSeconds {
                    s.enrollFiles += 1
                    s.enrollSeconds += seconds
                    rows += "\(v.speaker)\t\(v.speaker)/\(rel)\tenroll\n"
                } else if s.testSeconds < testSeconds {
                    s.testFiles += 1
                    s.testSeconds += seconds
                    rows += "\(v.speaker)\t\(v.speaker)/\(rel)\ttest\n"
                } else {
                    break
                }
            }
            summaries.append(s)
        }
        try Data(rows.utf8).write(to: URL(fileURLWithPath: PathName.join(tmp, "protocol.tsv")))
        try? fm.removeItem(atPath: root)
        try fm.moveItem(atPath: tmp, toPath: root)
        return summaries
    }
}
