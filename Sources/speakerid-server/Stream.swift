import Foundation
import Hummingbird
import HummingbirdWebSocket
import NIOCore
import NIOHTTPTypes
import SpeakerID

/// One live stream of `GET /v1/stream`: 16-bit little-endian PCM at `rate` Hz tracked as
/// `speakerid track --stream --raw RATE` tracks standard input, each live decision and closed
/// segment answered as the object `track --stream --json` prints.
struct StreamSession {
    let setup: TrackingSetup
    let tracker: StreamingTracker
    let pcm: PCMStreamDecoder
    var clock: ArrivalClock
    let name = "stream"

    init(setup: TrackingSetup, rate: Int) throws {
        self.setup = setup
        let format = RawAudioFormat(sampleRate: rate, channels: 1, encoding: .pcm16)
        pcm = try PCMStreamDecoder(raw: format, name: name)
        tracker = try StreamingTracker(
            identifier: setup.identifier, rule: setup.rule, options: setup.options, sourceSampleRate: rate, name: name,
            encoderScoring: setup.encoderScoring)
        clock = ArrivalClock(sampleRate: rate)
    }

    /// The JSON lines of what these bytes made known.
    mutating func push(_ bytes: ByteBuffer) throws -> [String] {
        let samples = try pcm.push(bytes.readableBytesView)
        guard !samples.isEmpty else { return [] }
        clock.arrived(samples.count)
        return lines(try tracker.push(samples))
    }

    /// The last segments and the end object.
    mutating func finish() throws -> [String] {
        try pcm.finish()
        var out = lines(try tracker.finish())
        out.append(
            TrackingJSON.line(TrackingJSON.end(file: name, durationSeconds: tracker.secondsReceived, speechSeconds: tracker.speechSeconds)) ?? "")
        return out
    }

    var secondsReceived: Double { tracker.secondsReceived }

    private mutating func lines(_ events: [TrackerEvent]) -> [String] {
        events.compactMap { e -> String? in
            switch e {
            case .live(let d):
                let latency = clock.latency(endingAt: d.end)
                return TrackingJSON.line(setup.withPosterior(TrackingJSON.window(d, latency: latency), llr: d.decision.llr))
            case .segment(let s):
                return TrackingJSON.line(setup.withPosterior(TrackingJSON.segmentEvent(s), llr: s.decision.llr))
            }
        }
    }
}

/// `GET /v1/stream`: the checks before the upgrade and the WebSocket session after it.
struct StreamService: Sendable {
    let folder: SpeakerFolder
    let auth: Authenticator
    let metrics: ServerMetrics
    let streams: InFlight

    static let rates = 8000...48000

    /// The stream's sample rate, once the request may open a stream: a key of scope `use`
    /// (header or `key` parameter), `rate` 8000-48000, enrolled speakers, and a free stream.
    func check(_ request: Request) throws(APIError) -> (rate: Int, setup: TrackingSetup) {
        try auth.require(.use, request, queryKey: true)
        guard let raw = request.uri.queryParameters["rate"] else {
            throw APIError.badRequest("give the stream's sample rate: GET /v1/stream?rate=16000 (16-bit little-endian mono PCM, 8000-48000 Hz)")
        }
        guard let rate = Int(String(raw)), Self.rates.contains(rate) else {
            throw APIError.badRequest("rate must be a whole number of Hz from 8000 to 48000, not \(String(raw.prefix(40)).debugDescription)")
        }
        if streams.current >= streams.limit {
            throw APIError.tooManyRequests("this server is already serving \(streams.limit) live streams; try again later")
        }
        return (rate, try folder.trackingSetup())
    }

