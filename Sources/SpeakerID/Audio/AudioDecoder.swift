import CSndfile
import Foundation

/// Decodes any format libsndfile reads (WAV, FLAC, Ogg Vorbis/Opus, MP3, AIFF, raw) into mono
/// `Float` blocks, streaming, so a long file never has to be in memory whole.
///
/// Not thread-safe: one decoder belongs to one task. Open, read blocks, and let it deinit.
public final class AudioDecoder {
    public private(set) var info: AudioInfo
    public private(set) var name: String
    private let file: OpaquePointer
    private var memory: MemoryFile?  // kept alive for libsndfile's virtual I/O callbacks
    private var interleaved: [Float]
    private var framesRead: Int64 = 0
    /// Frames still to be read: the whole stream, or what is left of a selected segment.
    private var remaining = Int64.max

    /// Frames decoded per block.
    public static let blockFrames = 8192

    /// Opens a file or in-memory bytes; `raw` describes headerless audio.
    public convenience init(_ source: AudioSource, raw: RawAudioFormat? = nil) throws(AudioError) {
        switch source {
        case .file(let path): try self.init(path: path, raw: raw)
        case .memory(let data, let name): try self.init(data: data, name: name, raw: raw)
        case .segment(let path, let start, let end, let name):
            try self.init(path: path, raw: raw)
            try select(start: start, end: end, name: name)
        }
    }

    /// Limits reading to `start`...`end` seconds of the file, named `name` in messages.
    private func select(start: Double, end: Double, name: String) throws(AudioError) {
        self.name = name
        let rate = Double(info.sampleRate)
        guard start >= 0, end > start, start.isFinite, end.isFinite else {
            throw .notAudio(name, reason: "segment \(start)-\(end) s is not a time range")
        }
        let first = Int64((start * rate).rounded()), last = Int64((end * rate).rounded())
        if info.frames != Int64.max && last > info.frames + Int64(rate / 100) {
            throw .truncated(name, declaredFrames: last - first, readFrames: max(0, info.frames - first))
        }
        guard sf_seek(file, sf_count_t(first), SEEK_SET) >= 0 else {
            throw .decodeFailed(name, reason: "cannot seek to \(start) s: " + String(cString: sf_strerror(file)))
        }
        let frames = min(last, info.frames) - first
        guard frames > 0 else { throw .noAudioData(name) }
        info.frames = frames
        remaining = frames
    }

