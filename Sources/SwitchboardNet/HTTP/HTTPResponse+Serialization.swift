/// How a response head is framed on the wire.
enum HTTPBodyFraming {
    /// `Content-Length: n` (omitted for 1xx and 204).
    case length(Int)
    /// `Transfer-Encoding: chunked` (streams to HTTP/1.1 clients).
    case chunked
    /// No length: the body ends when the connection closes (streams to HTTP/1.0 clients).
    case untilClose
}

extension HTTPResponse {
    /// Appends the status line and header section. The server owns framing and connection
    /// headers: the handler's `Content-Length`, `Transfer-Encoding` and `Connection` are dropped,
    /// and CR, LF and other control bytes in values become spaces (no header injection).
    static func appendHead(status: Int, reason: String?, headers: HTTPHeaders, framing: HTTPBodyFraming,
                           keepAlive: Bool, announceKeepAlive: Bool, date: [UInt8], into out: inout [UInt8]) {
        out.append(contentsOf: "HTTP/1.1 ".utf8)
        let s = max(100, min(status, 999))
        out.append(UInt8(0x30 + s / 100))
        out.append(UInt8(0x30 + (s / 10) % 10))
        out.append(UInt8(0x30 + s % 10))
        out.append(0x20)
        if let reason {
            appendSanitized(reason, to: &out)
        } else {
            out.append(contentsOf: reasonPhrase(for: s).utf8)
        }
        out.append(contentsOf: crlf)

        var sawDate = false
        for field in headers.fields {
            switch classify(field.name) {
            case .framing: continue
            case .invalid: continue
            case .date: sawDate = true
            case .other: break
            }
            out.append(contentsOf: field.name.utf8)
            out.append(contentsOf: colonSpace)
            appendSanitized(field.value, to: &out)
            out.append(contentsOf: crlf)
        }
        if !sawDate { out.append(contentsOf: date) }
        switch framing {
        case .length(let n):
            if !forbidsContentLength(s) {
                out.append(contentsOf: "Content-Length: ".utf8)
                appendDecimal(n, to: &out)
                out.append(contentsOf: crlf)
            }
        case .chunked:
            out.append(contentsOf: "Transfer-Encoding: chunked\r\n".utf8)
        case .untilClose:
            break
        }
        if !keepAlive {
            out.append(contentsOf: "Connection: close\r\n".utf8)
        } else if announceKeepAlive {
            out.append(contentsOf: "Connection: keep-alive\r\n".utf8)
        }
        out.append(contentsOf: crlf)
    }

    /// Appends the whole response. `omitBody` for HEAD requests (Content-Length is kept).
    func serialize(into out: inout [UInt8], keepAlive: Bool, announceKeepAlive: Bool, omitBody: Bool, date: [UInt8]) {
        let bodyAllowed = !Self.forbidsBody(status)
        Self.appendHead(status: status, reason: reason, headers: headers,
                        framing: .length(bodyAllowed ? body.count : 0),
                        keepAlive: keepAlive, announceKeepAlive: announceKeepAlive, date: date, into: &out)
        if bodyAllowed && !omitBody { out.append(contentsOf: body) }
    }

    /// Appends one chunk of a chunked body.
    static func appendChunk(_ bytes: [UInt8], to out: inout [UInt8]) {
        guard !bytes.isEmpty else { return }
        appendHex(bytes.count, to: &out)
        out.append(contentsOf: crlf)
        out.append(contentsOf: bytes)
        out.append(contentsOf: crlf)
    }

    static let lastChunk: [UInt8] = Array("0\r\n\r\n".utf8)
    static let continueResponse: [UInt8] = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)

    private static let crlf: [UInt8] = [0x0D, 0x0A]
    private static let colonSpace: [UInt8] = [0x3A, 0x20]

    private enum HeaderClass { case framing, date, invalid, other }

    private static func classify(_ name: String) -> HeaderClass {
        let utf8 = name.utf8
        if utf8.isEmpty || !utf8.allSatisfy(HTTPSyntax.isTokenByte) { return .invalid }
        switch utf8.count {
        case 14 where HTTPSyntax.caseInsensitiveEquals(name, "Content-Length"): return .framing
        case 17 where HTTPSyntax.caseInsensitiveEquals(name, "Transfer-Encoding"): return .framing
        case 10 where HTTPSyntax.caseInsensitiveEquals(name, "Connection"): return .framing
        case 4 where HTTPSyntax.caseInsensitiveEquals(name, "Date"): return .date
        default: return .other
        }
    }

    private static func appendSanitized(_ value: String, to out: inout [UInt8]) {
        let utf8 = value.utf8
        if utf8.allSatisfy(HTTPSyntax.isFieldValueByte) {
            out.append(contentsOf: utf8)
        } else {
            for b in utf8 { out.append(HTTPSyntax.isFieldValueByte(b) ? b : 0x20) }
        }
    }

    static func appendDecimal(_ value: Int, to out: inout [UInt8]) {
        var v = max(0, value)
        if v < 10 {
            out.append(UInt8(0x30 + v))
            return
        }
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var n = 0
        withUnsafeMutableBytes(of: &digits) { d in
            while v > 0 {
                d[n] = UInt8(0x30 + v % 10)
                v /= 10
                n += 1
            }
            while n > 0 {
                n -= 1
                out.append(d[n])
            }
        }
    }

    static func appendHex(_ value: Int, to out: inout [UInt8]) {
        let hex: StaticString = "0123456789abcdef"
        var shift = 60
        while shift > 0 && (value >> shift) & 0xF == 0 { shift -= 4 }
        while shift >= 0 {
            out.append(hex.utf8Start[(value >> shift) & 0xF])
            shift -= 4
        }
    }
}
