import Foundation
import Hummingbird

/// A request the server refuses or could not serve: its status, a kind for the metrics
/// (`errors_total{kind=...}`), and one line naming the problem in the user's terms, sent as
/// `{"error": "..."}`.
struct APIError: Error, Sendable, CustomStringConvertible {
    var status: HTTPResponse.Status
    var kind: String
    var message: String

    var description: String { message }

    static func badRequest(_ m: String) -> APIError { APIError(status: .badRequest, kind: "bad_request", message: m) }
    static func notAudio(_ m: String) -> APIError { APIError(status: .unprocessableContent, kind: "not_audio", message: m) }
    static func unauthorized(_ m: String) -> APIError { APIError(status: .unauthorized, kind: "unauthorized", message: m) }
    static func forbidden(_ m: String) -> APIError { APIError(status: .forbidden, kind: "forbidden", message: m) }
    static func notFound(_ m: String) -> APIError { APIError(status: .notFound, kind: "not_found", message: m) }
    static func methodNotAllowed(_ m: String) -> APIError { APIError(status: .methodNotAllowed, kind: "method_not_allowed", message: m) }
    static func conflict(_ m: String) -> APIError { APIError(status: .conflict, kind: "conflict", message: m) }
    static func tooLarge(_ m: String) -> APIError { APIError(status: .contentTooLarge, kind: "too_large", message: m) }
    static func tooManyRequests(_ m: String) -> APIError { APIError(status: .tooManyRequests, kind: "too_many_requests", message: m) }
    static func unsupportedMediaType(_ m: String) -> APIError { APIError(status: .unsupportedMediaType, kind: "unsupported_media_type", message: m) }
    static func `internal`(_ m: String) -> APIError { APIError(status: .internalServerError, kind: "internal", message: m) }

    /// The JSON response: one line, `{"error": "..."}`.
    var response: Response { JSONBody.response(["error": message], status: status) }
}

/// JSON bodies: one line, keys sorted, as the CLI writes them.
enum JSONBody {
    static func data(_ value: some Encodable) throws -> Data {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return try e.encode(value)
    }

    static func response(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
        do { return raw(try data(value), status: status) } catch {
            // A number JSON cannot hold (never expected): said, not sent as half an object.
            return raw(
                Data(#"{"error":"the answer cannot be written as JSON (a value is not a finite number); please report this"}"#.utf8),
                status: .internalServerError)
        }
    }

    static func raw(_ data: Data, status: HTTPResponse.Status = .ok, contentType: String = "application/json") -> Response {
        var body = data
        if contentType == "application/json" { body.append(UInt8(ascii: "\n")) }
        return Response(
            status: status, headers: [.contentType: contentType],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }
}