    /// Opens an audio file, refusing missing, empty, unreadable and non-audio files with a typed error.
    public init(path: String, raw: RawAudioFormat? = nil) throws(AudioError) {
        guard FileSystem.exists(path) else { throw .fileNotFound(path) }
        if FileSystem.isDirectory(path) { throw .isDirectory(path) }
        // stat follows symbolic links: a link to a pipe is a pipe.
        var st = stat()
        if stat(path, &st) == 0, (st.st_mode & S_IFMT) != S_IFREG {
            let type = st.st_mode & S_IFMT
            throw .notRegularFile(path, kind: type == S_IFIFO ? "a named pipe" : type == S_IFSOCK ? "a socket" : "a device")
        }
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw .unreadable(path, reason: "permission denied")
        }
        if let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber,
            size.int64Value == 0
        {
            throw .emptyFile(path)
        }
        var sfinfo = SF_INFO()
        if let raw { sfinfo = AudioDecoder.rawInfo(raw) }
        guard let handle = sf_open(path, Int32(SFM_READ), &sfinfo) else {
            throw AudioDecoder.openError(path, message: String(cString: sf_strerror(nil)))
        }
        self.file = handle
        self.name = path
        self.info = AudioDecoder.describe(handle, sfinfo)
        self.interleaved = []
        try validate()
    }

    /// Decodes audio held in memory (standard input, a network buffer) through libsndfile's virtual I/O; `name` is used in messages.
    public init(data: Data, name: String, raw: RawAudioFormat? = nil) throws(AudioError) {
        if data.isEmpty { throw .emptyFile(name) }
        let mem = MemoryFile(data)
        var sfinfo = SF_INFO()
        if let raw { sfinfo = AudioDecoder.rawInfo(raw) }
        var io = MemoryFile.virtualIO
        guard
            let handle = sf_open_virtual(
                &io, Int32(SFM_READ), &sfinfo,
                Unmanaged.passUnretained(mem).toOpaque())
        else {
            throw AudioDecoder.openError(name, message: String(cString: sf_strerror(nil)))
        }
        self.memory = mem
        self.file = handle
        self.name = name
        self.info = AudioDecoder.describe(handle, sfinfo)
        self.interleaved = []
        try validate()
    }

    deinit { sf_close(file) }

    private func validate() throws(AudioError) {
        if info.channels < 1 { throw .notAudio(name, reason: "no channels") }
        if info.sampleRate < AudioLimits.minimumRate || info.sampleRate > AudioLimits.maximumRate {
            throw .unsupportedSampleRate(name, rate: info.sampleRate)
        }
        if info.frames <= 0 { throw .noAudioData(name) }
        // Float files: let libsndfile hand back the stored values unscaled.
        interleaved = [Float](repeating: 0, count: AudioDecoder.blockFrames * info.channels)
    }

    /// Reads the next block of mono samples (channels averaged) into `out`, replacing its
    /// contents. Returns false at the end of the stream.
    public func readBlock(into out: inout [Float]) throws(AudioError) -> Bool {
        let channels = info.channels
        let want = min(Int64(AudioDecoder.blockFrames), remaining)
        if want <= 0 { return false }
        let got = interleaved.withUnsafeMutableBufferPointer { buf in
            sf_readf_float(file, buf.baseAddress, sf_count_t(want))
        }
        let err = sf_error(file)
        if err != 0 {
            throw .decodeFailed(name, reason: String(cString: sf_strerror(file)))
        }
        if got <= 0 {
            if framesRead < info.frames && info.frames != Int64.max {
                throw .truncated(name, declaredFrames: info.frames, readFrames: framesRead)
            }
            return false
        }
        framesRead += Int64(got)
        remaining -= Int64(got)
        let n = Int(got)
        out.removeAll(keepingCapacity: true)
        out.reserveCapacity(n)
        var finite = true
        interleaved.withUnsafeBufferPointer { src in
            if channels == 1 {
                // One copy, and a branch-free check that vectorises: adding 1 to an exponent
                // field of all ones (infinity, NaN) carries into the top bit.
                out.append(contentsOf: src[0..<n])
                var carry: UInt32 = 0
                for i in 0..<n { carry |= (src[i].bitPattern & 0x7F80_0000) &+ 0x0080_0000 }
                finite = carry & 0x8000_0000 == 0
            } else {
                let scale = 1 / Float(channels)
                for i in 0..<n {
                    var s: Float = 0
                    let base = i * channels
                    for c in 0..<channels { s += src[base + c] }
                    if !s.isFinite { finite = false }
                    out.append(s * scale)
                }
            }
        }
        if !finite { throw .nonFiniteSamples(name) }
        return true
    }

    /// Decodes the whole stream at its own rate (for tests and small clips).
    public func readAll() throws(AudioError) -> [Float] {
        var all: [Float] = []
        var block: [Float] = []
        while try readBlock(into: &block) { all.append(contentsOf: block) }
        return all
    }

    // MARK: - libsndfile plumbing

    private static func rawInfo(_ raw: RawAudioFormat) -> SF_INFO {
        var i = SF_INFO()
        i.samplerate = Int32(clamping: raw.sampleRate)
        i.channels = Int32(clamping: raw.channels)
        let sub: Int32
        switch raw.encoding {
        case .pcm8: sub = Int32(SF_FORMAT_PCM_S8)
        case .pcm16: sub = Int32(SF_FORMAT_PCM_16)
        case .pcm24: sub = Int32(SF_FORMAT_PCM_24)
        case .pcm32: sub = Int32(SF_FORMAT_PCM_32)
        case .float32: sub = Int32(SF_FORMAT_FLOAT)
        case .ulaw: sub = Int32(SF_FORMAT_ULAW)
        case .alaw: sub = Int32(SF_FORMAT_ALAW)
        case .gsm610: sub = Int32(SF_FORMAT_GSM610)
        }
        i.format = Int32(SF_FORMAT_RAW) | sub
        return i
    }

    private static func describe(_ handle: OpaquePointer, _ sfinfo: SF_INFO) -> AudioInfo {
        var fi = SF_FORMAT_INFO()
        fi.format = sfinfo.format & Int32(SF_FORMAT_TYPEMASK)
        var major = "unknown"
        if sf_command(handle, Int32(SFC_GET_FORMAT_INFO), &fi, Int32(MemoryLayout<SF_FORMAT_INFO>.size)) == 0,
            let n = fi.name
        {
            major = String(cString: n)
        }
        var si = SF_FORMAT_INFO()
        si.format = sfinfo.format & Int32(SF_FORMAT_SUBMASK)
        if sf_command(handle, Int32(SFC_GET_FORMAT_INFO), &si, Int32(MemoryLayout<SF_FORMAT_INFO>.size)) == 0,
            let n = si.name
        {
            major += ", " + String(cString: n)
        }
        // Float data is returned as stored (no normalisation) so NaN/Inf stay visible and
        // integer PCM is scaled to [-1, 1).
        sf_command(handle, Int32(SFC_SET_NORM_FLOAT), nil, Int32(SF_TRUE))
        return AudioInfo(
            sampleRate: Int(sfinfo.samplerate), channels: Int(sfinfo.channels),
            frames: Int64(sfinfo.frames), formatName: major)
    }

    private static func openError(_ name: String, message: String) -> AudioError {
        let lower = message.lowercased()
        // libsndfile's words for a header that gives no sample rate or channel count.
        if lower.contains("sf_info struct incomplete") {
            return .notAudio(name, reason: "its header gives no sample rate or no channel count")
        }
        if lower.contains("format") || lower.contains("recogni") || lower.contains("not supported") {
            return .notAudio(name, reason: message)
        }
        return .decodeFailed(name, reason: message)
    }
}

