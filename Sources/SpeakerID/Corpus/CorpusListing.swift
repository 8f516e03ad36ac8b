import Foundation

/// The identity of a list of recordings: what a statistics file records, so statistics of
/// shards of different lists (another corpus, split or order) are never summed.
public enum CorpusListing {
    /// CRC-64 (hex) of one line "speaker TAB path" per entry, in order, each path relative to
    /// its corpus folder when it lies inside it (so the same corpus mounted at another place,
    /// or named by a relative path, is the same list).
    public static func checksum(_ corpora: [(root: String, entries: [CorpusEntry])]) -> String {
        var crc = CRC64()
        for (root, entries) in corpora {
            let prefix = root.hasSuffix("/") ? root : root + "/"
            for e in entries {
                let path = e.path.hasPrefix(prefix) ? String(e.path.dropFirst(prefix.count)) : e.path
                crc.update(Array("\(e.speaker)\t\(path)\n".utf8))
            }
        }
        return String(format: "%016llx", crc.value)
    }
}
