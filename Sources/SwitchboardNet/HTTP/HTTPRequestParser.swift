#if canImport(Glibc)
import Glibc
#endif

/// An HTTP/1.1 request decoder that does no I/O: feed it bytes as they arrive, call `next()`
/// until it says `.needMoreData`. It works on bytes, scans each byte once however the input is
/// split, and makes one `String` per method, target and header name/value.
///
/// It refuses what request smuggling relies on (RFC 9112 §6, §11.2): Content-Length together with
/// Transfer-Encoding, conflicting Content-Lengths, obs-fold, whitespace before the colon, bare LF,
/// control bytes in names or values, and transfer codings other than a single final `chunked`.
public struct HTTPRequestParser: Sendable {
    public let limits: HTTPServerLimits

    private var buffer: [UInt8] = []
    /// First byte not yet consumed.
    private var readIndex = 0
    /// Where the search for the end of the current line resumes (never rescans).
    private var scanIndex = 0
    private var state: State = .requestLine
    /// Bytes of the current head (request line and header lines, CRLFs included) so far.
    private var headBytes = 0
    private var trailerBytes = 0
    private var trailerCount = 0
    private var pending = PendingHead()
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []
    private var failure: HTTPParseError?

    private enum State: Sendable, Equatable {
        case requestLine
        case headerLine
        case emitHead
        case contentBody(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailerLine
        case failed
    }

    /// What the header lines said so far about framing and connection handling.
    private struct PendingHead: Sendable {
        var method = ""
        var target = ""
        var rawPath = ""
        var path = ""
        var query: String?
        var version = HTTPVersion.http1_1
        var fields: [HTTPHeaders.Field] = []
        var contentLength: Int?
        var sawTransferEncoding = false
        var chunkedCount = 0
        var finalCodingIsChunked = false
        var unsupportedCoding = false
        var connectionClose = false
        var connectionKeepAlive = false
        var expectContinue = false
        var hostCount = 0
    }

    private enum LineScan {
        case line(start: Int, end: Int)
        case incomplete
        case tooLong
        case bareLF
    }

    /// Stamped on every request returned; the server sets it from the connection.
    public var peer: HTTPPeer

    public init(limits: HTTPServerLimits = HTTPServerLimits(), peer: HTTPPeer = .none) {
        self.limits = limits
        self.peer = peer
    }

    /// Bytes received and not yet consumed by a returned request.
    public var bufferedByteCount: Int { buffer.count - readIndex }

    /// Whether part of a request has arrived (bytes buffered or a head/body in progress).
    /// The server's request read timeout runs while this is true.
    public var hasPartialRequest: Bool { state != .requestLine || readIndex < buffer.count }

    /// Whether the parser has failed; it then answers the same failure forever.
    public var hasFailed: Bool { failure != nil }

    // MARK: Feeding

    public mutating func feed(_ bytes: UnsafeRawBufferPointer) {
        prepareForAppend()
        buffer.append(contentsOf: bytes.bindMemory(to: UInt8.self))
    }

    public mutating func feed(_ bytes: [UInt8]) {
        prepareForAppend()
        buffer.append(contentsOf: bytes)
    }

    public mutating func feed(_ bytes: ArraySlice<UInt8>) {
        prepareForAppend()
        buffer.append(contentsOf: bytes)
    }

    public mutating func feed(_ text: String) {
        prepareForAppend()
        buffer.append(contentsOf: text.utf8)
    }

    private mutating func prepareForAppend() {
        if readIndex == 0 { return }
        if readIndex == buffer.count {
            buffer.removeAll(keepingCapacity: buffer.capacity <= 256 * 1024)
            readIndex = 0
            scanIndex = 0
        } else if readIndex >= 64 * 1024 {
            buffer.removeSubrange(0..<readIndex)
            scanIndex -= readIndex
            readIndex = 0
        }
    }

    // MARK: Decoding

