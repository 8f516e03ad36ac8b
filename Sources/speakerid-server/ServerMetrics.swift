import Foundation

/// The server's counters in Prometheus's text format (`GET /metrics`): requests by route,
/// method and status, their latency as a histogram by route, seconds of audio processed, and
/// errors by kind. Routes are the templates (`/v1/speakers/{name}`), or "unmatched", so a
/// client cannot add series at will.
final class ServerMetrics: @unchecked Sendable {
    // @unchecked: every property is touched under `lock` only.
    private let lock = NSLock()
    private struct RequestKey: Hashable {
        var route: String, method: String, status: Int
    }
    private struct Histogram {
        var counts: [Int]
        var sum = 0.0
        var count = 0
    }
    private var requests: [RequestKey: Int] = [:]
    private var latency: [String: Histogram] = [:]
    private var audioSeconds = 0.0
    private var errors: [String: Int] = [:]

    /// Upper bounds of the latency buckets, in seconds.
    static let buckets = [0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30]

    func record(route: String, method: String, status: Int, seconds: Double) {
        lock.lock()
        defer { lock.unlock() }
        requests[RequestKey(route: route, method: method, status: status), default: 0] += 1
        var h = latency[route] ?? Histogram(counts: [Int](repeating: 0, count: Self.buckets.count))
        for (i, b) in Self.buckets.enumerated() where seconds <= b { h.counts[i] += 1 }
        h.sum += seconds
        h.count += 1
        latency[route] = h
    }

    func addAudio(seconds: Double) {
        guard seconds.isFinite, seconds > 0 else { return }
        lock.lock()
        audioSeconds += seconds
        lock.unlock()
    }

    func error(kind: String) {
        lock.lock()
        errors[kind, default: 0] += 1
        lock.unlock()
    }

    /// A label value with `\`, `"` and newlines escaped.
    static func label(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
    }

    /// A number as Prometheus writes it.
    static func number(_ x: Double) -> String {
        if x == x.rounded(), abs(x) < 1e15 { return String(Int(x)) }
        return "\(x)"
    }

    /// The exposition text.
    func text() -> String {
        lock.lock()
        let requests = requests, latency = latency, audio = audioSeconds, errors = errors
        lock.unlock()
        var out = "# HELP speakerid_http_requests_total HTTP requests by route, method and status.\n"
        out += "# TYPE speakerid_http_requests_total counter\n"
        for (k, n) in requests.sorted(by: { ($0.key.route, $0.key.method, $0.key.status) < ($1.key.route, $1.key.method, $1.key.status) }) {
            out += "speakerid_http_requests_total{route=\"\(Self.label(k.route))\",method=\"\(Self.label(k.method))\",status=\"\(k.status)\"} \(n)\n"
        }
        out += "# HELP speakerid_http_request_duration_seconds Time from a request's arrival to its response, by route.\n"
        out += "# TYPE speakerid_http_request_duration_seconds histogram\n"
        for (route, h) in latency.sorted(by: { $0.key < $1.key }) {
            let r = Self.label(route)
            for (i, b) in Self.buckets.enumerated() {
                out += "speakerid_http_request_duration_seconds_bucket{route=\"\(r)\",le=\"\(b)\"} \(h.counts[i])\n"
            }
            out += "speakerid_http_request_duration_seconds_bucket{route=\"\(r)\",le=\"+Inf\"} \(h.count)\n"
            out += "speakerid_http_request_duration_seconds_sum{route=\"\(r)\"} \(h.sum)\n"
            out += "speakerid_http_request_duration_seconds_count{route=\"\(r)\"} \(h.count)\n"
        }
        out += "# HELP speakerid_audio_seconds_total Seconds of audio received and processed.\n"
        out += "# TYPE speakerid_audio_seconds_total counter\n"
        out += "speakerid_audio_seconds_total \(audio)\n"
        out += "# HELP speakerid_errors_total Requests answered with an error, by kind.\n"
        out += "# TYPE speakerid_errors_total counter\n"
        for (kind, n) in errors.sorted(by: { $0.key < $1.key }) {
            out += "speakerid_errors_total{kind=\"\(Self.label(kind))\"} \(n)\n"
        }
        return out
    }
}