    /// The session: binary frames are PCM; a text frame `end` asks for the last segments and
    /// the end object, after which the server closes the connection.
    func serve(_ inbound: WebSocketInboundStream, _ outbound: WebSocketOutboundWriter, request: Request) async {
        let started = ContinuousClock.now
        let session: (rate: Int, setup: TrackingSetup)
        do { session = try check(request) } catch {
            await refuse(outbound, error)
            return
        }
        guard streams.enter() else {
            await refuse(outbound, .tooManyRequests("this server is already serving \(streams.limit) live streams; try again later"))
            return
        }
        defer { streams.leave() }
        // A stream that sends nothing for --stream-idle-seconds is closed (with its reason), so
        // it cannot hold one of the --max-streams.
        let activity = Activity()
        let idleLimit = folder.settings.streamIdleSeconds
        let watchdog = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(250))
                if activity.idleSeconds > idleLimit {
                    await refuse(
                        outbound,
                        APIError(
                            status: .requestTimeout, kind: "timeout",
                            message: "no audio for \(String(format: "%g", idleLimit)) s: the stream is closed; open a new one"))
                    return
                }
            }
        }
        defer { watchdog.cancel() }
        var seconds = 0.0
        var status = 101
        do {
            var s = try StreamSession(setup: session.setup, rate: session.rate)
            var text: ByteBuffer?
            let limit = folder.settings.maxStreamSeconds
            loop: for try await frame in inbound {
                activity.touch()
                switch frame.opcode {
                case .binary:
                    text = nil
                    for line in try s.push(frame.data) { try await outbound.write(.text(line)) }
                case .text:
                    text = frame.data
                case .continuation:
                    if text != nil {
                        var data = frame.data
                        text?.writeBuffer(&data)
                        if (text?.readableBytes ?? 0) > 1024 { throw APIError.badRequest("a text frame of over 1 KB; the only command is `end`") }
                    } else {
                        for line in try s.push(frame.data) { try await outbound.write(.text(line)) }
                    }
                }
                if let t = text, frame.fin {
                    let word = String(buffer: t).trimmingCharacters(in: .whitespacesAndNewlines)
                    guard word == "end" || word == #"{"event":"end"}"# || word == #"{"event": "end"}"# else {
                        throw APIError.badRequest("text frames are commands; the only one is `end` (audio goes in binary frames)")
                    }
                    break loop
                }
                if s.secondsReceived > limit {
                    throw APIError.tooLarge("the stream lasted more than this server's limit of \(String(format: "%g", limit)) s; open a new one")
                }
            }
            for line in try s.finish() { try await outbound.write(.text(line)) }
            seconds = s.secondsReceived
            try await outbound.close(.normalClosure, reason: nil)
        } catch let e as APIError {
            status = e.status.code
            await refuse(outbound, e)
        } catch {
            // The peer went away (writes fail), or the audio could not be tracked.
            status = 499
            await refuse(outbound, .badRequest("the stream could not be tracked: \(folder.userMessage(error))"))
        }
        metrics.addAudio(seconds: seconds)
        let elapsed = ContinuousClock.now - started
        metrics.record(
            route: "/v1/stream", method: "GET", status: status,
            seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    }

    /// One line of JSON `{"error": ...}`, then a close frame (policy violation; 1013 for too
    /// many streams).
    func refuse(_ outbound: WebSocketOutboundWriter, _ e: APIError) async {
        metrics.error(kind: e.kind)
        try? await outbound.write(.text(TrackingJSON.line(["error": e.message]) ?? #"{"error":"refused"}"#))
        if e.status == .tooManyRequests {
            try? await outbound.close(.unknown(1013), reason: e.kind)  // try again later
        } else {
            try? await outbound.close(.policyViolation, reason: e.kind)
        }
    }
}

/// When a stream last sent something.
final class Activity: @unchecked Sendable {
    // @unchecked: `last` is only touched under `lock`.
    private let lock = NSLock()
    private var last = ContinuousClock.now

    func touch() {
        lock.lock()
        last = ContinuousClock.now
        lock.unlock()
    }

    var idleSeconds: Double {
        lock.lock()
        let d = ContinuousClock.now - last
        lock.unlock()
        return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }
}

/// Why WebSocket upgrades were refused, by connection, until the refusal is written.
final class Refusals: @unchecked Sendable {
    // @unchecked: `byChannel` is only touched under `lock`.
    private let lock = NSLock()
    private var byChannel: [ObjectIdentifier: APIError] = [:]

    func set(_ channel: any Channel, _ e: APIError) {
        lock.lock()
        if byChannel.count > 10_000 { byChannel.removeAll() }  // connections that went away first
        byChannel[ObjectIdentifier(channel)] = e
        lock.unlock()
    }

    func take(_ channel: any Channel) -> APIError? {
        lock.lock()
        defer { lock.unlock() }
        return byChannel.removeValue(forKey: ObjectIdentifier(channel))
    }
}

/// Writes a refused WebSocket upgrade's reason: hummingbird-websocket answers a refused upgrade
/// with an empty 400 and closes; this handler (on every HTTP connection) turns that answer into
/// the refusal's status and one line of JSON, as every other error is answered.
final class RefusalWriter: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart
    let refusals: Refusals
    private var body: ByteBuffer?

    init(refusals: Refusals) { self.refusals = refusals }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let head) where head.status == .badRequest && head.headerFields[.contentLength] == "0":
            guard let e = refusals.take(context.channel) else { break }
            var line = Data((TrackingJSON.line(["error": e.message]) ?? #"{"error":"refused"}"#).utf8)
            line.append(UInt8(ascii: "\n"))
            let buffer = ByteBuffer(bytes: line)
            body = buffer
            let fields: HTTPFields = [
                .connection: "close", .contentType: "application/json", .contentLength: String(buffer.readableBytes),
            ]
            context.write(wrapOutboundOut(.head(HTTPResponse(status: e.status, headerFields: fields))), promise: promise)
            return
        case .end where body != nil:
            if let b = body { context.write(wrapOutboundOut(.body(b)), promise: nil) }
            body = nil
        default:
            break
        }
        context.write(data, promise: promise)
    }
}
