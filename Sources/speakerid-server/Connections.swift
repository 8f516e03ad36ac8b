import Foundation
import Hummingbird
import NIOCore
import NIOHTTPTypes
import SpeakerID

/// HTTP connections open at once, against `--max-connections`.
final class ConnectionCount: @unchecked Sendable {
    // @unchecked: `open` is only touched under `lock`.
    private let lock = NSLock()
    private var open = 0
    let limit: Int

    init(limit: Int) { self.limit = limit }

    /// Counts a connection in; false when it is one too many (it is counted all the same,
    /// until it closes).
    func enter() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        open += 1
        return open <= limit
    }

    func leave() {
        lock.lock()
        open -= 1
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
