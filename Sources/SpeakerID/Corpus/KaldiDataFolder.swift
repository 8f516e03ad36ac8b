import Foundation

/// A Kaldi-style data folder as a corpus: `wav.scp` (utterance or recording id, then the audio
/// file's path), `utt2spk` (utterance id, speaker id) or, without it, `spk2utt` (speaker id,
/// then its utterance ids; what utils/spk2utt_to_utt2spk.pl would turn into utt2spk), and
/// optionally `segments` (utterance id, recording id, start and end in seconds). The folder is
/// the split: every utterance in it is used, whatever split is asked for. `wav.scp` lines that
/// are commands (ending in `|`) are refused: SpeakerID reads audio files, not pipelines.
/// Relative paths are taken relative to the data folder, then to the current directory (where
/// Kaldi recipes run).
///
/// As Kaldi's utils/validate_data_dir.sh does, every line must be used: an id in `wav.scp`
/// that no utterance uses, or a segment whose utterance has no speaker, is refused with its
/// line (nothing is dropped without a word). A segment may end up to 0.5 s past its
/// recording's end, where it is cut at the end (extract-segments' --max-overshoot 0.5);
/// further is refused, naming the line and the recording's real duration.
enum KaldiDataFolder {
    /// How far a segment may end past its recording's end and be trimmed to it, in seconds
    /// (Kaldi's extract-segments --max-overshoot default).
    static let maximumOvershoot = 0.5

    /// Whether `root` is a Kaldi data folder: it has `wav.scp` (with neither utt2spk nor
    /// spk2utt, `entries` then says that utt2spk is missing, rather than the folder being read
    /// as speaker folders).
    static func isOne(_ root: String) -> Bool {
        FileManager.default.fileExists(atPath: PathName.join(root, "wav.scp"))
    }

    /// The speaker of each utterance, in file order, with the file and line that says so: from
    /// `utt2spk`, else from `spk2utt`.
    static func speakers(_ root: String) throws -> (file: String, rows: [(line: Int, utterance: String, speaker: String)]) {
        let u2s = PathName.join(root, "utt2spk"), s2u = PathName.join(root, "spk2utt")
        var rows: [(line: Int, utterance: String, speaker: String)] = []
        var seen: [String: Int] = [:]
        if FileManager.default.fileExists(atPath: u2s) || !FileManager.default.fileExists(atPath: s2u) {
            if !FileManager.default.fileExists(atPath: u2s) {
                throw CorpusError.unreadable(
                    u2s,
                    reason:
                        "no such file: the folder has wav.scp, so it is a Kaldi data folder, which needs utt2spk, one 'utterance speaker' a line, or spk2utt, from which Kaldi's utils/spk2utt_to_utt2spk.pl makes it"
                )
            }
            for (n, f, line) in try table(u2s) {
                guard f.count == 2 else {
                    throw CorpusError.badRow(u2s, line: n, reason: "expected: utterance speaker, found \(line.debugDescription)")
                }
                if let first = seen.updateValue(n, forKey: f[0]) {
                    throw CorpusError.badRow(u2s, line: n, reason: "utterance \(f[0]) is listed twice (also on line \(first))")
                }
                rows.append((n, f[0], f[1]))
            }
            return (u2s, rows)
        }
        // spk2utt without utt2spk: what utils/spk2utt_to_utt2spk.pl would have written.
        for (n, f, line) in try table(s2u) {
            guard f.count >= 2 else {
                throw CorpusError.badRow(s2u, line: n, reason: "expected: speaker utterance [utterance ...], found \(line.debugDescription)")
            }
            for utt in f.dropFirst() {
                if let first = seen.updateValue(n, forKey: utt) {
                    throw CorpusError.badRow(s2u, line: n, reason: "utterance \(utt) is listed twice (also on line \(first))")
                }
                rows.append((n, utt, f[0]))
            }
        }
        return (s2u, rows)
    }

