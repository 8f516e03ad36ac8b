import Foundation
import Hummingbird
import HummingbirdCore
import NIOCore
import NIOHTTPTypes
import Logging
import SpeakerID

/// HTTP connections open at once, against `--max-connections`.
final class ConnectionCount: @unchecked Sendable {
    // @unchecked: `count` is only touched under `lock`.
    private let lock = NSLock()
    private var count = 0
    let limit: Int

    init(limit: Int) { self.limit = limit }

    /// Counts a connection in; false when it is one too many (it is counted all the same,
    /// until it closes).
    func enter() -> Bool { enterCounting() <= limit }

    /// Counts a connection in and returns how many are counted now, itself included.
    func enterCounting() -> Int {
        lock.lock()
        defer { lock.unlock() }
        count += 1
        return count
    }

    func leave() {
        lock.lock()
        count -= 1
        lock.unlock()
    }
}

/// On every HTTP connection: beyond `--max-connections` open at once, its request is answered
/// 429 with one line of JSON and the connection closed, before any route sees it. (A live
/// stream, once upgraded, is counted by `--max-streams` instead.)
final class ConnectionGate: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart
    let count: ConnectionCount
    let metrics: ServerMetrics
    private var counted = false
    private var refused = false

    init(count: ConnectionCount, metrics: ServerMetrics) {
        self.count = count
        self.metrics = metrics
    }

    func handlerAdded(context: ChannelHandlerContext) {
        counted = true
        refused = !count.enter()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        if counted { count.leave() }
        counted = false
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard refused else {
            context.fireChannelRead(data)
            return
        }
        // The request is not passed on; at its end, the refusal.
        guard case .end = unwrapInboundIn(data) else { return }
        let e = APIError.tooManyRequests("this server already has \(count.limit) connections open; try again shortly")
        metrics.error(kind: e.kind)
        metrics.record(route: "unmatched", method: "-", status: e.status.code, seconds: 0)
        var line = Data((TrackingJSON.line(["error": e.message]) ?? #"{"error":"too many connections"}"#).utf8)
        line.append(UInt8(ascii: "\n"))
        let fields: HTTPFields = [.connection: "close", .contentType: "application/json", .contentLength: String(line.count)]
        context.write(wrapOutboundOut(.head(HTTPResponse(status: e.status, headerFields: fields))), promise: nil)
        context.write(wrapOutboundOut(.body(ByteBuffer(bytes: line))), promise: nil)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
    }
}

/// At the front of every connection from the moment it is accepted, before HTTP decoding (and
/// before the WebSocket upgrade machinery, which adds the HTTP handlers only once a request
/// head has arrived): counts the connection against `--max-connections` until its first
/// request head is in, then hands it to `ConnectionGate`; closes a connection that has not
/// sent a whole request head within `--header-timeout` seconds (a client that connects and
/// says nothing, or dribbles its headers); and closes at once a connection beyond twice the
/// limit, so that silent connections cannot use up the server's file descriptors. After the
/// first head, Hummingbird's idle timeout (60 s) watches the connection. (Between the head and
/// ConnectionGate's being added, as the upgrade check decides, the connection is counted by
/// neither: a moment, not a way around the limit.)
final class AcceptGuard: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    let count: ConnectionCount
    let metrics: ServerMetrics
    let timeout: TimeAmount
    private var counted = false
    private var overLimit = false
    private var deadline: Scheduled<Void>?
    /// Whether the request line has begun, and the last four bytes since (to find the blank
    /// line ending the head across reads).
    private var started = false
    private var last: UInt32 = 0

    init(count: ConnectionCount, metrics: ServerMetrics, timeoutSeconds: Double) {
        self.count = count
        self.metrics = metrics
        timeout = .nanoseconds(Int64(timeoutSeconds * 1e9))
    }

    func handlerAdded(context: ChannelHandlerContext) {
        counted = true
        if count.enterCounting() > 2 * count.limit {
            // Closed once active (a channel being set up is not registered yet).
            overLimit = true
            metrics.error(kind: "too_many_connections")
            if context.channel.isActive { context.close(promise: nil) }
            return
        }
        let channel = context.channel, metrics = metrics
        deadline = context.eventLoop.scheduleTask(in: timeout) {
            metrics.error(kind: "timeout")
            channel.close(promise: nil)
        }
    }

    func channelActive(context: ChannelHandlerContext) {
        if overLimit {
            context.close(promise: nil)
            return
        }
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) { release() }

    private func release() {
        deadline?.cancel()
        deadline = nil
        if counted { count.leave() }
        counted = false
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        var complete = false
        for b in buffer.readableBytesView {
            // Blank lines before the request line are skipped by the HTTP parser, so they do
            // not start the head (or a client could end "its head" without sending one).
            if !started {
                if b == 13 || b == 10 { continue }
                started = true
            }
            last = last << 8 | UInt32(b)
            // The blank line ending the head: CRLF CRLF, or LF LF (which the parser accepts).
            if last == 0x0D0A_0D0A || last & 0xFFFF == 0x0A0A {
                complete = true
                break
            }
        }
        guard complete else {
            context.fireChannelRead(data)
            return
        }
        // The head is whole: the connection is ConnectionGate's to count from here.
        release()
        context.fireChannelRead(data)
        context.pipeline.syncOperations.removeHandler(self, promise: nil)
    }
}

/// A server child channel with `AcceptGuard` at the front of each connection's pipeline,
/// before what `inner` sets up.
struct GuardedChannel<Inner: ServerChildChannel>: ServerChildChannel {
    let inner: Inner
    let count: ConnectionCount
    let metrics: ServerMetrics
    let headerTimeoutSeconds: Double

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Inner.Value> {
        let (count, metrics, seconds) = (count, metrics, headerTimeoutSeconds)
        return channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(AcceptGuard(count: count, metrics: metrics, timeoutSeconds: seconds), position: .first)
        }.flatMap { inner.setup(channel: channel, logger: logger) }
    }

    func handle(value: Inner.Value, logger: Logger) async { await inner.handle(value: value, logger: logger) }
}
