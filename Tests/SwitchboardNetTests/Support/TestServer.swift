import Foundation
import SwitchboardNet
#if canImport(Glibc)
import Glibc
#endif

enum Transport: String, CaseIterable, Sendable, CustomStringConvertible {
    case unix, tcp
    var description: String { rawValue }
}

/// A temporary directory removed on deinit.
final class TemporaryDirectory {
    let path: String
    init() {
        var template = Array("/tmp/sbnet-test-XXXXXX".utf8CString)
        path = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// A real server on a Unix socket in a temporary directory or on 127.0.0.1 with a free port,
/// shut down when the test drops it.
final class TestServer {
    let server: HTTPServer
    let transport: Transport
    let directory = TemporaryDirectory()

    convenience init(_ transport: Transport, handler: @escaping HTTPHandler = TestServer.echo) throws {
        try self.init(transport, configure: { _ in }, handler: handler)
    }

    init(_ transport: Transport, configure: (inout HTTPServer.Configuration) -> Void,
         handler: @escaping HTTPHandler = TestServer.echo) throws {
        self.transport = transport
        let listener: HTTPServer.Listener = switch transport {
        case .unix: .unix(path: directory.path + "/run/api.sock", mode: 0o660)
        case .tcp: .tcp(host: "127.0.0.1", port: 0)
        }
        var configuration = HTTPServer.Configuration(listeners: [listener])
        configure(&configuration)
        server = HTTPServer(configuration: configuration, handler: handler)
        try server.start()
    }

    deinit { server.shutdown(gracefulTimeout: .zero) }

    var socketPath: String { directory.path + "/run/api.sock" }

    func connect() throws -> BlockingTestClient {
        switch server.boundAddresses[0] {
        case .unix(let path): try BlockingTestClient(unixPath: path)
        case .tcp(let host, let port): try BlockingTestClient(host: host, port: port)
        }
    }

    /// Answers with "METHOD target\nbody".
    static let echo: HTTPHandler = { request, responder in
        responder.send(.text("\(request.method) \(request.target)\n\(request.bodyText)"))
    }

    /// Waits until `condition` holds (polling), for state the server updates on its own thread.
    static func eventually(seconds: Int = 5, _ condition: () -> Bool) -> Bool {
        for _ in 0..<(seconds * 100) {
            if condition() { return true }
            usleep(10_000)
        }
        return condition()
    }
}
