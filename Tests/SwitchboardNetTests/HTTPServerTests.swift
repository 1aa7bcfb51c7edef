import Dispatch
import Foundation
import Synchronization
import SwitchboardCore
import Testing
@testable import SwitchboardNet
#if canImport(Glibc)
import Glibc
#endif

/// A one-shot signal between a handler thread and the test.
final class Flag: Sendable {
    private let semaphore = DispatchSemaphore(value: 0)
    func raise() { semaphore.signal() }
    func wait(seconds: Double = 5) -> Bool { semaphore.wait(timeout: .now() + seconds) == .success }
}

@Suite("HTTPServer")
struct HTTPServerTests {
    @Test(arguments: Transport.allCases)
    func keepAliveServesSeveralRequestsOnOneConnection(_ transport: Transport) throws {
        let server = try TestServer(transport)
        let client = try server.connect()
        for i in 0..<5 {
            try client.send("GET /n/\(i) HTTP/1.1\r\nHost: x\r\n\r\n")
            let response = try client.readResponse()
            #expect(response.status == 200)
            #expect(response.text == "GET /n/\(i)\n")
            #expect(response.header("Connection") == nil)
            #expect(response.header("Date")?.hasSuffix("GMT") == true)
        }
        let stats = server.server.statistics
        #expect(stats.connectionsAccepted == 1)
        #expect(stats.requests == 5)
        #expect(stats.responses(statusClass: 2) == 5)
    }

