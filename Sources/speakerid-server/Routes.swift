import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import Logging
import NIOCore
import SpeakerID

/// Who may call: the keys (read at start and again on SIGHUP), or nobody checked (`--no-auth`,
/// loopback only).
final class Authenticator: @unchecked Sendable {
    // @unchecked: `keys` is only touched under `lock`.
    private let lock = NSLock()
    private var keys: APIKeys?
    let path: String?

    /// Keys read from `path`; nil path: no authentication.
    init(path: String?) throws(KeysFileError) {
        self.path = path
        keys = try path.map { p throws(KeysFileError) in try APIKeys.load(path: p) }
    }

    /// Reads the keys file again; on an error the keys in force stay.
    func reload() throws(KeysFileError) {
        guard let path else { return }
        let k = try APIKeys.load(path: path)
        lock.lock()
        keys = k
        lock.unlock()
    }

    var keyCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return keys?.scopes.count ?? 0
    }

    /// Refuses a request without a key of `scope` (or above): 401 without a known key, 403
    /// with a key of a lower scope. With `queryKey` (the WebSocket, which browsers cannot give
    /// headers), the key may also come as the `key` query parameter.
    func require(_ scope: Scope, _ request: Request, queryKey: Bool = false) throws(APIError) {
        lock.lock()
        let keys = keys
        lock.unlock()
        guard let keys else { return }
        let key: String
        if let header = request.headers[.authorization] {
            let parts = header.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "bearer" else {
                throw APIError.unauthorized("the Authorization header must be `Bearer KEY`")
            }
            key = String(parts[1]).trimmingCharacters(in: .whitespaces)
        } else if queryKey, let k = request.uri.queryParameters["key"] {
            key = String(k)
        } else {
            throw APIError.unauthorized(
                queryKey
                    ? "this route needs an API key: send `Authorization: Bearer KEY` or the key parameter (?key=KEY)"
                    : "this route needs an API key: send `Authorization: Bearer KEY`")
        }
        guard let granted = keys.scope(ofKey: key) else {
            throw APIError.unauthorized("the API key is not one this server accepts")
        }
        if granted < scope { throw APIError.forbidden("this route needs a key of scope \(scope.rawValue); this key's scope is \(granted.rawValue)") }
    }
}

/// Requests being served, against the limit (429 beyond it).
final class InFlight: @unchecked Sendable {
    // @unchecked: `count` is only touched under `lock`.
    private let lock = NSLock()
    private var count = 0
    let limit: Int

    init(limit: Int) { self.limit = limit }

    func enter() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        if count >= limit { return false }
        count += 1
        return true
    }

    func leave() {
        lock.lock()
        count -= 1
        lock.unlock()
    }

    var current: Int {
        lock.lock()
        defer { lock.unlock() }
        return count
    }
}

/// The routes of the API: their paths and methods, for 404 and 405 answers and the tests.
enum Routes {
    static let all: [(path: String, methods: [String])] = [
        ("/healthz", ["GET"]),
        ("/openapi.json", ["GET"]),
        ("/metrics", ["GET"]),
        ("/v1/speakers", ["GET"]),
        ("/v1/speakers/{name}", ["PATCH", "DELETE"]),
        ("/v1/speakers/{name}/audio", ["POST"]),
        ("/v1/identify", ["POST"]),
        ("/v1/verify", ["POST"]),
        ("/v1/track", ["POST"]),
        ("/v1/jobs/{id}", ["GET"]),
        ("/v1/stream", ["GET"]),
    ]

    /// The web page's files (not API routes: not in openapi.json).
    static let page: [(path: String, methods: [String])] = [("/", ["GET"])] + WebPage.names.map { ("/" + $0, ["GET"]) }

