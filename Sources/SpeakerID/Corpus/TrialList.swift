import Foundation

/// A Kaldi/NIST verification trial list: one trial a line, `model utterance target|nontarget`
/// (white-space separated), the utterance named by its Kaldi id or, for other corpora, by its
/// file name without extension. Lets an evaluation score exactly the pairs another toolkit
/// scored, so the figures compare.
public struct TrialList: Sendable, Equatable {
    /// One trial of the list.
    public struct Trial: Sendable, Equatable {
        public var model: String
        public var utterance: String
        public var isTarget: Bool
        /// The line of the list it came from.
        public var line: Int
    }

    public let path: String
    public let trials: [Trial]

    /// Reads a trial list, refusing malformed lines and repeated pairs with the line number.
    public init(path: String) throws {
        self.path = path
        var out: [Trial] = []
        var seen = Set<String>()
        for (n, f, line) in try KaldiDataFolder.table(path) {
            guard f.count == 3, f[2] == "target" || f[2] == "nontarget" else {
                throw CorpusError.badRow(path, line: n, reason: "expected: model utterance target|nontarget, found \(line.debugDescription)")
            }
            guard seen.insert(f[0] + "\u{0}" + f[1]).inserted else {
                throw CorpusError.badRow(path, line: n, reason: "the trial \(f[0]) \(f[1]) is listed twice")
            }
            out.append(Trial(model: f[0], utterance: f[1], isTarget: f[2] == "target", line: n))
        }
        if out.isEmpty { throw CorpusError.badRow(path, line: 1, reason: "no trials") }
        trials = out
    }

    /// The list's trials of the utterances of `entries` only (a shard of the test files).
    public func restricted(to entries: [CorpusEntry]) -> TrialList {
        let keys = Set(entries.map(Self.key))
        return TrialList(path: path, trials: trials.filter { keys.contains($0.utterance) })
    }

    private init(path: String, trials: [Trial]) {
        self.path = path
        self.trials = trials
    }

    /// How a list names an entry: its Kaldi utterance id, else its file name without extension.
    public static func key(_ e: CorpusEntry) -> String {
        e.utterance ?? PathName.stem(e.path)
    }

    /// For each entry, the listed models (index into `models`) and whether each is a target
    /// trial; refuses trials naming a model or utterance that is not there, or a label that
    /// contradicts the corpus's speakers.
    public func pairs(entries: [CorpusEntry], models: [String]) throws -> [[(model: Int, isTarget: Bool)]] {
        var byKey: [String: Int] = [:]
        for (i, e) in entries.enumerated() {
            let k = Self.key(e)
            if byKey[k] != nil {
                throw CorpusError.badRow(path, line: 1, reason: "two test files are called \(k); give utterances unique names (a Kaldi data folder)")
            }
            byKey[k] = i
        }
        let modelIndex = Dictionary(models.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        var out = [[(model: Int, isTarget: Bool)]](repeating: [], count: entries.count)
        for t in trials {
            guard let m = modelIndex[t.model] else { throw CorpusError.badRow(path, line: t.line, reason: "model \(t.model) is not enrolled") }
            guard let i = byKey[t.utterance] else {
                throw CorpusError.badRow(path, line: t.line, reason: "utterance \(t.utterance) is not in the test data")
            }
            if t.isTarget != (entries[i].speaker == t.model) {
                throw CorpusError.badRow(
                    path, line: t.line, reason: "says \(t.isTarget ? "target" : "nontarget"), but \(t.utterance) is spoken by \(entries[i].speaker)")
            }
            out[i].append((m, t.isTarget))
        }
        return out
    }
}
