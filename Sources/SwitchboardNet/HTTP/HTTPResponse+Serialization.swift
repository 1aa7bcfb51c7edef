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
        appendLiteral("HTTP/1.1 ", to: &out)
        let s = max(100, min(status, 999))
        out.append(UInt8(0x30 + s / 100))
        out.append(UInt8(0x30 + (s / 10) % 10))
        out.append(UInt8(0x30 + s % 10))
        out.append(0x20)
        if let reason {
            appendSanitized(reason, to: &out)
        } else {
            appendUTF8(reasonPhrase(for: s), to: &out)
        }
        appendCRLF(to: &out)

        var sawDate = false
        for field in headers.fields {
            switch classify(field.name) {
            case .framing: continue
            case .invalid: continue
            case .date: sawDate = true
            case .other: break
            }
            appendUTF8(field.name, to: &out)
            out.append(0x3A)
            out.append(0x20)
            appendSanitized(field.value, to: &out)
            appendCRLF(to: &out)
        }
        if !sawDate { out.append(contentsOf: date) }
        switch framing {
        case .length(let n):
            if !forbidsContentLength(s) {
                appendLiteral("Content-Length: ", to: &out)
                appendDecimal(n, to: &out)
                appendCRLF(to: &out)
            }
        case .chunked:
            appendLiteral("Transfer-Encoding: chunked\r\n", to: &out)
        case .untilClose:
            break
        }
        if !keepAlive {
            appendLiteral("Connection: close\r\n", to: &out)
        } else if announceKeepAlive {
            appendLiteral("Connection: keep-alive\r\n", to: &out)
        }
        appendCRLF(to: &out)
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
        appendCRLF(to: &out)
        out.append(contentsOf: bytes)
        appendCRLF(to: &out)
    }

    static let lastChunk: [UInt8] = Array("0\r\n\r\n".utf8)
    static let continueResponse: [UInt8] = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)

    @inline(__always)
    private static func appendCRLF(to out: inout [UInt8]) {
        out.append(0x0D)
        out.append(0x0A)
    }

    private enum HeaderClass { case framing, date, invalid, other }

    private static func classify(_ name: String) -> HeaderClass {
        var name = name
        return name.withUTF8 { b in
            guard !b.isEmpty else { return .invalid }
            for byte in b where !HTTPSyntax.isTokenByte(byte) { return .invalid }
            switch b.count {
            case 14 where HTTPSyntax.equalsLowercase(b, 0, 14, "content-length"): return .framing
            case 17 where HTTPSyntax.equalsLowercase(b, 0, 17, "transfer-encoding"): return .framing
            case 10 where HTTPSyntax.equalsLowercase(b, 0, 10, "connection"): return .framing
            case 4 where HTTPSyntax.equalsLowercase(b, 0, 4, "date"): return .date
            default: return .other
            }
        }
    }

    private static func appendSanitized(_ value: String, to out: inout [UInt8]) {
        var value = value
        value.withUTF8 { b in
            if HTTPSyntax.allFieldValueBytes(b, 0, b.count) {
                out.append(contentsOf: b)
            } else {
                for byte in b { out.append(HTTPSyntax.isFieldValueByte(byte) ? byte : 0x20) }
            }
        }
    }

    @inline(__always)
    private static func appendLiteral(_ text: StaticString, to out: inout [UInt8]) {
        out.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    @inline(__always)
    private static func appendUTF8(_ text: String, to out: inout [UInt8]) {
        var text = text
        text.withUTF8 { out.append(contentsOf: $0) }
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
