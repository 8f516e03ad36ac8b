import Foundation

/// Content checksums that say which system made a set of scores: the models scored against,
/// a T-norm cohort (models), a Z-norm cohort (utterances). A calibration records its cohorts'
/// checksums, and a score file the whole system, so neither is used with scores made otherwise.
public enum ScoreSystem {
    /// The checksum of a set of models (enrolled speakers or a T-norm cohort): CRC-64 over
    /// their names and content checksums (`SpeakerModel.checksumHex`), sorted, so it does not
    /// depend on the order they were listed in nor on the files' names or dates.
    public static func checksum(models: [SpeakerModel]) -> String {
        combined(models.map { "\($0.speaker)\t\($0.checksumHex)" })
    }

    /// The checksum of a Z-norm cohort: CRC-64 over the sorted CRC-64s of the utterances'
    /// bytes (and, for a part of a file, its start and end).
    public static func checksum(utterances: [AudioSource]) throws -> String {
        try combined(
            utterances.map { source -> String in
                switch source {
                case .file(let path): return String(format: "%016llx", try contentChecksum(path))
                case .memory(let data, _): return String(format: "%016llx", CRC64.checksum(data))
                case .segment(let path, let start, let end, _): return String(format: "%016llx %.6f %.6f", try contentChecksum(path), start, end)
                }
            })
    }

    static func contentChecksum(_ path: String) throws -> UInt64 {
        guard let data = FileManager.default.contents(atPath: path) else { throw AudioError.unreadable(path, reason: "cannot be read") }
        return CRC64.checksum(data)
    }

    static func combined(_ items: [String]) -> String {
        String(format: "%016llx", CRC64.checksum(Array(items.sorted().joined(separator: "\n").utf8)))
    }
}