    /// Every utterance of the folder, in `utt2spk` (else `spk2utt`) order.
    static func entries(_ root: String) throws -> [CorpusEntry] {
        let scp = PathName.join(root, "wav.scp")
        let seg = PathName.join(root, "segments")
        let split = PathName.lastComponent(PathName.absolute(root))
        var audio: [String: (path: String, line: Int)] = [:]
        var order: [String] = []
        for (n, fields, line) in try table(scp) {
            guard fields.count >= 2 else {
                throw CorpusError.badRow(scp, line: n, reason: "expected an id and a path, found \(line.debugDescription)")
            }
            let rest = line.drop(while: { !$0.isWhitespace }).trimmingCharacters(in: .whitespaces)
            if rest.hasSuffix("|") {
                throw CorpusError.badRow(
                    scp, line: n,
                    reason: "\(fields[0]) is a command (it ends in '|'); SpeakerID reads audio files: run the command into a file and list the file")
            }
            if let first = audio[fields[0]] {
                throw CorpusError.badRow(scp, line: n, reason: "id \(fields[0]) is listed twice (also on line \(first.line))")
            }
            audio[fields[0]] = (resolve(rest, root: root), n)
            order.append(fields[0])
        }
        let (speakerFile, speakerRows) = try speakers(root)
        let speakerOf = Dictionary(speakerRows.map { ($0.utterance, $0.speaker) }, uniquingKeysWith: { a, _ in a })
        var ranges: [String: (recording: String, range: CorpusEntry.TimeRange)] = [:]
        var segmented = Set<String>()
        if FileManager.default.fileExists(atPath: seg) {
            var durations: [String: Double?] = [:]
            var lines: [String: Int] = [:]
            for (n, f, line) in try table(seg) {
                guard f.count == 4, let a = Double(f[2]), let b = Double(f[3]), a.isFinite, b.isFinite, a >= 0, b > a else {
                    throw CorpusError.badRow(
                        seg, line: n, reason: "expected: utterance recording start end (seconds, 0 <= start < end), found \(line.debugDescription)")
                }
                guard let reco = audio[f[1]] else { throw CorpusError.badRow(seg, line: n, reason: "recording \(f[1]) is not in wav.scp") }
                if let first = lines.updateValue(n, forKey: f[0]) {
                    throw CorpusError.badRow(seg, line: n, reason: "utterance \(f[0]) is listed twice (also on line \(first))")
                }
                guard speakerOf[f[0]] != nil else {
                    throw CorpusError.badRow(
                        seg, line: n,
                        reason:
                            "utterance \(f[0]) has no speaker: it is not in \(PathName.lastComponent(speakerFile)) (give it one, or remove the line: Kaldi's utils/fix_data_dir.sh does)"
                    )
                }
                var end = b
                if durations[f[1]] == nil { durations[f[1]] = recordingDuration(reco.path) }
                if let d = durations[f[1]] ?? nil, b > d {
                    let past = b - d
                    guard a < d, past <= maximumOvershoot else {
                        throw CorpusError.badRow(
                            seg, line: n,
                            reason:
                                "utterance \(f[0]) \(a < d ? "ends at \(seconds(b)) s" : "starts at \(seconds(a)) s"), \(seconds(a < d ? past : a - d)) s past the end of recording \(f[1]) (\(reco.path), \(seconds(d)) s long); a segment may end at most \(maximumOvershoot) s past its recording, where it is cut (as Kaldi's extract-segments does)"
                        )
                    }
                    end = d
                }
                ranges[f[0]] = (f[1], CorpusEntry.TimeRange(start: a, end: end))
                segmented.insert(f[1])
            }
        }
        var out: [CorpusEntry] = []
        var used = segmented
        for row in speakerRows {
            if let (reco, range) = ranges[row.utterance], let a = audio[reco] {
                out.append(CorpusEntry(speaker: row.speaker, path: a.path, split: split, utterance: row.utterance, range: range))
            } else if let a = audio[row.utterance] {
                out.append(CorpusEntry(speaker: row.speaker, path: a.path, split: split, utterance: row.utterance))
                used.insert(row.utterance)
            } else {
                throw CorpusError.badRow(speakerFile, line: row.line, reason: "utterance \(row.utterance) is in neither wav.scp nor segments")
            }
        }
        // Nothing dropped without a word: every wav.scp line is an utterance with a speaker or
        // a recording that segments cut (utils/validate_data_dir.sh refuses the rest too).
        if let unused = order.first(where: { !used.contains($0) }), let a = audio[unused] {
            let why =
                ranges.isEmpty
                ? "utterance \(unused) has no speaker: it is not in \(PathName.lastComponent(speakerFile))"
                : "\(unused) is neither an utterance in \(PathName.lastComponent(speakerFile)) nor a recording in segments"
            throw CorpusError.badRow(
                scp, line: a.line,
                reason: why
                    + " (every line of wav.scp must be used, as Kaldi's utils/validate_data_dir.sh requires; give it a speaker, or remove the line: utils/fix_data_dir.sh does)"
            )
        }
        return out
    }

    /// The duration of an audio file from its header, or nil when it cannot be opened (the
    /// error is then reported where the audio is read).
    static func recordingDuration(_ path: String) -> Double? {
        guard let d = try? AudioDecoder(path: path), d.info.frames != Int64.max, d.info.sampleRate > 0 else { return nil }
        return d.info.duration
    }

    /// Seconds as a message writes them: to the millisecond, without trailing zeros.
    static func seconds(_ x: Double) -> String {
        var s = String(format: "%.3f", x)
        while s.hasSuffix("0") { s.removeLast() }
        if s.hasSuffix(".") { s.removeLast() }
        return s
    }

    /// A relative path against the data folder, else against the current directory.
    static func resolve(_ path: String, root: String) -> String {
        if path.hasPrefix("/") { return path }
        let inFolder = PathName.join(root, path)
        if FileManager.default.fileExists(atPath: inFolder) { return inFolder }
        return FileManager.default.fileExists(atPath: path) ? path : inFolder
    }

    /// (line number, whitespace-separated fields, the line) of every non-empty line, CRLF and
    /// a byte-order mark tolerated as in protocol files.
    static func table(_ path: String) throws -> [(Int, [String], String)] {
        if !FileSystem.exists(path) { throw CorpusError.unreadable(path, reason: "no such file") }
        if FileSystem.isDirectory(path) { throw CorpusError.unreadable(path, reason: "it is a folder, not a list") }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CorpusError.unreadable(path, reason: SystemErrors.whyUnreadable(path))
        }
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