    /// The next event from the bytes fed so far. Call repeatedly until `.needMoreData`.
    public mutating func next() -> HTTPParseResult {
        if let failure { return .failure(failure) }
        // Move the storage out so the byte pointer and mutations of `self` don't overlap.
        var storage: [UInt8] = []
        swap(&storage, &buffer)
        let result = storage.withUnsafeBufferPointer { run($0) }
        swap(&storage, &buffer)
        if case .request = result { compactAfterRequest() }
        return result
    }

    private mutating func compactAfterRequest() {
        if readIndex == buffer.count {
            buffer.removeAll(keepingCapacity: buffer.capacity <= 256 * 1024)
            readIndex = 0
            scanIndex = 0
        } else if readIndex >= 16 * 1024 {
            buffer.removeSubrange(0..<readIndex)
            scanIndex -= readIndex
            readIndex = 0
        }
    }

    private mutating func fail(_ error: HTTPParseError) -> HTTPParseResult {
        failure = error
        state = .failed
        return .failure(error)
    }

    private mutating func run(_ p: UnsafeBufferPointer<UInt8>) -> HTTPParseResult {
        while true {
            switch state {
            case .requestLine:
                let lineBudget = limits.maxRequestTargetBytes + 64
                let headBudget = limits.maxHeaderBytes - headBytes
                switch findLine(p, budget: min(lineBudget, headBudget)) {
                case .incomplete:
                    return .needMoreData
                case .tooLong:
                    return fail(lineBudget <= headBudget
                        ? HTTPParseError(status: 414, reason: "request target too long")
                        : HTTPParseError(status: 431, reason: "request header section too large"))
                case .bareLF:
                    return fail(.badRequest("line ends in LF without CR"))
                case .line(let start, let end):
                    headBytes += end + 2 - start
                    if start == end { continue } // empty lines before a request are ignored (RFC 9112 §2.2)
                    if let error = parseRequestLine(p, start, end) { return fail(error) }
                    state = .headerLine
                }

            case .headerLine:
                switch findLine(p, budget: limits.maxHeaderBytes - headBytes) {
                case .incomplete:
                    return .needMoreData
                case .tooLong:
                    return fail(HTTPParseError(status: 431, reason: "request header section too large"))
                case .bareLF:
                    return fail(.badRequest("line ends in LF without CR"))
                case .line(let start, let end):
                    headBytes += end + 2 - start
                    if start == end {
                        if let error = finishHead() { return fail(error) }
                        state = .emitHead
                    } else if let error = parseHeaderLine(p, start, end) {
                        return fail(error)
                    }
                }

            case .emitHead:
                // Only a request with a body reports its head first: that is when the server
                // can still answer before the body (100 Continue); without one, the request is
                // already complete.
                if head!.isChunked {
                    state = .chunkSize
                } else if let length = head!.contentLength, length > 0 {
                    body.reserveCapacity(length)
                    state = .contentBody(remaining: length)
                } else {
                    return completeRequest()
                }
                return .head(head!)

            case .contentBody(let remaining):
                let taken = takeBody(p, upTo: remaining)
                if taken < remaining {
                    state = .contentBody(remaining: remaining - taken)
                    return .needMoreData
                }
                return completeRequest()

            case .chunkSize:
                switch findLine(p, budget: limits.maxChunkSizeLineBytes) {
                case .incomplete:
                    return .needMoreData
                case .tooLong:
                    return fail(.badRequest("chunk size line too long"))
                case .bareLF:
                    return fail(.badRequest("line ends in LF without CR"))
                case .line(let start, let end):
                    switch parseChunkSize(p, start, end) {
                    case .failure(let error):
                        return fail(error)
                    case .success(0):
                        state = .trailerLine
                    case .success(let size):
                        state = .chunkData(remaining: size)
                    }
                }

            case .chunkData(let remaining):
                let taken = takeBody(p, upTo: remaining)
                if taken < remaining {
                    state = .chunkData(remaining: remaining - taken)
                    return .needMoreData
                }
                state = .chunkDataEnd

            case .chunkDataEnd:
                let available = p.count - readIndex
                if available >= 1 && p[readIndex] != HTTPSyntax.cr { return fail(.badRequest("chunk data not followed by CRLF")) }
                if available < 2 { return .needMoreData }
                if p[readIndex + 1] != HTTPSyntax.lf { return fail(.badRequest("chunk data not followed by CRLF")) }
                readIndex += 2
                scanIndex = readIndex
                state = .chunkSize

            case .trailerLine:
                switch findLine(p, budget: limits.maxHeaderBytes - trailerBytes) {
                case .incomplete:
                    return .needMoreData
                case .tooLong:
                    return fail(HTTPParseError(status: 431, reason: "trailer section too large"))
                case .bareLF:
                    return fail(.badRequest("line ends in LF without CR"))
                case .line(let start, let end):
                    trailerBytes += end + 2 - start
                    if start == end { return completeRequest() }
                    trailerCount += 1
                    if trailerCount > limits.maxHeaderCount {
                        return fail(HTTPParseError(status: 431, reason: "too many trailer fields"))
                    }
                    let line = scanFieldLine(p, start, end)
                    if line.problem != .none { return fail(fieldLineError(line, p, start)!) }
                }

            case .failed:
                return .failure(failure!)
            }
        }
    }

