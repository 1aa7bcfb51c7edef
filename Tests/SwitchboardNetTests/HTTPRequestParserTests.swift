import Testing
@testable import SwitchboardNet

/// A deterministic generator so random splits are the same on every run.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Feeds `bytes` in the pieces `sizes` describes and returns every event except `.needMoreData`,
/// stopping after a failure.
func parseEvents(_ bytes: [UInt8], pieces sizes: [Int], limits: HTTPServerLimits = HTTPServerLimits()) -> [HTTPParseResult] {
    var parser = HTTPRequestParser(limits: limits)
    var events: [HTTPParseResult] = []
    var offset = 0
    for size in sizes {
        parser.feed(bytes[offset..<min(offset + size, bytes.count)])
        offset += size
        while true {
            let event = parser.next()
            if case .needMoreData = event { break }
            events.append(event)
            if case .failure = event { return events }
        }
    }
    return events
}

func randomPieces(total: Int, using rng: inout SplitMix64) -> [Int] {
    var pieces: [Int] = []
    var left = total
    while left > 0 {
        let n = Int.random(in: 1...max(1, min(left, Int.random(in: 1...64, using: &rng))), using: &rng)
        pieces.append(n)
        left -= n
    }
    return pieces
}

/// What a table row must parse to.
struct ExpectedRequest: Sendable {
    var method: String
    var target: String
    var body: String = ""
    var keepAlive: Bool = true
}

struct ParserCase: Sendable, CustomTestStringConvertible {
    var name: String
    var raw: [UInt8]
    var requests: [ExpectedRequest]
    /// The status of the failure that must follow the requests, if any.
    var failure: Int?
    var limits = HTTPServerLimits()

    var testDescription: String { name }

    init(_ name: String, _ raw: String, _ requests: [ExpectedRequest], failure: Int? = nil, limits: HTTPServerLimits = HTTPServerLimits()) {
        self.name = name
        self.raw = Array(raw.utf8)
        self.requests = requests
        self.failure = failure
        self.limits = limits
    }

    init(_ name: String, bytes: [UInt8], _ requests: [ExpectedRequest], failure: Int? = nil, limits: HTTPServerLimits = HTTPServerLimits()) {
        self.name = name
        self.raw = bytes
        self.requests = requests
        self.failure = failure
        self.limits = limits
    }
}

let get = "GET / HTTP/1.1\r\nHost: a\r\n\r\n"
let smallLimits = HTTPServerLimits(maxHeaderBytes: 256, maxRequestTargetBytes: 64, maxHeaderCount: 5, maxBodyBytes: 10, maxChunkSizeLineBytes: 16)