    /// The methods of the route `path` matches, or nil when it matches none.
    static func methods(for path: String) -> [String]? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        for r in all + page {
            let pattern = r.path.split(separator: "/", omittingEmptySubsequences: false)
            guard pattern.count == parts.count else { continue }
            if zip(pattern, parts).allSatisfy({ p, x in p.hasPrefix("{") ? !x.isEmpty : p == x }) { return r.methods }
        }
        return nil
    }
}

/// Answers every error as one line of JSON, refuses requests beyond the concurrency limit,
/// and counts requests, latency and errors.
struct ServiceMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext
    let metrics: ServerMetrics
    let inFlight: InFlight

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        var response: Response
        if !inFlight.enter() {
            let e = APIError.tooManyRequests("this server is already serving \(inFlight.limit) requests; try again shortly")
            metrics.error(kind: e.kind)
            response = e.response
        } else {
            do {
                response = try await next(request, context)
            } catch {
                let e = Self.apiError(error, request: request)
                metrics.error(kind: e.kind)
                response = e.response
                if e.status == .methodNotAllowed, let allowed = Routes.methods(for: request.uri.path) {
                    response.headers[.allow] = allowed.joined(separator: ", ")
                }
            }
            inFlight.leave()
        }
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        metrics.record(route: context.endpointPath ?? "unmatched", method: request.method.rawValue, status: response.status.code, seconds: seconds)
        return response
    }

    /// Any error as the API's: its own, Hummingbird's (404, 413), or an unexpected one (500).
    static func apiError(_ error: any Error, request: Request) -> APIError {
        if let e = error as? APIError { return e }
        if let e = error as? any HTTPResponseError {
            switch e.status {
            case .notFound:
                if Routes.methods(for: request.uri.path) != nil {
                    return .methodNotAllowed("\(request.method.rawValue) is not allowed on \(request.uri.path)")
                }
                return .notFound("no such route: \(request.method.rawValue) \(request.uri.path.prefix(200))")
            case .contentTooLarge: return .tooLarge("the request body is larger than this server's limit")
            default: return APIError(status: e.status, kind: "http", message: e.status.reasonPhrase)
            }
        }
        return .internal("the request could not be served: \(error)")
    }
}

/// The application: routes, middleware and the models folder.
struct Server {
    let folder: SpeakerFolder
    let auth: Authenticator
    let metrics = ServerMetrics()
    let openAPI: Data
    let page: WebPage
    let jobs: TrackJobs
    let streams: InFlight

    init(folder: SpeakerFolder, auth: Authenticator, openAPI: Data, page: WebPage) {
        self.folder = folder
        self.auth = auth
        self.openAPI = openAPI
        self.page = page
        jobs = TrackJobs(maxPending: folder.settings.maxJobs)
        streams = InFlight(limit: folder.settings.maxStreams)
    }

    var streamService: StreamService { StreamService(folder: folder, auth: auth, metrics: metrics, streams: streams) }