    /// Finds the next CRLF-terminated line within `budget` bytes (the CRLF included) and consumes it.
    @inline(__always)
    private mutating func findLine(_ p: UnsafeBufferPointer<UInt8>, budget: Int) -> LineScan {
        let limitEnd = readIndex + max(budget, 0)
        let searchEnd = min(p.count, limitEnd)
        if scanIndex < searchEnd, let base = p.baseAddress,
           let hit = memchr(base + scanIndex, Int32(HTTPSyntax.lf), searchEnd - scanIndex) {
            let lf = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
            let start = readIndex
            guard lf > start, p[lf - 1] == HTTPSyntax.cr else { return .bareLF }
            readIndex = lf + 1
            scanIndex = readIndex
            return .line(start: start, end: lf - 1)
        }
        if p.count >= limitEnd { return .tooLong }
        scanIndex = max(scanIndex, searchEnd)
        return .incomplete
    }

    /// Appends up to `wanted` body bytes from the buffer; returns how many.
    @inline(__always)
    private mutating func takeBody(_ p: UnsafeBufferPointer<UInt8>, upTo wanted: Int) -> Int {
        let taken = min(wanted, p.count - readIndex)
        if taken > 0 {
            body.append(contentsOf: UnsafeBufferPointer(rebasing: p[readIndex..<(readIndex + taken)]))
            readIndex += taken
            scanIndex = readIndex
        }
        return taken
    }

    private mutating func completeRequest() -> HTTPParseResult {
        let request = HTTPRequest(head: head.take()!, body: body, peer: peer)
        body = []
        pending = PendingHead()
        headBytes = 0
        trailerBytes = 0
        trailerCount = 0
        state = .requestLine
        return .request(request)
    }

    // MARK: Request line