let parserCases: [ParserCase] = [
    // Valid requests
    ParserCase("simple GET", get, [ExpectedRequest(method: "GET", target: "/")]),
    ParserCase("POST with Content-Length", "POST /v1/messages HTTP/1.1\r\nHost: a\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello",
               [ExpectedRequest(method: "POST", target: "/v1/messages", body: "hello")]),
    ParserCase("chunked with extensions and trailers",
               "POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6 ; name=\"v\"\r\n world\r\n0;last\r\nX-Trailer: t\r\nX-Other: u\r\n\r\n",
               [ExpectedRequest(method: "POST", target: "/x", body: "hello world")]),
    ParserCase("chunked with upper-case hex and coding", "POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\nA\r\n0123456789\r\n0\r\n\r\n",
               [ExpectedRequest(method: "POST", target: "/x", body: "0123456789")]),
    ParserCase("three pipelined requests", get + "POST /b HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc" + "GET /c?q=1 HTTP/1.1\r\nHost: a\r\n\r\n",
               [ExpectedRequest(method: "GET", target: "/"), ExpectedRequest(method: "POST", target: "/b", body: "abc"),
                ExpectedRequest(method: "GET", target: "/c?q=1")]),
    ParserCase("HTTP/1.0 closes by default", "GET / HTTP/1.0\r\n\r\n", [ExpectedRequest(method: "GET", target: "/", keepAlive: false)]),
    ParserCase("HTTP/1.0 keep-alive", "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", [ExpectedRequest(method: "GET", target: "/")]),
    ParserCase("HTTP/1.0 keep-alive and close", "GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n",
               [ExpectedRequest(method: "GET", target: "/", keepAlive: false)]),
    ParserCase("HTTP/1.1 Connection: close", "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
               [ExpectedRequest(method: "GET", target: "/", keepAlive: false)]),
    ParserCase("HTTP/1.1 Connection list without close", "GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, Upgrade\r\n\r\n",
               [ExpectedRequest(method: "GET", target: "/")]),
    ParserCase("HTTP/1.x minor above 1 is served as 1.1", "GET / HTTP/1.7\r\nHost: a\r\n\r\n", [ExpectedRequest(method: "GET", target: "/")]),
    ParserCase("empty lines before the request line", "\r\n\r\n" + get, [ExpectedRequest(method: "GET", target: "/")]),
    ParserCase("identical duplicate Content-Length", "PUT /x HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok",
               [ExpectedRequest(method: "PUT", target: "/x", body: "ok")]),
    ParserCase("Content-Length list of equal values", "PUT /x HTTP/1.1\r\nHost: a\r\nContent-Length: 2, 2\r\n\r\nok",
               [ExpectedRequest(method: "PUT", target: "/x", body: "ok")]),
    ParserCase("Content-Length zero", "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", [ExpectedRequest(method: "POST", target: "/x")]),
    ParserCase("extension method and odd token characters", "PROPFIND /a HTTP/1.1\r\nHost: a\r\nX-Weird!#$%&'*+-.^_`|~: v\r\n\r\n",
               [ExpectedRequest(method: "PROPFIND", target: "/a")]),
    ParserCase("obs-text in a value", bytes: Array("GET / HTTP/1.1\r\nHost: a\r\nX-Name: caf".utf8) + [0xC3, 0xA9] + Array("\r\n\r\n".utf8),
               [ExpectedRequest(method: "GET", target: "/")]),
    ParserCase("empty header value", "GET / HTTP/1.1\r\nHost: a\r\nX-Empty:\r\n\r\n", [ExpectedRequest(method: "GET", target: "/")]),
    ParserCase("percent-encoded target", "GET /a%20b/c?x=1&y=%41+b HTTP/1.1\r\nHost: a\r\n\r\n",
               [ExpectedRequest(method: "GET", target: "/a%20b/c?x=1&y=%41+b")]),

    // Request smuggling and malformed framing
    ParserCase("Content-Length and Transfer-Encoding", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nG",
               [], failure: 400),
    ParserCase("Transfer-Encoding then Content-Length", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 6\r\n\r\n0\r\n\r\n",
               [], failure: 400),
    ParserCase("differing duplicate Content-Length", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
               [], failure: 400),
    ParserCase("differing Content-Length list", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 6\r\n\r\nhello!", [], failure: 400),
    ParserCase("non-numeric Content-Length", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5x\r\n\r\nhello", [], failure: 400),
    ParserCase("signed Content-Length", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\nhello", [], failure: 400),
    ParserCase("negative Content-Length", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", [], failure: 400),
    ParserCase("empty Content-Length", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n", [], failure: 400),
    ParserCase("obs-fold", "GET / HTTP/1.1\r\nHost: a\r\nX-A: one\r\n two\r\n\r\n", [], failure: 400),
    ParserCase("obs-fold with tab", "GET / HTTP/1.1\r\nHost: a\r\nX-A: one\r\n\ttwo\r\n\r\n", [], failure: 400),
    ParserCase("whitespace before colon", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n", [], failure: 400),
    ParserCase("tab before colon", "GET / HTTP/1.1\r\nHost\t: a\r\n\r\n", [], failure: 400),
    ParserCase("invalid header name byte", "GET / HTTP/1.1\r\nHost: a\r\nX(y): 1\r\n\r\n", [], failure: 400),
    ParserCase("empty header name", "GET / HTTP/1.1\r\nHost: a\r\n: v\r\n\r\n", [], failure: 400),
    ParserCase("header line without colon", "GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n", [], failure: 400),
    ParserCase("control byte in value", bytes: Array("GET / HTTP/1.1\r\nHost: a\r\nX-A: a".utf8) + [0x01] + Array("b\r\n\r\n".utf8), [], failure: 400),
    ParserCase("NUL in value", bytes: Array("GET / HTTP/1.1\r\nHost: a\r\nX-A: a".utf8) + [0x00] + Array("b\r\n\r\n".utf8), [], failure: 400),
    ParserCase("DEL in value", bytes: Array("GET / HTTP/1.1\r\nHost: a\r\nX-A: a".utf8) + [0x7F] + Array("\r\n\r\n".utf8), [], failure: 400),
    ParserCase("bare CR in value", "GET / HTTP/1.1\r\nHost: a\r\nX-A: a\rb\r\n\r\n", [], failure: 400),
    ParserCase("bare LF line ending", "GET / HTTP/1.1\nHost: a\n\n", [], failure: 400),
    ParserCase("bare LF in headers", "GET / HTTP/1.1\r\nHost: a\nX: b\r\n\r\n", [], failure: 400),
    ParserCase("unsupported transfer coding", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", [], failure: 501),
    ParserCase("gzip before chunked", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", [], failure: 501),
    ParserCase("chunked not final", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n", [], failure: 501),
    ParserCase("chunked not final across lines", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n", [],
               failure: 501),
    ParserCase("chunked twice", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n", [], failure: 400),
    ParserCase("Transfer-Encoding in HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", [], failure: 400),
    ParserCase("missing Host", "GET / HTTP/1.1\r\n\r\n", [], failure: 400),
    ParserCase("two Host headers", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", [], failure: 400),
    ParserCase("HTTP/2.0", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", [], failure: 505),
    ParserCase("HTTP/0.9 style", "GET / HTTP/0.9\r\n\r\n", [], failure: 505),
    ParserCase("malformed version", "GET / HTTP/1.1x\r\nHost: a\r\n\r\n", [], failure: 400),
    ParserCase("lower-case protocol", "GET / http/1.1\r\nHost: a\r\n\r\n", [], failure: 400),
    ParserCase("no version", "GET /\r\nHost: a\r\n\r\n", [], failure: 400),
    ParserCase("double space in request line", "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", [], failure: 400),
    ParserCase("invalid method byte", "G(ET / HTTP/1.1\r\nHost: a\r\n\r\n", [], failure: 400),
    ParserCase("absolute-form target", "GET http://a/ HTTP/1.1\r\nHost: a\r\n\r\n", [], failure: 400),
    ParserCase("bad percent escape", "GET /%zz HTTP/1.1\r\nHost: a\r\n\r\n", [], failure: 400),
    ParserCase("encoded NUL in path", "GET /a%00b HTTP/1.1\r\nHost: a\r\n\r\n", [], failure: 400),
    ParserCase("invalid chunk size", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", [], failure: 400),
    ParserCase("chunk size with junk", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5 x\r\nhello\r\n0\r\n\r\n", [], failure: 400),
    ParserCase("chunk data without CRLF", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXY0\r\n\r\n", [], failure: 400),
    ParserCase("invalid trailer", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nBad Trailer\r\n\r\n", [], failure: 400),
    ParserCase("second pipelined request invalid", get + "GET / HTTP/1.1\r\nHost: a\r\nX : y\r\n\r\n", [ExpectedRequest(method: "GET", target: "/")],
               failure: 400),

    // Limits
    ParserCase("header section over the limit", "GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + String(repeating: "v", count: 17 * 1024) + "\r\n\r\n", [],
               failure: 431),
    ParserCase("header section over a small limit", "GET / HTTP/1.1\r\nHost: a\r\nX-1: " + String(repeating: "v", count: 120) + "\r\nX-2: "
               + String(repeating: "v", count: 120) + "\r\n\r\n", [], failure: 431, limits: smallLimits),
    ParserCase("too many headers", "GET / HTTP/1.1\r\nHost: a\r\n" + (1...100).map { "X-\($0): v\r\n" }.joined() + "\r\n", [], failure: 431),
    ParserCase("as many headers as allowed", "GET / HTTP/1.1\r\nHost: a\r\n" + (1...99).map { "X-\($0): v\r\n" }.joined() + "\r\n",
               [ExpectedRequest(method: "GET", target: "/")]),
    ParserCase("request target over the limit", "GET /" + String(repeating: "a", count: 8 * 1024) + " HTTP/1.1\r\nHost: a\r\n\r\n", [], failure: 414),
    ParserCase("request target far over the limit", "GET /" + String(repeating: "a", count: 20 * 1024) + " HTTP/1.1\r\nHost: a\r\n\r\n", [],
               failure: 414),
    ParserCase("request target at the limit", "GET /" + String(repeating: "a", count: 8 * 1024 - 1) + " HTTP/1.1\r\nHost: a\r\n\r\n",
               [ExpectedRequest(method: "GET", target: "/" + String(repeating: "a", count: 8 * 1024 - 1))]),
    ParserCase("Content-Length over the limit", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2000000\r\n\r\n", [], failure: 413),
    ParserCase("Content-Length that overflows", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999\r\n\r\n", [], failure: 413),
    ParserCase("body at a small limit", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n0123456789",
               [ExpectedRequest(method: "POST", target: "/", body: "0123456789")], limits: smallLimits),
    ParserCase("chunked body over the limit", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nabcdef\r\n6\r\nghijkl\r\n0\r\n\r\n",
               [], failure: 413, limits: smallLimits),
    ParserCase("huge chunk size", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFFFFFF\r\n", [], failure: 413),
    ParserCase("chunk size line too long", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1;" + String(repeating: "x", count: 2000)
               + "\r\na\r\n0\r\n\r\n", [], failure: 400),
    ParserCase("chunk size line too long for a small limit", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1;extension=value\r\na\r\n0\r\n\r\n",
               [], failure: 400, limits: smallLimits),
    ParserCase("too many trailers", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n" + (1...6).map { "T\($0): v\r\n" }.joined() + "\r\n",
               [], failure: 431, limits: smallLimits),
    ParserCase("trailers too large", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nT: " + String(repeating: "v", count: 300) + "\r\n\r\n",
               [], failure: 431, limits: smallLimits),
    ParserCase("too many headers with a small limit", "GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\nE: 5\r\n\r\n", [], failure: 431,
               limits: smallLimits),
    ParserCase("endless empty lines", String(repeating: "\r\n", count: 9000), [], failure: 431),
]

@Suite("HTTPRequestParser")
struct HTTPRequestParserTests {
    @Test("whole input gives the expected requests and failure", arguments: parserCases)
    func table(_ c: ParserCase) {
        let events = parseEvents(c.raw, pieces: [c.raw.count], limits: c.limits)
        var requests: [HTTPRequest] = []
        var failure: HTTPParseError?
        var heads = 0
        for event in events {
            switch event {
            case .head: heads += 1
            case .request(let r): requests.append(r)
            case .failure(let e): failure = e
            case .needMoreData: Issue.record("needMoreData is not collected")
            }
        }
        #expect(requests.count == c.requests.count)
        if c.failure == nil { #expect(heads == c.requests.filter { !$0.body.isEmpty }.count) }
        for (got, want) in zip(requests, c.requests) {
            #expect(got.method == want.method)
            #expect(got.target == want.target)
            #expect(got.bodyText == want.body)
            #expect(got.keepAlive == want.keepAlive)
        }
        #expect(failure?.status == c.failure, "got \(failure.map { "\($0)" } ?? "no failure")")
    }

    @Test("byte-by-byte and random splits give the same events as whole input", arguments: parserCases)
    func splits(_ c: ParserCase) {
        let whole = parseEvents(c.raw, pieces: [c.raw.count], limits: c.limits)
        let byteByByte = parseEvents(c.raw, pieces: Array(repeating: 1, count: c.raw.count), limits: c.limits)
        #expect(byteByByte == whole)
        var rng = SplitMix64(seed: c.name.utf8.reduce(0xCBF2_9CE4_8422_2325) { ($0 ^ UInt64($1)) &* 0x100_0000_01B3 })
        for _ in 0..<40 {
            let pieces = randomPieces(total: c.raw.count, using: &rng)
            let events = parseEvents(c.raw, pieces: pieces, limits: c.limits)
            #expect(events == whole, "pieces: \(pieces)")
            if events != whole { break }
        }
    }

    @Test func requestFields() throws {
        let events = parseEvents(Array(("GET /a%20b/c?x=1&y=%41+b&z HTTP/1.1\r\nHost: example\r\nX-Multi: 1\r\nx-multi: 2\r\n"
                                            + "X-Trim: \t padded \t\r\nExpect: 100-continue\r\n\r\n").utf8), pieces: [1000])
        guard case .request(let r) = events.last else {
            Issue.record("no request: \(events)")
            return
        }
        #expect(r.path == "/a b/c")
        #expect(r.rawPath == "/a%20b/c")
        #expect(r.query == "x=1&y=%41+b&z")
        #expect(r.queryItems.map(\.name) == ["x", "y", "z"])
        #expect(r.queryItems.map(\.value) == ["1", "A b", ""])
        #expect(r.queryValue("y") == "A b")
        #expect(r.version == .http1_1)
        #expect(r.headers["host"] == "example")
        #expect(r.headers["X-MULTI"] == "1")
        #expect(r.headers.values(for: "x-multi") == ["1", "2"])
        #expect(r.headers.fields.map(\.name) == ["Host", "X-Multi", "x-multi", "X-Trim", "Expect"])
        #expect(r.headers["X-Trim"] == "padded")
        #expect(r.head.expectsContinue)
        #expect(r.peer == .none)
    }

    @Test func headComesBeforeTheBody() {
        var parser = HTTPRequestParser()
        parser.feed("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\nhe")
        guard case .head(let head) = parser.next() else {
            Issue.record("expected the head first")
            return
        }
        #expect(head.expectsContinue)
        #expect(head.contentLength == 5)
        #expect(parser.next() == .needMoreData)
        #expect(parser.hasPartialRequest)
        parser.feed("llo")
        guard case .request(let r) = parser.next() else {
            Issue.record("expected the request")
            return
        }
        #expect(r.bodyText == "hello")
        #expect(!parser.hasPartialRequest)
    }

    @Test func oversizedContentLengthIsRefusedBeforeTheBody() {
        var parser = HTTPRequestParser()
        parser.feed("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 10485760\r\n\r\n")
        guard case .failure(let error) = parser.next() else {
            Issue.record("expected a failure")
            return
        }
        #expect(error.status == 413)
        #expect(error.field == "Content-Length")
        #expect(parser.next() == .failure(error)) // stays failed
    }

    @Test func requestWithoutBodyHasNoSeparateHead() {
        var parser = HTTPRequestParser(peer: .tcp(address: "192.0.2.1", port: 4000))
        parser.feed("GET /x HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n")
        guard case .request(let r) = parser.next() else {
            Issue.record("expected the request at once")
            return
        }
        #expect(r.peer == .tcp(address: "192.0.2.1", port: 4000))
        #expect(parser.next() == .needMoreData)
    }

    @Test func expectOnHTTP10IsIgnored() {
        var parser = HTTPRequestParser()
        parser.feed("POST /x HTTP/1.0\r\nContent-Length: 1\r\nExpect: 100-continue\r\n\r\nx")
        guard case .head(let head) = parser.next() else {
            Issue.record("expected the head")
            return
        }
        #expect(!head.expectsContinue)
    }

    @Test func bytesAfterARequestWaitForTheNext() {
        var parser = HTTPRequestParser()
        parser.feed(get + "GET /two HTTP/1.1\r\nHo")
        guard case .request(let first) = parser.next() else {
            Issue.record("expected the first request")
            return
        }
        #expect(first.target == "/")
        #expect(parser.next() == .needMoreData)
        #expect(parser.hasPartialRequest)
        parser.feed("st: a\r\n\r\n")
        guard case .request(let second) = parser.next() else {
            Issue.record("expected the second request")
            return
        }
        #expect(second.target == "/two")
        #expect(parser.bufferedByteCount == 0)
    }

    @Test func manyPipelinedRequestsInOneLargeBuffer() {
        var text = ""
        for i in 0..<3000 { text += "POST /\(i) HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nbody" }
        var parser = HTTPRequestParser()
        let bytes = Array(text.utf8)
        var count = 0
        var offset = 0
        while offset < bytes.count {
            parser.feed(bytes[offset..<min(offset + 7001, bytes.count)])
            offset += 7001
            while true {
                let event = parser.next()
                if case .request(let r) = event {
                    #expect(r.target == "/\(count)")
                    count += 1
                } else if case .needMoreData = event {
                    break
                } else if case .failure(let e) = event {
                    Issue.record("failure: \(e)")
                    return
                }
            }
        }
        #expect(count == 3000)
    }

    @Test func parseErrorCarriesFieldAndCode() {
        var parser = HTTPRequestParser()
        parser.feed("GET / HTTP/1.1\r\nHost: a\r\nX-Bad : v\r\n\r\n")
        guard case .failure(let e) = parser.next() else {
            Issue.record("expected a failure")
            return
        }
        #expect(e.status == 400)
        #expect(e.field == "X-Bad")
        #expect(e.code == "bad_request")
        #expect(e.reason == "whitespace before colon in header")
    }
}
