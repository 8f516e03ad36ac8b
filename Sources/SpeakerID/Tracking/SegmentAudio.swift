/// The recent 16-kHz waveform of a stream, for the speaker encoder: samples are appended as
/// they arrive and dropped once no segment can need them, so memory stays bounded however long
/// the stream. Indices are absolute (sample 0 is the stream's first).
struct SegmentAudio {
    private var samples: [Float] = []
    /// The absolute index of `samples[head]`.
    private var first = 0
    private var head = 0

    /// Absolute index one past the last sample received.
    var end: Int { first + samples.count - head }

    mutating func append(_ x: [Float]) { samples.append(contentsOf: x) }

    /// Forgets the samples before absolute index `index`.
    mutating func drop(before index: Int) {
        let n = min(max(0, index - first), samples.count - head)
        head += n
        first += n
        // Compact once the dropped part dominates (amortised O(1) per sample).
        if head > 1 << 15 && head * 2 > samples.count {
            samples.removeFirst(head)
            head = 0
        }
    }

    /// The samples from absolute index `from` up to `to` (clamped to what is held).
    func slice(from: Int, to: Int) -> [Float] {
        let a = max(from, first), b = min(to, end)
        guard b > a else { return [] }
        return Array(samples[(head + a - first)..<(head + b - first)])
    }
}