    private mutating func parseRequestLine(_ p: UnsafeBufferPointer<UInt8>, _ s: Int, _ e: Int) -> HTTPParseError? {
        var i = s
        while i < e && HTTPSyntax.isTokenByte(p[i]) { i += 1 }
        guard i > s, i < e, p[i] == HTTPSyntax.sp else { return .badRequest("malformed request line") }
        let methodEnd = i

        let targetStart = i + 1
        var j = targetStart
        var queryMark = -1
        var pathHasPercent = false
        while j < e {
            let b = p[j]
            if b == HTTPSyntax.sp { break }
            guard HTTPSyntax.isTargetByte(b) else { return .badRequest("invalid byte in request target") }
            if b == HTTPSyntax.question {
                if queryMark < 0 { queryMark = j }
            } else if b == HTTPSyntax.percent && queryMark < 0 {
                pathHasPercent = true
            }
            j += 1
        }
        guard j > targetStart, j < e else { return .badRequest("malformed request line") }
        if j - targetStart > limits.maxRequestTargetBytes {
            return HTTPParseError(status: 414, reason: "request target too long")
        }

        let v = j + 1
        guard e - v == 8, p[v] == 0x48, p[v + 1] == 0x54, p[v + 2] == 0x54, p[v + 3] == 0x50, p[v + 4] == HTTPSyntax.slash,
              p[v + 5] >= 0x30, p[v + 5] <= 0x39, p[v + 6] == 0x2E, p[v + 7] >= 0x30, p[v + 7] <= 0x39
        else { return .badRequest("malformed HTTP version") }
        guard p[v + 5] == 0x31 else { return HTTPParseError(status: 505, reason: "HTTP version not supported") }
        pending.version = p[v + 7] == 0x30 ? .http1_0 : .http1_1

        guard p[targetStart] == HTTPSyntax.slash else { return .badRequest("request target is not origin-form") }

        pending.method = String(decoding: UnsafeBufferPointer(rebasing: p[s..<methodEnd]), as: UTF8.self)
        let pathEnd = queryMark >= 0 ? queryMark : j
        let rawPath = String(decoding: UnsafeBufferPointer(rebasing: p[targetStart..<pathEnd]), as: UTF8.self)
        pending.rawPath = rawPath
        if queryMark >= 0 {
            pending.target = String(decoding: UnsafeBufferPointer(rebasing: p[targetStart..<j]), as: UTF8.self)
            pending.query = String(decoding: UnsafeBufferPointer(rebasing: p[(queryMark + 1)..<j]), as: UTF8.self)
        } else {
            pending.target = rawPath
        }
        if pathHasPercent {
            guard let decoded = HTTPSyntax.percentDecode(p, targetStart, pathEnd, plusAsSpace: false) else {
                return .badRequest("invalid percent-encoding in path")
            }
            pending.path = decoded
        } else {
            pending.path = rawPath
        }
        return nil
    }

    // MARK: Header lines

    /// The parts of a field line, or why it is malformed (kept trivial so it is returned in registers).
    private struct FieldLine {
        enum Problem: UInt8 { case none, obsFold, spaceBeforeColon, noColon, badName, badValue }
        var nameEnd = 0
        var valueStart = 0
        var valueEnd = 0
        var problem = Problem.none
    }

    /// Checks `name ":" OWS value OWS` syntax and finds the parts.
    @inline(__always)
    private func scanFieldLine(_ p: UnsafeBufferPointer<UInt8>, _ s: Int, _ e: Int) -> FieldLine {
        var line = FieldLine(nameEnd: s)
        if HTTPSyntax.isOWS(p[s]) {
            line.problem = .obsFold
            return line
        }
        var i = s
        while i < e && HTTPSyntax.isTokenByte(p[i]) { i += 1 }
        line.nameEnd = i
        guard i < e, i > s, p[i] == HTTPSyntax.colon else {
            line.problem = i < e && i > s && HTTPSyntax.isOWS(p[i]) ? .spaceBeforeColon : (i == e ? .noColon : .badName)
            return line
        }
        var vs = i + 1
        while vs < e && HTTPSyntax.isOWS(p[vs]) { vs += 1 }
        var ve = e
        while ve > vs && HTTPSyntax.isOWS(p[ve - 1]) { ve -= 1 }
        if !HTTPSyntax.allFieldValueBytes(p, vs, ve) {
            line.problem = .badValue
            return line
        }
        line.valueStart = vs
        line.valueEnd = ve
        return line
    }

    /// The error for a malformed field line (the slow path).
    private func fieldLineError(_ line: FieldLine, _ p: UnsafeBufferPointer<UInt8>, _ s: Int) -> HTTPParseError? {
        // The name goes into logs and the error body: at most 64 bytes of it.
        let name = String(decoding: UnsafeBufferPointer(rebasing: p[s..<min(line.nameEnd, s + 64)]), as: UTF8.self)
        let field = name.isEmpty ? nil : name
        switch line.problem {
        case .none: return nil
        case .obsFold: return .badRequest("obsolete line folding")
        case .spaceBeforeColon: return .badRequest("whitespace before colon in header", field: field)
        case .noColon: return .badRequest("header line without colon", field: field)
        case .badName: return .badRequest("invalid byte in header name", field: field)
        case .badValue: return .badRequest("invalid byte in header value", field: field)
        }
    }