    @Test func requestLatencyRunsFromTheWholeRequestToItsResponse() throws {
        let server = try TestServer(.tcp) { request, responder in
            if request.path == "/slow" {
                DispatchQueue.global().asyncAfter(deadline: .now() + 0.15) { responder.send(.text("slow")) }
            } else {
                responder.send(.text("fast"))
            }
        }
        let client = try server.connect()
        // A request that arrives in two parts is timed from its last part, not its first.
        try client.send("GET /fast HTTP/1.1\r\nHo")
        Thread.sleep(forTimeInterval: 0.15)
        try client.send("st: x\r\n\r\n")
        #expect(try client.readResponse().text == "fast")
        try client.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try client.readResponse().text == "slow")
        let latency = server.server.statistics.requestLatency
        #expect(latency.count == 2)
        let over100ms = zip(LatencyHistogram.bounds + [.infinity], latency.counts).filter { $0.0 > 0.1 }.map(\.1).reduce(0, +)
        #expect(over100ms == 1, "only /slow waited over 100 ms: \(latency.counts)")
        #expect(latency.sum >= 0.15 && latency.sum < 5, "\(latency.sum)")
    }

    @Test(arguments: Transport.allCases)
    func pipelinedResponsesKeepRequestOrderWhenAnsweredLaterFromAnotherThread(_ transport: Transport) throws {
        let log = Locked<[String]>([])
        let server = try TestServer(transport) { request, responder in
            log.withLock { $0.append("handle \(request.path)") }
            if request.path == "/slow" {
                DispatchQueue.global().asyncAfter(deadline: .now() + 0.15) {
                    log.withLock { $0.append("send /slow") }
                    responder.send(.text("slow"))
                }
            } else {
                responder.send(.text(String(request.path.dropFirst())))
            }
        }
        let client = try server.connect()
        try client.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\nGET /c HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try client.readResponse().text == "slow")
        #expect(try client.readResponse().text == "b")
        #expect(try client.readResponse().text == "c")
        #expect(log.withLock { $0 } == ["handle /slow", "send /slow", "handle /b", "handle /c"])
    }

    @Test(arguments: Transport.allCases)
    func chunkedRequestBody(_ transport: Transport) throws {
        let server = try TestServer(transport)
        let client = try server.connect()
        try client.send("POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
        try client.send("4;ext=1\r\nWiki\r\n")
        try client.send("5\r\npedia\r\n0\r\nX-Checksum: 1\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 200)
        #expect(response.text == "POST /upload\nWikipedia")
    }

    @Test(arguments: Transport.allCases)
    func expectContinue(_ transport: Transport) throws {
        let server = try TestServer(transport)
        let client = try server.connect()
        try client.send("POST /c HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
        let interim = try client.readResponse()
        #expect(interim.status == 100)
        try client.send("hello")
        let response = try client.readResponse()
        #expect(response.status == 200)
        #expect(response.text == "POST /c\nhello")
        #expect(server.server.statistics.responses(statusClass: 1) == 0)
    }

    @Test(arguments: Transport.allCases)
    func oversizedBodyIsRefusedBeforeItIsSent(_ transport: Transport) throws {
        let handled = Locked(0)
        let server = try TestServer(transport) { _, responder in
            handled.withLock { $0 += 1 }
            responder.send(.text("no"))
        }
        let client = try server.connect()
        try client.send("POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: 10485760\r\nExpect: 100-continue\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 413)
        #expect(response.header("Connection") == "close")
        #expect(response.text.contains(#""code":"payload_too_large""#))
        #expect(try client.waitForClose())
        #expect(handled.withLock { $0 } == 0)
        #expect(server.server.statistics.parseErrorsByStatus[413] == 1)
    }

    @Test(arguments: Transport.allCases)
    func malformedRequestGets400AndTheConnectionCloses(_ transport: Transport) throws {
        let logs = InMemoryLogHandler()
        let server = try TestServer(transport, configure: { $0.logger = Logger(label: "http", handler: logs) })
        let client = try server.connect()
        try client.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\nsecret-body")
        let response = try client.readResponse()
        #expect(response.status == 400)
        #expect(response.text.contains(#""field":"Transfer-Encoding""#))
        #expect(try client.waitForClose())
        #expect(server.server.statistics.parseErrorsByStatus[400] == 1)
        let refused = logs.records.first { $0.message == "request refused" }
        #expect(refused?.fields["status"] == "400")
        #expect(!logs.records.contains { $0.message.contains("secret") || $0.fields.values.contains { $0.contains("secret") } })
    }

    @Test(arguments: Transport.allCases)
    func connectionLimit(_ transport: Transport) throws {
        let server = try TestServer(transport, configure: { $0.maxConnections = 2 })
        let a = try server.connect()
        let b = try server.connect()
        for client in [a, b] {
            try client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try client.readResponse().status == 200)
        }
        let c = try server.connect()
        #expect(try c.waitForClose())
        #expect(TestServer.eventually { server.server.statistics.connectionsRejected == 1 })
        #expect(server.server.statistics.connectionsActive == 2)
        // A served connection still works, and a freed slot can be used again.
        try a.send("GET /again HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        #expect(try a.readResponse().text == "GET /again\n")
        #expect(try a.waitForClose())
        #expect(TestServer.eventually { server.server.statistics.connectionsActive == 1 })
        let d = try server.connect()
        try d.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try d.readResponse().status == 200)
    }

    @Test(arguments: Transport.allCases)
    func severalLoopsShareTheConnectionsTheLimitAndTheShutdown(_ transport: Transport) throws {
        let threads = Locked<Set<UInt>>([])
        let server = try TestServer(transport, configure: { $0.eventLoops = 3; $0.maxConnections = 4 }) { request, responder in
            threads.withLock { $0.insert(UInt(pthread_self())) }
            responder.send(.text("\(request.method) \(request.path)\n"))
        }
        // New connections go to the loops in turn: four connections are served by three threads.
        var clients: [BlockingTestClient] = []
        for _ in 0..<4 {
            let client = try server.connect()
            try client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try client.readResponse().status == 200)
            clients.append(client)
        }
        #expect(threads.withLock { $0.count } == 3)
        // The limit is the server's, not each loop's: the fifth connection is refused.
        let fifth = try server.connect()
        #expect(try fifth.waitForClose())
        #expect(TestServer.eventually { server.server.statistics.connectionsRejected == 1 })
        // A closed connection frees its place whichever loop served it.
        try clients[0].send("GET /bye HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        #expect(try clients[0].readResponse().status == 200)
        #expect(try clients[0].waitForClose())
        #expect(TestServer.eventually { server.server.statistics.connectionsActive == 3 })
        let again = try server.connect()
        try again.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try again.readResponse().status == 200)
        // Shutdown stops every loop: idle connections on each are closed and nothing listens.
        let result = server.server.shutdown(gracefulTimeout: .seconds(2))
        #expect(result.graceful)
        for client in clients.dropFirst() + [again] { #expect(try client.waitForClose()) }
        #expect(throws: (any Error).self) { _ = try server.connect() }
    }

    @Test(arguments: Transport.allCases)
    func idleKeepAliveConnectionsAreClosed(_ transport: Transport) throws {
        let server = try TestServer(transport, configure: { $0.idleTimeout = .milliseconds(200) })
        let client = try server.connect()
        try client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try client.readResponse().status == 200)
        #expect(try client.waitForClose())
        #expect(server.server.statistics.idleTimeouts == 1)
    }

    @Test(arguments: Transport.allCases)
    func slowRequestGets408(_ transport: Transport) throws {
        let server = try TestServer(transport, configure: { $0.requestReadTimeout = .milliseconds(200) })
        let client = try server.connect()
        try client.send("GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        let response = try client.readResponse()
        #expect(response.status == 408)
        #expect(response.header("Connection") == "close")
        #expect(try client.waitForClose())
        #expect(server.server.statistics.readTimeouts == 1)
        #expect(server.server.statistics.parseErrorsByStatus[408] == 1)
    }

    @Test(arguments: Transport.allCases)
    func slowBodyGets408(_ transport: Transport) throws {
        let server = try TestServer(transport, configure: { $0.requestReadTimeout = .milliseconds(200) })
        let client = try server.connect()
        try client.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
        #expect(try client.readResponse().status == 408)
        #expect(try client.waitForClose())
    }

    @Test(arguments: Transport.allCases)
    func gracefulShutdownFinishesTheRequestInProgress(_ transport: Transport) throws {
        let started = Flag()
        let server = try TestServer(transport) { request, responder in
            started.raise()
            DispatchQueue.global().asyncAfter(deadline: .now() + 0.2) { responder.send(.text("finished")) }
        }
        let busy = try server.connect()
        let idle = try server.connect()
        try idle.send("GET /warm HTTP/1.1\r\nHost: x\r\n\r\n")
        _ = try idle.readResponse()
        _ = started.wait()
        try busy.send("POST /work HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
        #expect(started.wait())

        let result = Locked<HTTPServer.ShutdownResult?>(nil)
        let done = Flag()
        server.server.shutdown(gracefulTimeout: .seconds(5)) { r in
            result.withLock { $0 = r }
            done.raise()
        }
        #expect(try idle.waitForClose())
        let response = try busy.readResponse()
        #expect(response.status == 200)
        #expect(response.text == "finished")
        #expect(response.header("Connection") == "close")
        #expect(try busy.waitForClose())
        #expect(done.wait())
        #expect(result.withLock { $0 } == HTTPServer.ShutdownResult(graceful: true, forciblyClosed: 0))
        #expect(throws: (any Error).self) { try server.connect() }
        if transport == .unix { #expect(!FileManager.default.fileExists(atPath: server.socketPath)) }
    }

    @Test func shutdownTimeoutClosesConnectionsThatDoNotFinish() throws {
        let server = try TestServer(.tcp) { _, responder in
            DispatchQueue.global().asyncAfter(deadline: .now() + 2) { responder.send(.text("too late")) }
        }
        let client = try server.connect()
        try client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(TestServer.eventually { server.server.statistics.requests == 1 })
        let result = server.server.shutdown(gracefulTimeout: .milliseconds(100))
        #expect(result == HTTPServer.ShutdownResult(graceful: false, forciblyClosed: 1))
        #expect(try client.waitForClose())
    }

    @Test func unixSocketFileModeStaleFileAndCleanup() throws {
        let dir = TemporaryDirectory()
        let path = dir.path + "/nested/dir/api.sock"
        let first = HTTPServer(configuration: .init(listeners: [.unix(path: path, mode: 0o600)]), handler: TestServer.echo)
        try first.start()
        var st = stat()
        #expect(stat(path, &st) == 0)
        #expect(st.st_mode & 0o777 == 0o600)
        #expect(st.st_mode & S_IFMT == S_IFSOCK)

        // A second server may not take over a socket that is in use.
        let second = HTTPServer(configuration: .init(listeners: [.unix(path: path)]), handler: TestServer.echo)
        #expect(throws: HTTPServerError.self) { try second.start() }

        first.shutdown(gracefulTimeout: .seconds(1))
        #expect(!FileManager.default.fileExists(atPath: path))

        // A stale socket file (nobody listening) is replaced.
        let stale = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            raw.copyBytes(from: Array(path.utf8))
            raw[path.utf8.count] = 0
        }
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(stale, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
        Glibc.close(stale)
        #expect(FileManager.default.fileExists(atPath: path))
        let third = HTTPServer(configuration: .init(listeners: [.unix(path: path, mode: 0o660)]), handler: TestServer.echo)
        try third.start()
        #expect(stat(path, &st) == 0)
        #expect(st.st_mode & 0o777 == 0o660)
        let client = try BlockingTestClient(unixPath: path)
        try client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try client.readResponse().status == 200)
        third.shutdown(gracefulTimeout: .seconds(1))
    }

    @Test func aRegularFileAtTheSocketPathIsNeverRemoved() throws {
        let dir = TemporaryDirectory()
        let path = dir.path + "/api.sock"
        _ = FileManager.default.createFile(atPath: path, contents: Data("keep me".utf8))
        let server = HTTPServer(configuration: .init(listeners: [.unix(path: path)]), handler: TestServer.echo)
        let error = #expect(throws: HTTPServerError.self) { try server.start() }
        #expect(error?.description.hasPrefix("cannot bind unix:\(path): a file that is not a socket") == true)
        #expect(FileManager.default.contents(atPath: path) == Data("keep me".utf8))
    }

    @Test func bindErrorNamesTheAddress() throws {
        let first = try TestServer(.tcp)
        let port = try #require(first.server.boundAddresses[0].port)
        #expect(port > 0)
        let second = HTTPServer(configuration: .init(listeners: [.tcp(host: "127.0.0.1", port: port)]), handler: TestServer.echo)
        let error = #expect(throws: HTTPServerError.self) { try second.start() }
        #expect(error?.description == "cannot bind 127.0.0.1:\(port): address in use")
        #expect(error?.errno == EADDRINUSE)
    }

    @Test func ipv6Loopback() throws {
        let server = HTTPServer(configuration: .init(listeners: [.tcp(host: "::1", port: 0)])) { request, responder in
            responder.send(.text(request.peer.description))
        }
        do {
            try server.start()
        } catch let error as HTTPServerError where error.errno == EADDRNOTAVAIL || error.errno == EAFNOSUPPORT {
            return // no IPv6 loopback on this machine
        }
        defer { server.shutdown(gracefulTimeout: .zero) }
        guard case .tcp(let host, let port) = server.boundAddresses[0] else {
            Issue.record("expected a TCP address")
            return
        }
        #expect(host == "::1")
        let client = try BlockingTestClient(host: "::1", port: port)
        try client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try client.readResponse().text.hasPrefix("[::1]:"))
    }

    @Test(arguments: Transport.allCases)
    func streamingResponse(_ transport: Transport) throws {
        let closed = Flag()
        let server = try TestServer(transport) { request, responder in
            guard request.path == "/events" else {
                responder.send(.text("plain"))
                return
            }
            let stream = responder.startStream(headers: ["Content-Type": "text/event-stream"], onClose: { closed.raise() })
            DispatchQueue.global().async {
                for i in 1...3 {
                    stream.write("data: event \(i)\n\n")
                    usleep(10_000)
                }
                stream.finish()
            }
        }
        let client = try server.connect()
        try client.send("GET /events HTTP/1.1\r\nHost: x\r\n\r\n")
        let head = try client.readHead()
        #expect(head.status == 200)
        #expect(head.header("Transfer-Encoding") == "chunked")
        #expect(head.header("Content-Type") == "text/event-stream")
        var text = ""
        while let chunk = try client.readChunk() { text += String(decoding: chunk, as: UTF8.self) }
        #expect(text == "data: event 1\n\ndata: event 2\n\ndata: event 3\n\n")
        // The connection serves the next request after the stream.
        try client.send("GET /next HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try client.readResponse().text == "plain")
        #expect(!closed.wait(seconds: 0.05)) // finished normally: onClose not called
        #expect(server.server.statistics.streams == 1)
    }

    @Test(arguments: Transport.allCases)
    func streamNoticesTheClientLeaving(_ transport: Transport) throws {
        let closed = Flag()
        let writer = Locked<HTTPStreamWriter?>(nil)
        let server = try TestServer(transport) { _, responder in
            writer.withLock { $0 = responder.startStream(onClose: { closed.raise() }) }
        }
        do {
            let client = try server.connect()
            try client.send("GET /events HTTP/1.1\r\nHost: x\r\n\r\n")
            _ = try client.readHead()
        }
        #expect(closed.wait())
        #expect(writer.withLock { $0?.isOpen } == false)
    }

    @Test(arguments: Transport.allCases)
    func streamToAClientThatDoesNotReadIsCutOff(_ transport: Transport) throws {
        let writer = Locked<HTTPStreamWriter?>(nil)
        let server = try TestServer(transport, configure: { $0.maxPendingOutputBytes = 64 * 1024 }) { _, responder in
            writer.withLock { $0 = responder.startStream() }
        }
        let client = try server.connect()
        try client.send("GET /events HTTP/1.1\r\nHost: x\r\n\r\n")
        let stream = try #require(TestServer.eventually { writer.withLock { $0 } != nil } ? writer.withLock { $0 } : nil)
        let chunk = [UInt8](repeating: 0x61, count: 64 * 1024)
        var written = 0
        while stream.isOpen && written < 512 * 1024 * 1024 {
            stream.write(chunk)
            written += chunk.count
            if written % (4 * 1024 * 1024) == 0 { usleep(1000) }
        }
        #expect(TestServer.eventually { !stream.isOpen })
        #expect(TestServer.eventually { server.server.statistics.connectionsActive == 0 })
    }

    @Test(arguments: Transport.allCases)
    func http10ClosesUnlessKeepAliveIsAsked(_ transport: Transport) throws {
        let server = try TestServer(transport)
        let keep = try server.connect()
        try keep.send("GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        let first = try keep.readResponse()
        #expect(first.header("Connection") == "keep-alive")
        try keep.send("GET /b HTTP/1.0\r\n\r\n")
        let second = try keep.readResponse()
        #expect(second.text == "GET /b\n")
        #expect(second.header("Connection") == "close")
        #expect(try keep.waitForClose())
    }

    @Test(arguments: Transport.allCases)
    func headResponseHasNoBody(_ transport: Transport) throws {
        let server = try TestServer(transport)
        let client = try server.connect()
        try client.send("HEAD /h HTTP/1.1\r\nHost: x\r\n\r\nGET /g HTTP/1.1\r\nHost: x\r\n\r\n")
        let head = try client.readResponse(forHEAD: true)
        #expect(head.header("Content-Length") == "8")
        #expect(try client.readResponse().text == "GET /g\n")
    }

    @Test func peerInformation() throws {
        let peers = Locked<[HTTPPeer]>([])
        let handler: HTTPHandler = { request, responder in
            peers.withLock { $0.append(request.peer) }
            responder.send(.text("ok"))
        }
        let unix = try TestServer(.unix, handler: handler)
        let tcp = try TestServer(.tcp, handler: handler)
        for server in [unix, tcp] {
            let client = try server.connect()
            try client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            _ = try client.readResponse()
        }
        let seen = peers.withLock { $0 }
        #expect(seen.first == .unix(pid: getpid(), uid: getuid(), gid: getgid()))
        guard case .tcp(let address, let port) = seen.last else {
            Issue.record("expected a TCP peer")
            return
        }
        #expect(address == "127.0.0.1")
        #expect(port > 0)
    }

    @Test(arguments: Transport.allCases)
    func policyCanRefusePeers(_ transport: Transport) throws {
        let asked = Locked(0)
        let server = try TestServer(transport, configure: {
            $0.policy = HTTPConnectionFilter { _ in
                asked.withLock { $0 += 1 }
                return false
            }
        })
        let client = try server.connect()
        #expect(try client.waitForClose())
        #expect(TestServer.eventually { server.server.statistics.connectionsRefusedByPolicy == 1 })
        #expect(asked.withLock { $0 } == 1)
        #expect(server.server.statistics.connectionsAccepted == 0)
    }

    @Test(arguments: Transport.allCases)
    func handlerThatForgetsToAnswerGets500(_ transport: Transport) throws {
        let server = try TestServer(transport) { _, _ in }
        let client = try server.connect()
        try client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try client.readResponse().status == 500)
        try client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try client.readResponse().status == 500)
    }

    @Test(arguments: Transport.allCases)
    func maxRequestsPerConnection(_ transport: Transport) throws {
        let server = try TestServer(transport, configure: { $0.maxRequestsPerConnection = 2 })
        let client = try server.connect()
        try client.send("GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\nGET /3 HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try client.readResponse().header("Connection") == nil)
        #expect(try client.readResponse().header("Connection") == "close")
        #expect(try client.waitForClose())
        #expect(server.server.statistics.requests == 2)
    }

    @Test(arguments: Transport.allCases)
    func halfClosedClientStillGetsItsResponse(_ transport: Transport) throws {
        let server = try TestServer(transport) { request, responder in
            DispatchQueue.global().asyncAfter(deadline: .now() + 0.05) { responder.send(.text("late")) }
        }
        let client = try server.connect()
        try client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        client.shutdownWrite()
        #expect(try client.readResponse().text == "late")
        #expect(try client.waitForClose())
    }

    @Test func largeResponseToASlowReader() throws {
        let pattern = [UInt8]((0..<1021).map { UInt8(truncatingIfNeeded: $0 % 251) })
        var bytes: [UInt8] = []
        for _ in 0..<4096 { bytes.append(contentsOf: pattern) }
        let body = bytes
        let server = try TestServer(.tcp) { _, responder in responder.send(HTTPResponse(body: body)) }
        let client = try server.connect()
        try client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        usleep(100_000) // the server fills the socket buffers and waits for EPOLLOUT
        let response = try client.readResponse()
        #expect(response.body == body)
    }

    @Test(arguments: Transport.allCases)
    func stopAcceptingKeepsOpenConnections(_ transport: Transport) throws {
        let server = try TestServer(transport)
        let client = try server.connect()
        try client.send("GET /1 HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try client.readResponse().status == 200)
        server.server.stopAccepting()
        #expect(TestServer.eventually { (try? server.connect()) == nil })
        try client.send("GET /2 HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try client.readResponse().text == "GET /2\n")
    }

    @Test func clientThatStopsReadingHitsTheWriteTimeout() throws {
        let body = [UInt8](repeating: 0x62, count: 32 * 1024 * 1024)
        let server = try TestServer(.tcp, configure: { $0.writeTimeout = .milliseconds(200) }) { _, responder in
            responder.send(HTTPResponse(body: body))
        }
        let client = try server.connect()
        try client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        // Patient: filling loopback TCP buffers that grow to several MiB takes a while when the
        // whole suite shares two CPUs (it once took over 5 s).
        #expect(TestServer.eventually(seconds: 30) { server.server.statistics.writeTimeouts == 1 })
        #expect(TestServer.eventually { server.server.statistics.connectionsActive == 0 })
    }

    @Test(arguments: Transport.allCases)
    func pipelinedFloodWithUnreadResponsesIsServedInOrder(_ transport: Transport) throws {
        let server = try TestServer(transport, configure: { $0.maxPendingOutputBytes = 64 * 1024 }) { request, responder in
            responder.send(HTTPResponse(headers: ["X-Path": request.path], body: [UInt8](repeating: 0x63, count: 16 * 1024)))
        }
        let client = try server.connect()
        let count = 600
        var batch = ""
        for i in 0..<count { batch += "GET /\(i) HTTP/1.1\r\nHost: x\r\n\r\n" }
        try client.send(batch)
        usleep(100_000) // the server fills the socket buffers, then stops reading and parsing
        for i in 0..<count {
            let response = try client.readResponse()
            #expect(response.header("X-Path") == "/\(i)")
            if response.header("X-Path") != "/\(i)" { break }
        }
        #expect(server.server.statistics.requests == count)
    }
}