/// Bytes served to libsndfile through its virtual I/O interface.
final class MemoryFile {
    let bytes: [UInt8]
    var position: Int = 0

    init(_ data: Data) { bytes = [UInt8](data) }

    static let virtualIO = SF_VIRTUAL_IO(
        get_filelen: { user in
            sf_count_t(MemoryFile.from(user).bytes.count)
        },
        seek: { offset, whence, user in
            let m = MemoryFile.from(user)
            var target: Int
            switch whence {
            case SEEK_SET: target = Int(offset)
            case SEEK_CUR: target = m.position + Int(offset)
            case SEEK_END: target = m.bytes.count + Int(offset)
            default: return -1
            }
            target = max(0, min(target, m.bytes.count))
            m.position = target
            return sf_count_t(target)
        },
        read: { ptr, count, user in
            let m = MemoryFile.from(user)
            guard let ptr, count > 0 else { return 0 }
            let n = min(Int(count), m.bytes.count - m.position)
            if n <= 0 { return 0 }
            m.bytes.withUnsafeBytes { src in
                ptr.copyMemory(from: src.baseAddress! + m.position, byteCount: n)
            }
            m.position += n
            return sf_count_t(n)
        },
        write: { _, _, _ in 0 },
        tell: { user in sf_count_t(MemoryFile.from(user).position) }
    )

    static func from(_ user: UnsafeMutableRawPointer?) -> MemoryFile {
        Unmanaged<MemoryFile>.fromOpaque(user!).takeUnretainedValue()
    }
}