    private mutating func parseHeaderLine(_ p: UnsafeBufferPointer<UInt8>, _ s: Int, _ e: Int) -> HTTPParseError? {
        if pending.fields.count >= limits.maxHeaderCount {
            return HTTPParseError(status: 431, reason: "too many header fields")
        }
        let line = scanFieldLine(p, s, e)
        if line.problem != .none { return fieldLineError(line, p, s) }
        let ne = line.nameEnd, vs = line.valueStart, ve = line.valueEnd
        let name = HTTPSyntax.commonHeaderName(p, s, ne)
            ?? String(decoding: UnsafeBufferPointer(rebasing: p[s..<ne]), as: UTF8.self)

        switch ne - s {
        case 14 where HTTPSyntax.equalsLowercase(p, s, ne, "content-length"):
            if let error = parseContentLength(p, vs, ve, name: name) { return error }
        case 17 where HTTPSyntax.equalsLowercase(p, s, ne, "transfer-encoding"):
            parseTransferEncoding(p, vs, ve)
        case 10 where HTTPSyntax.equalsLowercase(p, s, ne, "connection"):
            var close = false, keepAlive = false
            Self.forEachListElement(p, vs, ve) { a, b in
                if HTTPSyntax.equalsLowercase(p, a, b, "close") { close = true }
                else if HTTPSyntax.equalsLowercase(p, a, b, "keep-alive") { keepAlive = true }
            }
            if close { pending.connectionClose = true }
            if keepAlive { pending.connectionKeepAlive = true }
        case 6 where HTTPSyntax.equalsLowercase(p, s, ne, "expect"):
            if HTTPSyntax.equalsLowercase(p, vs, ve, "100-continue") { pending.expectContinue = true }
        case 4 where HTTPSyntax.equalsLowercase(p, s, ne, "host"):
            pending.hostCount += 1
        default:
            break
        }

        let value = String(decoding: UnsafeBufferPointer(rebasing: p[vs..<ve]), as: UTF8.self)
        if pending.fields.isEmpty { pending.fields.reserveCapacity(12) }
        pending.fields.append(HTTPHeaders.Field(name: name, value: value))
        return nil
    }

    /// Calls `body` with each non-empty element of a comma-separated list, OWS trimmed.
    @inline(__always)
    private static func forEachListElement(_ p: UnsafeBufferPointer<UInt8>, _ s: Int, _ e: Int,
                                           _ body: (Int, Int) -> Void) {
        var a = s
        while a <= e {
            var b = a
            while b < e && p[b] != HTTPSyntax.comma { b += 1 }
            var x = a, y = b
            while x < y && HTTPSyntax.isOWS(p[x]) { x += 1 }
            while y > x && HTTPSyntax.isOWS(p[y - 1]) { y -= 1 }
            if y > x { body(x, y) }
            a = b + 1
        }
    }

    private mutating func parseContentLength(_ p: UnsafeBufferPointer<UInt8>, _ s: Int, _ e: Int, name: String) -> HTTPParseError? {
        // A list of identical values ("5, 5") is accepted as one value (RFC 9110 §8.6).
        var value: Int?
        var a = s
        while a <= e {
            var b = a
            while b < e && p[b] != HTTPSyntax.comma { b += 1 }
            var x = a, y = b
            while x < y && HTTPSyntax.isOWS(p[x]) { x += 1 }
            while y > x && HTTPSyntax.isOWS(p[y - 1]) { y -= 1 }
            guard y > x else { return .badRequest("invalid Content-Length", field: name) }
            var n = 0
            for k in x..<y {
                let d = p[k] &- 0x30
                guard d <= 9 else { return .badRequest("invalid Content-Length", field: name) }
                n = n > (Int.max - 9) / 10 ? Int.max : n * 10 + Int(d)
            }
            if let value, value != n { return .badRequest("conflicting Content-Length values", field: name) }
            value = n
            a = b + 1
        }
        if let existing = pending.contentLength, existing != value {
            return .badRequest("conflicting Content-Length values", field: name)
        }
        pending.contentLength = value
        return nil
    }

