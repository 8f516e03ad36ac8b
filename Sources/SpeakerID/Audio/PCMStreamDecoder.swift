/// Decodes PCM as its bytes arrive, in pieces of any size (a pipe, a microphone, a file
/// still being written): headerless audio described by a `RawAudioFormat` (little-endian), or
/// a WAV stream, whose header is read first and whose data size is ignored (recorders writing
/// to a pipe cannot know it). Channels are averaged to mono; integer PCM is scaled to
/// [-1, 1) as libsndfile scales it.
public final class PCMStreamDecoder {
    /// The stream's format: given, or read from the WAV header (nil until it has been).
    public private(set) var format: RawAudioFormat?
    public let name: String
    private var unsignedBytes = false
    private var pending: [UInt8] = []
    private var header: [UInt8] = []
    private var headerDone: Bool

    /// A decoder for headerless audio in `raw`, or, with nil, for a WAV stream.
    public init(raw: RawAudioFormat?, name: String) throws(AudioError) {
        self.name = name
        if let raw {
            try Self.check(raw, name: name)
            format = raw
        }
        headerDone = raw != nil
    }

    private static func check(_ f: RawAudioFormat, name: String) throws(AudioError) {
        if f.encoding == .gsm610 { throw .notAudio(name, reason: "GSM 6.10 cannot be decoded as a stream; convert it to PCM first") }
        if f.sampleRate < AudioLimits.minimumRate || f.sampleRate > AudioLimits.maximumRate {
            throw .unsupportedSampleRate(name, rate: f.sampleRate)
        }
        if !(1...64).contains(f.channels) { throw .notAudio(name, reason: "\(f.channels) channels") }
    }

    /// Bytes per sample of one channel.
    static func width(_ e: RawAudioFormat.Encoding) -> Int {
        switch e {
        case .pcm8, .ulaw, .alaw: return 1
        case .pcm16: return 2
        case .pcm24: return 3
        case .pcm32, .float32: return 4
        case .gsm610: return 1
        }
    }

    /// Decodes the samples the new bytes complete (a partial sample waits for the next bytes).
    public func push<C: Collection>(_ bytes: C) throws(AudioError) -> [Float] where C.Element == UInt8 {
        if !headerDone {
            header.append(contentsOf: bytes)
            guard let (f, unsigned, dataStart) = try parseHeader() else { return [] }
            format = f
            unsignedBytes = unsigned
            headerDone = true
            pending = Array(header[dataStart...])
            header = []
        } else {
            pending.append(contentsOf: bytes)
        }
        guard let f = format else { return [] }
        let frameBytes = Self.width(f.encoding) * f.channels
        let frames = pending.count / frameBytes
        guard frames > 0 else { return [] }
        var out = [Float](repeating: 0, count: frames)
        let w = Self.width(f.encoding), ch = f.channels
        var finite = true
        pending.withUnsafeBufferPointer { b in
            for i in 0..<frames {
                var sum: Float = 0
                for c in 0..<ch {
                    let o = (i * ch + c) * w
                    let v: Float
                    switch f.encoding {
                    case .pcm8: v = unsignedBytes ? (Float(b[o]) - 128) / 128 : Float(Int8(bitPattern: b[o])) / 128
                    case .pcm16: v = Float(Int16(bitPattern: UInt16(b[o]) | UInt16(b[o + 1]) << 8)) / 32768
                    case .pcm24:
                        let u = UInt32(b[o]) << 8 | UInt32(b[o + 1]) << 16 | UInt32(b[o + 2]) << 24
                        v = Float(Int32(bitPattern: u) >> 8) / 8_388_608
                    case .pcm32:
                        let u = UInt32(b[o]) | UInt32(b[o + 1]) << 8 | UInt32(b[o + 2]) << 16 | UInt32(b[o + 3]) << 24
                        v = Float(Double(Int32(bitPattern: u)) / 2_147_483_648)
                    case .float32:
                        let u = UInt32(b[o]) | UInt32(b[o + 1]) << 8 | UInt32(b[o + 2]) << 16 | UInt32(b[o + 3]) << 24
                        v = Float(bitPattern: u)
                    case .ulaw: v = Float(Self.ulaw(b[o])) / 32768
                    case .alaw: v = Float(Self.alaw(b[o])) / 32768
                    case .gsm610: v = 0
                    }
                    sum += v
                }
                let m = ch == 1 ? sum : sum / Float(ch)
                if !m.isFinite { finite = false }
                out[i] = m
            }
        }
        if !finite { throw .nonFiniteSamples(name) }
        pending.removeFirst(frames * frameBytes)
        return out
    }

