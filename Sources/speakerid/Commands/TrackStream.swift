import ArgumentParser
import Foundation
import SpeakerID
#if canImport(Glibc)
import Glibc
#endif

/// Whether a signal asked a stream to end (set from the signal queue, read by the reading loop).
final class StopFlag: @unchecked Sendable {
    // @unchecked: `signal` is only touched under `lock`.
    private let lock = NSLock()
    private var signal: Int32?
    func set(_ s: Int32) {
        lock.lock()
        signal = s
        lock.unlock()
    }
    var value: Int32? {
        lock.lock()
        defer { lock.unlock() }
        return signal
    }
}

/// The bytes of standard input, a named pipe, or a file that may still be growing, read as
/// they come: a pipe ends at its end, a file when it has not grown for `idleTimeout` seconds,
/// both when `stop` is set (checked every 0.1 s).
final class GrowingInput {
    let fd: Int32
    let name: String
    let waitsForGrowth: Bool
    let idleTimeout: Double
    let stop: StopFlag
    private var buffer = [UInt8](repeating: 0, count: 1 << 16)

    init(path: String, idleTimeout: Double, stop: StopFlag) throws {
        self.idleTimeout = idleTimeout
        self.stop = stop
        if path == "-" {
            fd = 0
            name = "(standard input)"
            waitsForGrowth = false
            return
        }
        var st = stat()
        guard stat(path, &st) == 0 else { throw CLIError("\(path): no such file") }
        let type = st.st_mode & S_IFMT
        if type == S_IFDIR { throw CLIError("\(path): is a folder; --stream reads one file or '-'") }
        if type != S_IFREG && type != S_IFIFO { throw CLIError("\(path): is a socket or device; --stream reads a file, a named pipe or '-'") }
        let f = open(path, O_RDONLY)
        guard f >= 0 else { throw CLIError("\(path): cannot be opened (\(String(cString: strerror(errno))))") }
        fd = f
        name = path
        waitsForGrowth = type == S_IFREG
    }

    deinit { if fd != 0 { close(fd) } }

    /// The next bytes; nil at the end.
    func next() throws -> ArraySlice<UInt8>? {
        var idle = 0.0
        while true {
            if stop.value != nil { return nil }
            if !waitsForGrowth {
                var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                let r = poll(&p, 1, 100)
                if r == 0 { continue }
                if r < 0 && errno == EINTR { continue }
            }
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n > 0 { return buffer[0..<n] }
            if n < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                throw CLIError("\(name): read failed (\(String(cString: strerror(errno))))")
            }
            if !waitsForGrowth { return nil }
            // A file at its current end: wait for it to grow.
            if idle >= idleTimeout { return nil }
            usleep(50_000)
            idle += 0.05
        }
    }
}

extension TrackCommand {
    /// --stream: live decisions every hop, segments as they close, and a last line at the end.
    func runStream(_ s: Setup) async throws {
        let stop = StopFlag()
        Interruption.deferFirstSignal { stop.set($0) }
        let input = try GrowingInput(path: audio[0], idleTimeout: live.idleTimeout ?? 10, stop: stop)
        let pcm = try PCMStreamDecoder(raw: try rawAudio.format(), name: input.name)
        var tracker: StreamingTracker?
        var segments: [TrackedSegment] = []
        // When each stretch of samples arrived, for the live decisions' latency.
        var clock: ArrivalClock?
        var warned = false
        func emit(_ events: [TrackerEvent]) {
            for e in events {
                switch e {
                case .live(let d):
                    let latency = clock?.latency(endingAt: d.end) ?? 0
                    printLive(d, latency: latency)
                case .segment(let seg):
                    if rttm != nil { segments.append(seg) }
                    if json {
                        print(SpeakerIDCLI.json(TrackingJSON.segmentEvent(seg)))
                    } else {
                        print("segment\t" + Self.text(seg))
                    }
                }
            }
            fflush(nil)
        }
        while let bytes = try input.next() {
            let samples: [Float]
            do { samples = try pcm.push(bytes) } catch {
                // The library names the missing format; the CLI names its option.
                guard case .notAudio(let name, let reason) = error else { throw error }
                throw CLIError("\(name): \(reason.replacingOccurrences(of: " (RawAudioFormat)", with: "")); give --raw RATE[:ENCODING[:CHANNELS]]")
            }
            guard let format = pcm.format else { continue }
            if tracker == nil {
                clock = ArrivalClock(sampleRate: format.sampleRate)
                tracker = try StreamingTracker(
                    identifier: s.identifier, rule: s.rule, options: s.options,
                    sourceSampleRate: format.sampleRate, name: input.name, encoderScoring: s.encoderScoring)
                if !warned, let w = s.identifier.frontEnd.options.narrowBandWarning(input.name, sourceRate: format.sampleRate), !common.quiet {
                    Console.warn("warning: " + w)
                    warned = true
                }
            }
            guard let t = tracker, !samples.isEmpty else { continue }
            clock?.arrived(samples.count)
            emit(try t.push(samples))
        }
        try pcm.finish()
        guard let t = tracker, pcm.format != nil else { throw CLIError("\(input.name): the stream ended before any audio") }
        emit(try t.finish())
        if json {
            print(SpeakerIDCLI.json(TrackingJSON.end(file: input.name, durationSeconds: t.secondsReceived, speechSeconds: t.speechSeconds)))
        } else {
            print("end\t\(input.name)\t\(fmt(t.secondsReceived, 2)) s, \(fmt(t.speechSeconds, 2)) s of speech")
        }
        fflush(nil)
        if let rttm {
            try Self.prepareRTTMFolder(rttm)
            let id = RTTM.fileID(input.name)
            let path = PathName.join(rttm, id + ".rttm")
            let text = segments.map { RTTM.line(file: id, start: $0.start, duration: $0.end - $0.start, label: $0.label) + "\n" }.joined()
            do { try AtomicFile.write(Array(text.utf8), to: path) } catch { throw CLIError("\(path): cannot write (\(error))") }
        }
        if let sig = stop.value {
            Console.warn(
                "interrupted by \(sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "SIGHUP"); the stream's last segments were written")
            throw ExitCode(128 + sig)
        }
    }

    private func printLive(_ d: LiveDecision, latency: Double) {
        let dec = d.decision
        if json {
            print(SpeakerIDCLI.json(TrackingJSON.window(d, latency: latency)))
        } else {
            let what = d.label ?? "<no speech>"
            let figures = dec.llr.map { "\tLLR \(fmt($0, 2))" } ?? dec.score.map { "\tscore \(fmt($0, 3))" } ?? ""
            print("live\t\(Self.clock(d.start)) - \(Self.clock(d.end))\t\(what)\(figures)\tlatency \(fmt(latency, 2)) s")
        }
    }
}
