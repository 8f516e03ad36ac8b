import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A minimal WebSocket client (RFC 6455) on a blocking socket, independent of the server's
/// WebSocket library: the handshake, masked frames out, frames in. For the tests only; run it
/// off the cooperative pool (`onThread`).
final class RawWebSocket {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    private let fd: Int32
    private var buffer: [UInt8] = []
    /// The HTTP status of the handshake's answer (101 when upgraded), and its body otherwise.
    private(set) var status = 0
    private(set) var body = ""
    var answer: (Int, String) { (status, body) }

    init(port: Int, path: String, headers: [String: String] = [:], upgrade: Bool = true) throws {
        fd = try Self.connectLoopback(port: port, timeoutSeconds: 60)
        var request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\n"
        if upgrade {
            request += "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        }
        for (k, v) in headers { request += "\(k): \(v)\r\n" }
        request += "\r\n"
        try transmit(Array(request.utf8))
        // The answer's head, then (when not upgraded) its body.
        var head: [UInt8] = []
        while true {
            if let r = find([13, 10, 13, 10]) {
                head = Array(buffer[..<r])
                buffer.removeFirst(r + 4)
                break
            }
            try fill()
        }
        let text = String(decoding: head, as: UTF8.self)
        let lines = text.components(separatedBy: "\r\n")
        status = Int(lines.first?.split(separator: " ").dropFirst().first ?? "") ?? 0
        if status != 101 {
            let length =
                lines.first { $0.lowercased().hasPrefix("content-length:") }.flatMap {
                    Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces))
                }
                ?? 0
            while buffer.count < length { try fill() }
            body = String(decoding: buffer.prefix(length), as: UTF8.self)
        }
    }

    deinit { close(fd) }

    /// A blocking TCP socket connected to `port` on 127.0.0.1, reads giving up after
    /// `timeoutSeconds`.
    static func connectLoopback(port: Int, timeoutSeconds: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket() failed") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(fd)
            throw Failure(description: "cannot connect to port \(port)")
        }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        return fd
    }

    private func find(_ needle: [UInt8]) -> Int? {
        guard buffer.count >= needle.count else { return nil }
        for i in 0...(buffer.count - needle.count) where Array(buffer[i..<(i + needle.count)]) == needle { return i }
        return nil
    }

    private func fill() throws {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard n > 0 else { throw Failure(description: "the server closed the connection (or 60 s passed)") }
        buffer.append(contentsOf: chunk[0..<n])
    }

    private func transmit(_ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw Failure(description: "send failed") }
            sent += n
        }
    }

    /// One frame: `opcode` 1 text, 2 binary, 8 close.
    func sendFrame(opcode: UInt8, _ payload: [UInt8]) throws {
        var frame: [UInt8] = [0x80 | opcode]
        let mask: [UInt8] = [0x12, 0x34, 0x56, 0x78]
        if payload.count < 126 {
            frame.append(0x80 | UInt8(payload.count))
        } else if payload.count < 65536 {
            frame += [0x80 | 126, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
        } else {
            frame.append(0x80 | 127)
            for s in stride(from: 56, through: 0, by: -8) { frame.append(UInt8((payload.count >> s) & 0xFF)) }
        }
        frame += mask
        frame += payload.enumerated().map { $0.element ^ mask[$0.offset % 4] }
        try transmit(frame)
    }

    func sendText(_ text: String) throws { try sendFrame(opcode: 1, Array(text.utf8)) }
    func sendBinary(_ bytes: [UInt8]) throws { try sendFrame(opcode: 2, bytes) }

    /// The next message: its opcode and payload (text and close messages too).
    func receive() throws -> (opcode: UInt8, payload: [UInt8]) {
        var message: [UInt8] = []
        var first: UInt8?
        while true {
            while buffer.count < 2 { try fill() }
            let b0 = buffer[0], b1 = buffer[1]
            var length = Int(b1 & 0x7F), offset = 2
            if length == 126 {
                while buffer.count < 4 { try fill() }
                length = Int(buffer[2]) << 8 | Int(buffer[3])
                offset = 4
            } else if length == 127 {
                while buffer.count < 10 { try fill() }
                length = (2..<10).reduce(0) { $0 << 8 | Int(buffer[$1]) }
                offset = 10
            }
            while buffer.count < offset + length { try fill() }
            let payload = Array(buffer[offset..<(offset + length)])
            buffer.removeFirst(offset + length)
            let opcode = b0 & 0x0F
            if opcode == 9 || opcode == 10 { continue }  // ping, pong
            if opcode == 8 { return (8, payload) }
            if first == nil { first = opcode }
            message += payload
            if b0 & 0x80 != 0 { return (first ?? opcode, message) }
        }
    }

    /// Every text message until the server closes: the JSON lines, and the close code.
    func textsUntilClose() throws -> (texts: [String], closeCode: Int) {
        var texts: [String] = []
        while true {
            let m = try receive()
            if m.opcode == 8 {
                let code = m.payload.count >= 2 ? Int(m.payload[0]) << 8 | Int(m.payload[1]) : 1005
                try? sendFrame(opcode: 8, Array(m.payload.prefix(2)))
                return (texts, code)
            }
            if m.opcode == 1 { texts.append(String(decoding: m.payload, as: UTF8.self)) }
        }
    }
}

/// A connection that sends `bytes` (perhaps not a whole request), then nothing.
final class SilentConnection {
    private let fd: Int32
    private let opened = Date()

    init(port: Int, sending bytes: [UInt8] = []) throws {
        fd = try RawWebSocket.connectLoopback(port: port, timeoutSeconds: 10)
        if !bytes.isEmpty { _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } }
    }

    deinit { close(fd) }

    /// Seconds from opening until the server closed the connection without answering, or nil
    /// when it answered or kept it open for 10 s.
    func secondsUntilClosed() -> Double? {
        var byte: UInt8 = 0
        let n = recv(fd, &byte, 1, 0)
        return n == 0 || (n < 0 && errno == ECONNRESET) ? Date().timeIntervalSince(opened) : nil
    }

    /// Whether the server has closed the connection already (without waiting).
    var isClosed: Bool {
        var byte: UInt8 = 0
        let n = recv(fd, &byte, 1, Int32(MSG_DONTWAIT))
        return n == 0 || (n < 0 && errno == ECONNRESET)
    }
}

/// Runs blocking work on its own thread, so a test's client cannot starve the in-process
/// server of the cooperative pool's threads.
func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let t = Thread { continuation.resume(with: Result { try body() }) }
        t.start()
    }
}