    /// HTTP/1.1 with the WebSocket upgrade of `GET /v1/stream`: frames of up to 64 KB (the
    /// page sends 640-byte ones), a ping every 30 s to find dead peers. An upgrade it refuses
    /// (any other path, or the checks of `StreamService`) is answered as every error is: its
    /// status and one line of JSON.
    func httpServer() -> HTTPServerBuilder {
        let service = streamService
        let refusals = Refusals()
        let connections = ConnectionCount(limit: folder.settings.maxConnections), metrics = metrics
        // Idle keep-alive connections are closed after a minute, so they cannot hold the limit.
        let configuration = HTTP1WebSocketUpgradeChannel.Configuration(
            http1: .init(
                additionalChannelHandlers: [ConnectionGate(count: connections, metrics: metrics), RefusalWriter(refusals: refusals)],
                idleTimeout: .seconds(60)),
            ws: .init(maxFrameSize: 1 << 16))
        let shouldUpgrade:
            @Sendable (HTTPRequest, any Channel, Logger) async throws -> ShouldUpgradeResult<
                WebSocketDataHandler<HTTP1WebSocketUpgradeChannel.Context>
            > = { head, channel, _ in
                let request = Request(head: head, body: .init(buffer: ByteBuffer()))
                do throws(APIError) {
                    guard request.uri.path == "/v1/stream" else {
                        throw APIError.notFound("no WebSocket at \(request.uri.path.prefix(200)); the live stream is GET /v1/stream?rate=16000")
                    }
                    _ = try service.check(request)
                } catch {
                    service.metrics.error(kind: error.kind)
                    service.metrics.record(
                        route: request.uri.path == "/v1/stream" ? "/v1/stream" : "unmatched", method: "GET", status: error.status.code, seconds: 0)
                    refusals.set(channel, error)
                    return .dontUpgrade
                }
                return .upgrade([:]) { inbound, outbound, _ in await service.serve(inbound, outbound, request: request) }
            }
        let headerTimeout = folder.settings.headerTimeoutSeconds
        return HTTPServerBuilder { responder in
            GuardedChannel(
                inner: HTTP1WebSocketUpgradeChannel(responder: responder, configuration: configuration, shouldUpgrade: shouldUpgrade),
                count: connections, metrics: metrics, headerTimeoutSeconds: headerTimeout)
        }
    }

    /// The request body, at most `limit` bytes (413 beyond; 400 when empty).
    static func body(_ request: Request, limit: Int) async throws -> Data {
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > limit {
            throw APIError.tooLarge("the request body is \(length) bytes, more than this server's limit of \(limit)")
        }
        let buffer: ByteBuffer
        do { buffer = try await request.body.collect(upTo: limit) } catch let e as any HTTPResponseError where e.status == .contentTooLarge {
            throw APIError.tooLarge("the request body is more than this server's limit of \(limit) bytes")
        }
        if buffer.readableBytes == 0 { throw APIError.badRequest("the request body is empty: send one recording (WAV, FLAC, Ogg, MP3, ...)") }
        return Data(buffer.readableBytesView)
    }

    /// A path parameter, percent-decoded.
    static func parameter(_ context: BasicRequestContext, _ name: String) throws(APIError) -> String {
        guard let raw = context.parameters.get(name) else { throw APIError.badRequest("missing \(name)") }
        guard let decoded = raw.removingPercentEncoding else {
            throw APIError.badRequest("the \(name) in the path is not valid percent-encoded UTF-8")
        }
        return decoded
    }

    /// The recording's name in answers: the `file` query parameter, else "upload".
    static func clipName(_ request: Request) -> String {
        let given = request.uri.queryParameters["file"].map(String.init) ?? ""
        return given.isEmpty ? "upload" : String(given.prefix(1024))
    }

