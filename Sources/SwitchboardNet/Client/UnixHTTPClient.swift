import Foundation
import Glibc

/// A small blocking HTTP/1.1 client for the daemon's own Unix socket, used by the command line
/// (`switchboard send | show | status`). One request per connection; answers are small JSON.
public struct UnixHTTPClient: Sendable {
    public struct Response: Sendable {
        public var status: Int
        public var headers: [(String, String)]
        public var body: [UInt8]
        public var text: String { String(decoding: body, as: UTF8.self) }
        public func header(_ name: String) -> String? {
            headers.first { $0.0.caseInsensitiveCompare(name) == .orderedSame }?.1
        }
    }

    public enum ClientError: Error, CustomStringConvertible {
        case connect(path: String, errno: Int32)
        case io(String)
        case malformedResponse

        public var description: String {
            switch self {
            case let .connect(path, code):
                let reason = String(cString: strerror(code))
                let hint: String
                switch code {
                case ENOENT, ECONNREFUSED: hint = "is the daemon running? (systemctl status switchboard, or make run)"
                case EACCES: hint = "your user needs to be in the daemon's group to use its socket"
                default: hint = "check the listener path in adapters.json or pass --socket"
                }
                return "cannot connect to \(path): \(reason); \(hint)"
            case let .io(what): return "lost the connection to the daemon: \(what)"
            case .malformedResponse: return "the daemon sent an answer this client cannot read"
            }
        }
    }

    public var socketPath: String
    public var timeoutSeconds: Int

    public init(socketPath: String, timeoutSeconds: Int = 30) {
        self.socketPath = socketPath
        self.timeoutSeconds = timeoutSeconds
    }

    public func request(_ method: String, _ path: String, body: [UInt8]? = nil,
                        contentType: String = "application/json") throws -> Response {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw ClientError.io("socket(): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let pathBytes = Array(socketPath.utf8)
        guard pathBytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            throw ClientError.connect(path: socketPath, errno: ENAMETOOLONG)
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: pathBytes)
            raw[pathBytes.count] = 0
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else { throw ClientError.connect(path: socketPath, errno: errno) }

        var head = "\(method) \(path) HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nUser-Agent: switchboard-cli\r\n"
        if let body {
            head += "Content-Type: \(contentType)\r\nContent-Length: \(body.count)\r\n"
        }
        head += "\r\n"
        var out = Array(head.utf8)
        if let body { out += body }
        var sent = 0
        while sent < out.count {
            let n = out.withUnsafeBytes { send(fd, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
            if n < 0 { if errno == EINTR { continue }; throw ClientError.io("send: \(String(cString: strerror(errno)))") }
            sent += n
        }
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, 0) }
            if n == 0 { break }
            if n < 0 { if errno == EINTR { continue }; throw ClientError.io("recv: \(String(cString: strerror(errno)))") }
            received += chunk[0..<n]
            if let response = Self.parseComplete(received) { return response }
        }
        guard let response = Self.parseComplete(received, atEOF: true) else { throw ClientError.malformedResponse }
        return response
    }

    /// Parses a whole response once its headers and Content-Length body (or chunked body) are in.
    static func parseComplete(_ bytes: [UInt8], atEOF: Bool = false) -> Response? {
        guard let end = bytes.firstRange(of: [13, 10, 13, 10]) else { return nil }
        let headText = String(decoding: bytes[..<end.lowerBound], as: UTF8.self)
        var lines = headText.components(separatedBy: "\r\n")
        guard !lines.isEmpty else { return nil }
        let statusLine = lines.removeFirst().split(separator: " ", maxSplits: 2)
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { return nil }
        var headers: [(String, String)] = []
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers.append((String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        let bodyStart = end.upperBound
        let available = Array(bytes[bodyStart...])
        func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name }?.1 }
        if let lengthText = header("content-length"), let length = Int(lengthText) {
            guard available.count >= length else { return nil }
            return Response(status: status, headers: headers, body: Array(available[0..<length]))
        }
        if header("transfer-encoding")?.lowercased() == "chunked" {
            var body: [UInt8] = []
            var index = 0
            while true {
                guard let lineEnd = available[index...].firstRange(of: [13, 10]) else { return nil }
                let sizeText = String(decoding: available[index..<lineEnd.lowerBound], as: UTF8.self).split(separator: ";").first ?? ""
                guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else { return nil }
                index = lineEnd.upperBound
                if size == 0 { return Response(status: status, headers: headers, body: body) }
                guard available.count >= index + size + 2 else { return nil }
                body += available[index..<(index + size)]
                index += size + 2
            }
        }
        return atEOF ? Response(status: status, headers: headers, body: available) : nil
    }
}
