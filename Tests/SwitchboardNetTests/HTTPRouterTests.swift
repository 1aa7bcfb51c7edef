import Synchronization
import Testing
@testable import SwitchboardNet

@Suite("HTTPRouter")
struct HTTPRouterTests {
    let router: HTTPRouter = {
        var r = HTTPRouter()
        let ok: HTTPHandler = { request, responder in
            let params = request.pathParameters.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
            responder.send(.text("\(request.method) \(params)"))
        }
        r.get("/", ok)
        r.get("/v1/messages", ok)
        r.post("/v1/messages", ok)
        r.get("/v1/messages/{id}", ok)
        r.delete("/v1/messages/{id}", ok)
        r.get("/v1/messages/stats", ok)
        r.get("/v1/inquiries/{inquiry}/messages/{message}", ok)
        return r
    }()

    func call(_ method: String, _ target: String) -> HTTPResponse? {
        let got = Locked<HTTPResponse?>(nil)
        router.handle(HTTPRequest(method: method, target: target, headers: ["Host": "x"]), HTTPResponder { event in
            if case .response(let r) = event { got.withLock { $0 = r } }
        })
        return got.withLock { $0 }
    }

    @Test func literalRoutes() {
        #expect(router.match(method: "GET", path: "/") == .found(pattern: "/", parameters: [:]))
        #expect(router.match(method: "POST", path: "/v1/messages") == .found(pattern: "/v1/messages", parameters: [:]))
    }

    @Test func parametersAreExtractedAndDecoded() {
        #expect(router.match(method: "GET", path: "/v1/messages/01HX") == .found(pattern: "/v1/messages/{id}", parameters: ["id": "01HX"]))
        #expect(router.match(method: "GET", path: "/v1/messages/a%2Fb%20c")
                == .found(pattern: "/v1/messages/{id}", parameters: ["id": "a/b c"]))
        #expect(router.match(method: "GET", path: "/v1/inquiries/7/messages/9")
                == .found(pattern: "/v1/inquiries/{inquiry}/messages/{message}", parameters: ["inquiry": "7", "message": "9"]))
        #expect(call("GET", "/v1/inquiries/7/messages/9?x=1")?.body == Array("GET inquiry=7,message=9".utf8))
    }

    @Test func literalBeatsParameter() {
        #expect(router.match(method: "GET", path: "/v1/messages/stats") == .found(pattern: "/v1/messages/stats", parameters: [:]))
        #expect(router.match(method: "DELETE", path: "/v1/messages/stats") == .methodNotAllowed(allowed: ["GET", "HEAD"]))
    }

    @Test func unknownPathIs404JSON() throws {
        #expect(router.match(method: "GET", path: "/nope") == .notFound)
        #expect(router.match(method: "GET", path: "/v1/messages/") == .notFound)
        #expect(router.match(method: "GET", path: "/v1/messages/1/extra") == .notFound)
        let response = try #require(call("GET", "/nope"))
        #expect(response.status == 404)
        #expect(String(decoding: response.body, as: UTF8.self) == #"{"error":{"code":"not_found","message":"no route for GET /nope"}}"#)
    }

    @Test func wrongMethodIs405WithAllow() throws {
        let response = try #require(call("PUT", "/v1/messages/1"))
        #expect(response.status == 405)
        #expect(response.headers["Allow"] == "DELETE, GET, HEAD")
        #expect(String(decoding: response.body, as: UTF8.self).contains(#""code":"method_not_allowed""#))
    }

    @Test func headUsesTheGetRoute() {
        #expect(router.match(method: "HEAD", path: "/v1/messages") == .found(pattern: "/v1/messages", parameters: [:]))
        #expect(call("HEAD", "/v1/messages")?.status == 200)
    }

    @Test func responderDroppedWithoutAnswerSends500() {
        let got = Locked<[HTTPResponderEvent]>([])
        do {
            _ = HTTPResponder { event in got.withLock { $0.append(event) } }
        }
        let events = got.withLock { $0 }
        #expect(events.count == 1)
        if case .response(let r) = events.first { #expect(r.status == 500) } else { Issue.record("expected a 500") }
    }

    @Test func onlyTheFirstAnswerCounts() {
        let got = Locked<[HTTPResponderEvent]>([])
        let responder = HTTPResponder { event in got.withLock { $0.append(event) } }
        responder.send(.text("one"))
        responder.send(.text("two"))
        let stream = responder.startStream()
        #expect(!stream.isOpen)
        #expect(got.withLock { $0 } == [.response(.text("one"))])
    }
}