    func router() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: ServiceMiddleware(metrics: metrics, inFlight: InFlight(limit: folder.settings.maxConcurrentRequests)))
        let folder = folder, auth = auth, metrics = metrics, openAPI = openAPI, page = page, jobs = jobs
        let limit = folder.settings.maxBodyBytes
        let service = streamService

        for (path, _) in Routes.page {
            router.get(RouterPath(path)) { request, _ -> Response in
                guard let r = page.response(request.uri.path) else { throw APIError.notFound("no such page: \(request.uri.path.prefix(200))") }
                return r
            }
        }
        // Reached without a WebSocket upgrade, or when the upgrade was refused: the reason.
        router.get("/v1/stream") { request, _ -> Response in
            _ = try service.check(request)
            throw APIError(
                status: .init(code: 426, reasonPhrase: "Upgrade Required"), kind: "upgrade_required",
                message: "GET /v1/stream is a WebSocket: open it with `Upgrade: websocket` and send 16-bit PCM in binary frames")
        }
        router.post("/v1/track") { request, _ -> Response in
            try auth.require(.use, request)
            let data = try await Self.body(request, limit: limit)
            let name = Self.clipName(request)
            let duration = try folder.checkAudio(data, name: name)
            let setup = try folder.trackingSetup()
            if duration <= folder.settings.trackJobSeconds {
                let line = try folder.track(data, name: name, setup: setup)
                metrics.addAudio(seconds: duration)
                return JSONBody.raw(Data(line.utf8))
            }
            guard
                let job = jobs.start({ progress throws(APIError) -> String in
                    let line = try folder.track(data, name: name, setup: setup, progress: progress)
                    metrics.addAudio(seconds: duration)
                    return line
                })
            else {
                throw APIError.tooManyRequests("this server is already tracking \(jobs.maxPending) long recordings; try again later")
            }
            var response = JSONBody.raw(Data(TrackJobs.json(job).utf8), status: .accepted)
            response.headers[.location] = "/v1/jobs/\(job.id)"
            return response
        }
        router.get("/v1/jobs/{id}") { request, context -> Response in
            try auth.require(.use, request)
            let id = try Self.parameter(context, "id")
            guard let job = jobs.job(id) else {
                throw APIError.notFound(
                    "no such job: \(id.prefix(64).debugDescription) (finished jobs are kept until \(jobs.keep) newer ones finish)")
            }
            return JSONBody.raw(Data(TrackJobs.json(job).utf8))
        }

        router.get("/healthz") { _, _ -> Response in
            JSONBody.response(["status": "ok"])
        }
        router.get("/openapi.json") { _, _ -> Response in
            JSONBody.raw(openAPI)
        }
        router.get("/metrics") { request, _ -> Response in
            try auth.require(.admin, request)
            return JSONBody.raw(Data(metrics.text().utf8), contentType: "text/plain; version=0.0.4; charset=utf-8")
        }
        router.get("/v1/speakers") { request, _ -> Response in
            try auth.require(.use, request)
            return JSONBody.response(["speakers": try folder.list()])
        }
        router.post("/v1/speakers/{name}/audio") { request, context -> Response in
            try auth.require(.admin, request)
            let name = try Self.parameter(context, "name")
            let data = try await Self.body(request, limit: limit)
            let result = try await folder.enrol(name, audio: data)
            metrics.addAudio(seconds: result.addedSpeechSeconds)
            return JSONBody.response(result, status: result.created ? .created : .ok)
        }
        router.patch("/v1/speakers/{name}") { request, context -> Response in
            try auth.require(.admin, request)
            let name = try Self.parameter(context, "name")
            let data = try await Self.body(request, limit: 64 << 10)
            struct Rename: Decodable { var name: String }
            guard let body = try? JSONDecoder().decode(Rename.self, from: data) else {
                throw APIError.badRequest(#"the body must be JSON {"name": "NEW NAME"}"#)
            }
            let new = try await folder.rename(name, to: body.name)
            return JSONBody.response(["speaker": new, "renamed_from": name])
        }
        router.delete("/v1/speakers/{name}") { request, context -> Response in
            try auth.require(.admin, request)
            let name = try Self.parameter(context, "name")
            try await folder.remove(name)
            return JSONBody.response(["removed": name])
        }
        router.post("/v1/identify") { request, _ -> Response in
            try auth.require(.use, request)
            let data = try await Self.body(request, limit: limit)
            let answer = try folder.identify(data, name: Self.clipName(request))
            metrics.addAudio(seconds: answer.duration)
            return JSONBody.response(answer.answer)
        }
        router.post("/v1/verify") { request, _ -> Response in
            try auth.require(.use, request)
            guard let speaker = request.uri.queryParameters["speaker"].map(String.init) else {
                throw APIError.badRequest("give the claimed speaker: POST /v1/verify?speaker=NAME")
            }
            let data = try await Self.body(request, limit: limit)
            let answer = try folder.verify(data, name: Self.clipName(request), speaker: speaker)
            metrics.addAudio(seconds: answer.duration)
            return JSONBody.response(answer.answer)
        }
        return router
    }
}
