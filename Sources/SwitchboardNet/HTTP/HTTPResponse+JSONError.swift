extension HTTPResponse {
    /// The daemon-wide JSON error body:
    /// `{"error":{"code":"not_found","message":"…","hint":"…","field":"…"}}`
    /// (`hint` and `field` only when given). Errors that reach admins carry a code, the place
    /// and a hint (STYLE.md).
    public static func jsonError(status: Int, code: String, message: String, hint: String? = nil,
                                 field: String? = nil) -> HTTPResponse {
        var out: [UInt8] = []
        out.reserveCapacity(64 + code.utf8.count + message.utf8.count + (hint?.utf8.count ?? 0))
        out.append(contentsOf: #"{"error":{"code":"#.utf8)
        appendJSONString(code, to: &out)
        out.append(contentsOf: #","message":"#.utf8)
        appendJSONString(message, to: &out)
        if let hint {
            out.append(contentsOf: #","hint":"#.utf8)
            appendJSONString(hint, to: &out)
        }
        if let field {
            out.append(contentsOf: #","field":"#.utf8)
            appendJSONString(field, to: &out)
        }
        out.append(contentsOf: "}}".utf8)
        return HTTPResponse(status: status, headers: ["Content-Type": "application/json"], body: out)
    }

    /// The error code for a status the server produces itself.
    public static func errorCode(forStatus status: Int) -> String {
        switch status {
        case 400: "bad_request"
        case 404: "not_found"
        case 405: "method_not_allowed"
        case 408: "request_timeout"
        case 413: "payload_too_large"
        case 414: "uri_too_long"
        case 431: "headers_too_large"
        case 500: "internal_error"
        case 501: "not_implemented"
        case 503: "unavailable"
        case 505: "http_version_not_supported"
        default: "http_\(status)"
        }
    }

    /// The response the server sends for a request it refuses while parsing.
    static func parseError(_ error: HTTPParseError) -> HTTPResponse {
        let hint: String? = switch error.status {
        case 408: "send the whole request within the server's read timeout"
        case 413: "send a smaller body"
        case 414: "use a shorter path or query"
        case 431: "send fewer or smaller headers"
        case 501: "send the body with Content-Length or Transfer-Encoding: chunked"
        case 505: "use HTTP/1.1"
        default: nil
        }
        return jsonError(status: error.status, code: error.code, message: error.reason, hint: hint, field: error.field)
    }

    /// Appends `s` as a JSON string literal (quotes included), escaping `"`, `\`, control
    /// characters, and U+2028/U+2029 so the text is also safe inside a `<script>` block.
    static func appendJSONString(_ s: String, to out: inout [UInt8]) {
        out.append(0x22)
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        for scalar in s.unicodeScalars {
            switch scalar.value {
            case 0x22: out.append(contentsOf: [0x5C, 0x22])
            case 0x5C: out.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: out.append(contentsOf: [0x5C, 0x6E])
            case 0x0D: out.append(contentsOf: [0x5C, 0x72])
            case 0x09: out.append(contentsOf: [0x5C, 0x74])
            case 0x08: out.append(contentsOf: [0x5C, 0x62])
            case 0x0C: out.append(contentsOf: [0x5C, 0x66])
            case 0x00..<0x20, 0x7F, 0x2028, 0x2029:
                let v = Int(scalar.value)
                out.append(contentsOf: [0x5C, 0x75, hex[(v >> 12) & 0xF], hex[(v >> 8) & 0xF], hex[(v >> 4) & 0xF], hex[v & 0xF]])
            default:
                UTF8.encode(scalar) { out.append($0) }
            }
        }
        out.append(0x22)
    }

    /// `s` as a JSON string literal, for handlers that build small JSON bodies by hand.
    public static func jsonStringLiteral(_ s: String) -> String {
        var out: [UInt8] = []
        appendJSONString(s, to: &out)
        return String(decoding: out, as: UTF8.self)
    }
}