    /// The end of the stream: refuses a stream that ended inside its WAV header.
    public func finish() throws(AudioError) {
        if !headerDone {
            if header.isEmpty { throw .emptyFile(name) }
            throw .notAudio(name, reason: "the stream ended inside its WAV header")
        }
    }

    // MARK: - WAV header

    private func u16(_ o: Int) -> Int { Int(header[o]) | Int(header[o + 1]) << 8 }
    private func u32(_ o: Int) -> Int { u16(o) | u16(o + 2) << 16 }

    /// (format, 8-bit unsigned, offset of the first data byte) once the header is complete.
    private func parseHeader() throws(AudioError) -> (RawAudioFormat, Bool, Int)? {
        if header.count >= 4 && (header[0..<4] != [0x52, 0x49, 0x46, 0x46] && header[0..<4] != [0x52, 0x46, 0x36, 0x34]) {
            throw .notAudio(name, reason: "not a WAV stream; headerless PCM needs its sample rate, encoding and channels given (RawAudioFormat)")
        }
        guard header.count >= 12 else { return nil }
        guard header[8..<12] == [0x57, 0x41, 0x56, 0x45] else { throw .notAudio(name, reason: "a RIFF stream that is not WAVE") }
        var o = 12
        var fmt: (tag: Int, channels: Int, rate: Int, bits: Int)?
        while true {
            guard header.count >= o + 8 else { return nil }
            let id = String(decoding: header[o..<(o + 4)], as: UTF8.self)
            let size = u32(o + 4)
            if id == "data" {
                guard let f = fmt else { throw .notAudio(name, reason: "the WAV stream has no fmt chunk before its data") }
                let e: RawAudioFormat.Encoding
                switch (f.tag, f.bits) {
                case (1, 8): e = .pcm8
                case (1, 16): e = .pcm16
                case (1, 24): e = .pcm24
                case (1, 32): e = .pcm32
                case (3, 32): e = .float32
                case (6, 8): e = .alaw
                case (7, 8): e = .ulaw
                default:
                    throw .notAudio(
                        name,
                        reason: "WAV format \(f.tag) with \(f.bits)-bit samples cannot be read as a stream (PCM 8-32 bit, float32, A-law, u-law can)")
                }
                let raw = RawAudioFormat(sampleRate: f.rate, channels: f.channels, encoding: e)
                try Self.check(raw, name: name)
                return (raw, e == .pcm8, o + 8)
            }
            if size > 1 << 20 { throw .notAudio(name, reason: "a WAV header chunk of \(size) bytes") }
            guard header.count >= o + 8 + size else { return nil }
            if id == "fmt " {
                guard size >= 16 else { throw .notAudio(name, reason: "a WAV fmt chunk of \(size) bytes") }
                var tag = u16(o + 8)
                if tag == 0xFFFE && size >= 26 { tag = u16(o + 8 + 24) }  // WAVE_FORMAT_EXTENSIBLE: the sub-format's tag
                fmt = (tag, u16(o + 10), u32(o + 12), u16(o + 22))
            }
            o += 8 + size + (size & 1)
        }
    }

    // MARK: - G.711

    static func ulaw(_ byte: UInt8) -> Int {
        let u = ~byte
        let t = ((Int(u & 0x0F) << 3) + 0x84) << Int((u & 0x70) >> 4)
        return (u & 0x80) != 0 ? 0x84 - t : t - 0x84
    }

    static func alaw(_ byte: UInt8) -> Int {
        let a = byte ^ 0x55
        var t = Int(a & 0x0F) << 4
        let seg = Int((a & 0x70) >> 4)
        switch seg {
        case 0: t += 8
        case 1: t += 0x108
        default: t = (t + 0x108) << (seg - 1)
        }
        return (a & 0x80) != 0 ? t : -t
    }
}
