import Foundation

/// A Kaldi-style data folder as a corpus: `wav.scp` (utterance or recording id, then the audio
/// file's path), `utt2spk` (utterance id, speaker id), and optionally `segments` (utterance id,
/// recording id, start and end in seconds). The folder is the split: every utterance in it is
/// used, whatever split is asked for. `wav.scp` lines that are commands (ending in `|`) are
/// refused: SpeakerID reads audio files, not pipelines. Relative paths are taken relative to the
/// data folder, then to the current directory (where Kaldi recipes run).
enum KaldiDataFolder {
    /// Whether `root` holds `wav.scp` and `utt2spk`.
    static func isOne(_ root: String) -> Bool {
        let fm = FileManager.default
        return fm.fileExists(atPath: (root as NSString).appendingPathComponent("wav.scp"))
            && fm.fileExists(atPath: (root as NSString).appendingPathComponent("utt2spk"))
    }

    /// Every utterance of the folder, in `utt2spk` order.
    static func entries(_ root: String) throws -> [CorpusEntry] {
        let scp = (root as NSString).appendingPathComponent("wav.scp")
        let u2s = (root as NSString).appendingPathComponent("utt2spk")
        let seg = (root as NSString).appendingPathComponent("segments")
        let split = (URL(fileURLWithPath: root).standardizedFileURL.lastPathComponent)
        var audio: [String: String] = [:]
        for (n, fields, line) in try table(scp) {
            guard fields.count >= 2 else { throw CorpusError.badRow(scp, line: n, reason: "expected an id and a path, found \(line.debugDescription)") }
            let rest = line.drop(while: { !$0.isWhitespace }).trimmingCharacters(in: .whitespaces)
            if rest.hasSuffix("|") {
                throw CorpusError.badRow(scp, line: n, reason: "\(fields[0]) is a command (it ends in '|'); SpeakerID reads audio files: run the command into a file and list the file")
            }
            guard audio[fields[0]] == nil else { throw CorpusError.badRow(scp, line: n, reason: "id \(fields[0]) is listed twice") }
            audio[fields[0]] = resolve(rest, root: root)
        }
        var ranges: [String: (String, CorpusEntry.TimeRange)] = [:]
        if FileManager.default.fileExists(atPath: seg) {
            for (n, f, _) in try table(seg) {
                guard f.count == 4, let a = Double(f[2]), let b = Double(f[3]), a >= 0, b > a, b.isFinite else {
                    throw CorpusError.badRow(seg, line: n, reason: "expected: utterance recording start end (seconds, start < end)")
                }
                guard audio[f[1]] != nil else { throw CorpusError.badRow(seg, line: n, reason: "recording \(f[1]) is not in wav.scp") }
                ranges[f[0]] = (f[1], CorpusEntry.TimeRange(start: a, end: b))
            }
        }
        var out: [CorpusEntry] = []
        var seen = Set<String>()
        for (n, f, _) in try table(u2s) {
            guard f.count == 2 else { throw CorpusError.badRow(u2s, line: n, reason: "expected: utterance speaker") }
            let utt = f[0]
            guard seen.insert(utt).inserted else { throw CorpusError.badRow(u2s, line: n, reason: "utterance \(utt) is listed twice") }
            if let (reco, range) = ranges[utt], let path = audio[reco] {
                out.append(CorpusEntry(speaker: f[1], path: path, split: split, utterance: utt, range: range))
            } else if let path = audio[utt] {
                out.append(CorpusEntry(speaker: f[1], path: path, split: split, utterance: utt))
            } else {
                throw CorpusError.badRow(u2s, line: n, reason: "utterance \(utt) is in neither wav.scp nor segments")
            }
        }
        return out
    }

    /// A relative path against the data folder, else against the current directory.
    static func resolve(_ path: String, root: String) -> String {
        if path.hasPrefix("/") { return path }
        let inFolder = (root as NSString).appendingPathComponent(path)
        if FileManager.default.fileExists(atPath: inFolder) { return inFolder }
        return FileManager.default.fileExists(atPath: path) ? path : inFolder
    }

    /// (line number, whitespace-separated fields, the line) of every non-empty line, CRLF and
    /// a byte-order mark tolerated as in protocol files.
    static func table(_ path: String) throws -> [(Int, [String], String)] {
        var isDir: ObjCBool = false
        if !FileManager.default.fileExists(atPath: path, isDirectory: &isDir) { throw CorpusError.unreadable(path, reason: "no such file") }
        if isDir.boolValue { throw CorpusError.unreadable(path, reason: "it is a folder, not a list") }
        guard let data = FileManager.default.contents(atPath: path) else { throw CorpusError.unreadable(path, reason: SystemErrors.whyUnreadable(path)) }
        guard var text = String(data: data, encoding: .utf8) else {
            throw CorpusError.badRow(path, line: 1, reason: "not UTF-8 text")
        }
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        var out: [(Int, [String], String)] = []
        for (i, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty { continue }
            out.append((i + 1, line.split(whereSeparator: \.isWhitespace).map(String.init), line))
        }
        return out
    }
}
