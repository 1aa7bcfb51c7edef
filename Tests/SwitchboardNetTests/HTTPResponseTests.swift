import Foundation
import Testing
@testable import SwitchboardNet

@Suite("HTTPResponse")
struct HTTPResponseTests {
    let date = Array("Date: Thu, 01 Jan 1970 00:00:00 GMT\r\n".utf8)

    func wire(_ response: HTTPResponse, keepAlive: Bool = true, announce: Bool = false, head: Bool = false) -> String {
        var out: [UInt8] = []
        response.serialize(into: &out, keepAlive: keepAlive, announceKeepAlive: announce, omitBody: head, date: date)
        return String(decoding: out, as: UTF8.self)
    }

    @Test func serializesStatusHeadersLengthAndBody() {
        let text = wire(HTTPResponse(status: 201, headers: ["Content-Type": "application/json", "Location": "/v1/x"], body: Array("{}".utf8)))
        #expect(text == "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nLocation: /v1/x\r\n"
                + "Date: Thu, 01 Jan 1970 00:00:00 GMT\r\nContent-Length: 2\r\n\r\n{}")
    }

    @Test func closingAndHTTP10KeepAliveAreAnnounced() {
        #expect(wire(.text("x"), keepAlive: false).contains("\r\nConnection: close\r\n"))
        #expect(wire(.text("x"), keepAlive: true, announce: true).contains("\r\nConnection: keep-alive\r\n"))
        #expect(!wire(.text("x")).contains("Connection:"))
    }

    @Test func serverOwnsFramingHeaders() {
        let text = wire(HTTPResponse(status: 200, headers: ["Content-Length": "999", "transfer-encoding": "chunked", "Connection": "upgrade"],
                                     body: Array("abc".utf8)))
        #expect(!text.contains("999"))
        #expect(!text.lowercased().contains("transfer-encoding"))
        #expect(!text.contains("upgrade"))
        #expect(text.hasSuffix("Content-Length: 3\r\n\r\nabc"))
    }

    @Test func headerInjectionIsNeutralised() {
        let text = wire(HTTPResponse(status: 302, headers: ["Location": "/a\r\nSet-Cookie: evil=1", "Bad Name": "x"]))
        #expect(text.contains("Location: /a  Set-Cookie: evil=1\r\n"))
        #expect(!text.contains("\r\nSet-Cookie"))
        #expect(!text.contains("Bad Name"))
    }

    @Test func headResponseKeepsLengthWithoutBody() {
        let text = wire(.text("hello"), head: true)
        #expect(text.hasSuffix("Content-Length: 5\r\n\r\n"))
    }

    @Test func noContentHasNoLengthOrBody() {
        let text = wire(HTTPResponse(status: 204, body: Array("ignored".utf8)))
        #expect(!text.contains("Content-Length"))
        #expect(text.hasSuffix("\r\n\r\n"))
    }

    @Test func handlerDateWins() {
        let text = wire(HTTPResponse(status: 200, headers: ["Date": "custom"]))
        #expect(text.contains("Date: custom\r\n"))
        #expect(!text.contains("1970"))
    }

    @Test(arguments: [(0, "0"), (7, "7"), (10, "10"), (1234567890, "1234567890"), (Int.max, String(Int.max))])
    func decimal(_ value: Int, _ expected: String) {
        var out: [UInt8] = []
        HTTPResponse.appendDecimal(value, to: &out)
        #expect(String(decoding: out, as: UTF8.self) == expected)
    }

    @Test(arguments: [(1, "1"), (15, "f"), (16, "10"), (65536, "10000"), (0xABCDEF, "abcdef")])
    func hex(_ value: Int, _ expected: String) {
        var out: [UInt8] = []
        HTTPResponse.appendHex(value, to: &out)
        #expect(String(decoding: out, as: UTF8.self) == expected)
    }

    @Test func jsonErrorShape() throws {
        let response = HTTPResponse.jsonError(status: 404, code: "not_found", message: "no route for GET /x")
        #expect(response.status == 404)
        #expect(response.headers["content-type"] == "application/json")
        #expect(String(decoding: response.body, as: UTF8.self) == #"{"error":{"code":"not_found","message":"no route for GET /x"}}"#)
    }

    @Test func jsonErrorEscapesEverything() throws {
        let nasty = "quote \" backslash \\ newline \n tab \t cr \r nul \u{0} bell \u{7} del \u{7F} sep \u{2028}\u{2029} é 😀 </script>"
        let response = HTTPResponse.jsonError(status: 400, code: "bad_request", message: nasty, hint: "hint \"h\"", field: "X-Field\n")
        let text = String(decoding: response.body, as: UTF8.self)
        #expect(!text.contains("\n"))
        #expect(text.contains(#"\u2028\u2029"#))
        let object = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
        let error = object?["error"] as? [String: Any]
        #expect(error?["code"] as? String == "bad_request")
        #expect(error?["message"] as? String == nasty)
        #expect(error?["hint"] as? String == "hint \"h\"")
        #expect(error?["field"] as? String == "X-Field\n")
    }

    @Test func parseErrorResponseNamesCodeAndField() throws {
        let response = HTTPResponse.parseError(HTTPParseError(status: 431, reason: "too many header fields"))
        let object = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
        let error = object?["error"] as? [String: Any]
        #expect(error?["code"] as? String == "headers_too_large")
        #expect(error?["message"] as? String == "too many header fields")
        #expect(error?["hint"] != nil)
    }

    @Test func headersLookupIsCaseInsensitiveAndOrdered() {
        var headers: HTTPHeaders = ["Content-Type": "a", "X-A": "1"]
        headers.add(name: "x-a", value: "2")
        #expect(headers["CONTENT-TYPE"] == "a")
        #expect(headers.values(for: "X-a") == ["1", "2"])
        headers.replaceOrAdd(name: "X-A", value: "3")
        #expect(headers.values(for: "x-a") == ["3"])
        headers.remove(name: "content-type")
        #expect(headers.fields.map(\.name) == ["X-A"])
        #expect(HTTPHeaders([("Connection", "Keep-Alive, Upgrade")]).containsToken("upgrade", in: "connection"))
    }
}