    private mutating func parseTransferEncoding(_ p: UnsafeBufferPointer<UInt8>, _ s: Int, _ e: Int) {
        var chunked = 0, unsupported = false
        var finalIsChunked = pending.finalCodingIsChunked
        Self.forEachListElement(p, s, e) { a, b in
            if HTTPSyntax.equalsLowercase(p, a, b, "chunked") {
                chunked += 1
                finalIsChunked = true
            } else {
                unsupported = true
                finalIsChunked = false
            }
        }
        pending.sawTransferEncoding = true
        pending.chunkedCount += chunked
        pending.finalCodingIsChunked = finalIsChunked
        if unsupported { pending.unsupportedCoding = true }
    }

    private mutating func finishHead() -> HTTPParseError? {
        let version = pending.version
        if version == .http1_1 && pending.hostCount == 0 { return .badRequest("missing Host header", field: "Host") }
        if pending.hostCount > 1 { return .badRequest("more than one Host header", field: "Host") }
        if pending.sawTransferEncoding {
            if pending.contentLength != nil {
                return .badRequest("both Content-Length and Transfer-Encoding", field: "Transfer-Encoding")
            }
            if version == .http1_0 {
                return .badRequest("Transfer-Encoding in an HTTP/1.0 request", field: "Transfer-Encoding")
            }
            if pending.unsupportedCoding || !pending.finalCodingIsChunked {
                return HTTPParseError(status: 501, reason: "unsupported transfer coding", field: "Transfer-Encoding")
            }
            if pending.chunkedCount > 1 {
                return .badRequest("chunked applied more than once", field: "Transfer-Encoding")
            }
        }
        if let length = pending.contentLength, length > limits.maxBodyBytes {
            return HTTPParseError(status: 413, reason: "body larger than the limit", field: "Content-Length")
        }
        let keepAlive = version == .http1_0
            ? pending.connectionKeepAlive && !pending.connectionClose
            : !pending.connectionClose
        head = HTTPRequestHead(method: pending.method, target: pending.target, rawPath: pending.rawPath,
                               path: pending.path, query: pending.query, version: version,
                               headers: HTTPHeaders(fields: pending.fields), keepAlive: keepAlive,
                               expectsContinue: pending.expectContinue && version == .http1_1,
                               contentLength: pending.contentLength, isChunked: pending.sawTransferEncoding)
        pending.fields = []
        return nil
    }

    // MARK: Chunked framing

    private func parseChunkSize(_ p: UnsafeBufferPointer<UInt8>, _ s: Int, _ e: Int) -> Result<Int, HTTPParseError> {
        var i = s
        var size = 0
        while i < e, let h = HTTPSyntax.hexValue(p[i]) {
            size = size > (Int.max >> 4) ? Int.max : (size << 4) | h
            i += 1
        }
        guard i > s else { return .failure(.badRequest("invalid chunk size")) }
        while i < e && HTTPSyntax.isOWS(p[i]) { i += 1 }
        // Chunk extensions (";name=value") are ignored, but must start with ";".
        guard i == e || p[i] == HTTPSyntax.semicolon else { return .failure(.badRequest("invalid chunk size")) }
        if size > limits.maxBodyBytes - body.count {
            return .failure(HTTPParseError(status: 413, reason: "body larger than the limit"))
        }
        return .success(size)
    }
}

private extension Optional {
    mutating func take() -> Wrapped? {
        defer { self = nil }
        return self
    }
}
