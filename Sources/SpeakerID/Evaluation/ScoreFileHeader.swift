import Foundation

/// What a score file (`evaluate --scores`) records about the system its scores came from, as
/// `# key value` lines before its column header. Readers skip lines starting with `#` there.
public struct ScoreFileHeader: Sendable, Equatable {
    /// The UBM's content checksum; nil for models trained by EM.
    public var ubmChecksum: String?
    /// `ScoreSystem.checksum(models:)` of the enrolled models scored against.
    public var modelsChecksum: String
    public var scoreNormalization: ScoreNormalizationMode
    /// `ScoreSystem.checksum(models:)` of the T-norm cohort, with T-norm or S-norm.
    public var tnormCohort: String?
    /// `ScoreSystem.checksum(utterances:)` of the Z-norm cohort, with Z-norm or S-norm.
    public var znormCohort: String?
    /// The scoring system; a `# system` line is written only for systems other than gmm, so
    /// the GMM's score files are as they were.
    public var system: ScoringSystem = .gmm
    /// With the d-vector system: the checksum of the encoder (`EncoderIdentity.checksum`).
    public var encoder: String?

    /// The header's first line, which tells it from other comments.
    public static let firstLine = "# speakerid score file"

    /// A header naming the system; the cohorts only with the normalisations that use them.
    public init(
        ubmChecksum: String?, modelsChecksum: String, scoreNormalization: ScoreNormalizationMode,
        tnormCohort: String? = nil, znormCohort: String? = nil
    ) {
        self.ubmChecksum = ubmChecksum
        self.modelsChecksum = modelsChecksum
        self.scoreNormalization = scoreNormalization
        self.tnormCohort = tnormCohort
        self.znormCohort = znormCohort
    }

    /// The header lines, each ending in a newline.
    public var text: String {
        var s = Self.firstLine + "\n"
        s += "# ubm \(ubmChecksum ?? "none")\n"
        s += "# models \(modelsChecksum)\n"
        s += "# score_normalization \(scoreNormalization.rawValue)\n"
        if let tnormCohort { s += "# tnorm_cohort \(tnormCohort)\n" }
        if let znormCohort { s += "# znorm_cohort \(znormCohort)\n" }
        if system != .gmm { s += "# system \(system.rawValue)\n" }
        if let encoder { s += "# encoder \(encoder)\n" }
        return s
    }

    /// How many lines at the start of `lines` are comments (`#`), the header's or a user's.
    public static func commentLines<S: StringProtocol>(_ lines: [S]) -> Int {
        lines.prefix { $0.hasPrefix("#") }.count
    }

    /// The header recorded in a score file's leading comment lines; nil when they do not start
    /// with `firstLine` (a score file written before it, or by other tools). Throws
    /// `ScoreFileError.badLine` for a header that is there but cannot be read.
    public static func parse<S: StringProtocol>(_ lines: [S], name: String) throws(ScoreFileError) -> ScoreFileHeader? {
        let comments = lines.prefix { $0.hasPrefix("#") }.map { String($0).trimmingCharacters(in: .whitespacesAndNewlines) }
        guard comments.first == firstLine else { return nil }
        // The header's own keys, each once; any other comment line is the user's and is kept
        // out of the way (a one-word note, or prose that starts like a key we do not use).
        let keys: Set<String> = ["ubm", "models", "score_normalization", "tnorm_cohort", "znorm_cohort", "system", "encoder"]
        var values: [String: String] = [:]
        for (i, c) in comments.enumerated().dropFirst() {
            let parts = c.dropFirst().trimmingCharacters(in: .whitespaces).split(separator: " ", maxSplits: 1).map(String.init)
            guard let key = parts.first, keys.contains(key) else { continue }
            guard parts.count == 2 else { throw .badLine(name, line: i + 1, reason: "the header's \(key) line has no value") }
            guard values[key] == nil else { throw .badLine(name, line: i + 1, reason: "the header gives \(key) twice") }
            values[key] = parts[1]
        }
        guard let models = values["models"], let ubm = values["ubm"],
            let norm = values["score_normalization"].flatMap(ScoreNormalizationMode.init(rawValue:))
        else {
            throw .badLine(name, line: 1, reason: "the header lacks the ubm, models or score_normalization line")
        }
        var header = ScoreFileHeader(
            ubmChecksum: ubm == "none" ? nil : ubm, modelsChecksum: models, scoreNormalization: norm,
            tnormCohort: values["tnorm_cohort"], znormCohort: values["znorm_cohort"])
        if let system = values["system"] {
            guard let known = ScoringSystem(rawValue: system) else {
                throw .badLine(name, line: 1, reason: "the header names an unknown scoring system, \(system.debugDescription)")
            }
            header.system = known
        }
        header.encoder = values["encoder"]
        return header
    }
}
