import Foundation

extension FrontEndOptions {
    /// A short list of the settings that differ between two configurations.
    public static func differences(_ a: FrontEndOptions, _ b: FrontEndOptions) -> String {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        func snake(_ s: String) -> String {
            var out = ""
            for c in s {
                if c.isUppercase { out += "_" + c.lowercased() } else { out.append(c) }
            }
            return out
        }
        func flat(_ o: FrontEndOptions) -> [String: String] {
            guard let d = try? enc.encode(o), let j = try? JSONSerialization.jsonObject(with: d) as? [String: Any] else { return [:] }
            var out: [String: String] = [:]
            for (k, v) in j {
                // The names the JSON output and the README use (sample_rate, not sampleRate).
                if let sub = v as? [String: Any] {
                    for (k2, v2) in sub { out["\(snake(k)).\(snake(k2))"] = "\(v2)" }
                } else {
                    out[snake(k)] = "\(v)"
                }
            }
            return out
        }
        let fa = flat(a), fb = flat(b)
        let keys = Set(fa.keys).union(fb.keys).filter { fa[$0] != fb[$0] }.sorted()
        return keys.map { "\($0): \(fa[$0] ?? "-") vs \(fb[$0] ?? "-")" }.joined(separator: ", ")
    }
}
