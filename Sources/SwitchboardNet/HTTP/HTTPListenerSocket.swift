import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension HTTPServerError: LocalizedError {
    public var errorDescription: String? { description }
}

/// A bound, listening, non-blocking socket. Created on the caller's thread by `start()` so that
/// bind errors are thrown there; shared by the server's event loops afterwards (`HTTPLoopShared`).
struct HTTPListenerSocket: Sendable {
    let fd: Int32
    let address: HTTPServer.BoundAddress
    /// For Unix sockets: the file to remove on close, and its inode (removed only if still ours).
    let unixPath: String?
    let unixInode: UInt64

    var isUnix: Bool { unixPath != nil }

    static func open(_ listener: HTTPServer.Listener) throws -> HTTPListenerSocket {
        switch listener {
        case .unix(let path, let mode): try openUnix(path: path, mode: mode, label: listener.description)
        case .tcp(let host, let port): try openTCP(host: host, port: port, label: listener.description)
        }
    }

    /// Stops listening and removes the socket file if it is still the one we created.
    func close() {
        _ = Glibc.close(fd)
        if let unixPath {
            var st = stat()
            if lstat(unixPath, &st) == 0, (st.st_mode & S_IFMT) == S_IFSOCK, UInt64(st.st_ino) == unixInode {
                unlink(unixPath)
            }
        }
    }

    // MARK: TCP

    private static func openTCP(host: String, port: Int, label: String) throws -> HTTPListenerSocket {
        guard (0...65535).contains(port) else {
            throw HTTPServerError(operation: "bind", address: label, reason: "port out of range")
        }
        var hints = addrinfo()
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        let node: String? = (host.isEmpty || host == "*") ? nil : host
        let rc = getaddrinfo(node, String(port), &hints, &result)
        guard rc == 0, let info = result else {
            throw HTTPServerError(operation: "bind", address: label,
                                  reason: "cannot resolve host: " + String(cString: gai_strerror(rc)).lowercased())
        }
        defer { freeaddrinfo(result) }

        let fd = socket(info.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | LinuxEventPrimitives.nonblock | LinuxEventPrimitives.cloexec, 0)
        guard fd >= 0 else {
            let e = errno
            throw HTTPServerError(operation: "bind", address: label, reason: LinuxEventPrimitives.errnoDescription(e), errno: e)
        }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        if bind(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) != 0 {
            let e = errno
            _ = Glibc.close(fd)
            throw HTTPServerError(operation: "bind", address: label, reason: LinuxEventPrimitives.errnoDescription(e), errno: e)
        }
        if listen(fd, 1024) != 0 {
            let e = errno
            _ = Glibc.close(fd)
            throw HTTPServerError(operation: "listen on", address: label, reason: LinuxEventPrimitives.errnoDescription(e), errno: e)
        }
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let bound: HTTPPeer = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                getsockname(fd, sa, &length)
                return peerAddress(sa)
            }
        }
        guard case .tcp(let address, let boundPort) = bound else {
            _ = Glibc.close(fd)
            throw HTTPServerError(operation: "bind", address: label, reason: "unexpected address family")
        }
        return HTTPListenerSocket(fd: fd, address: .tcp(host: address, port: boundPort), unixPath: nil, unixInode: 0)
    }

    // MARK: Unix

    private static func openUnix(path: String, mode: UInt16, label: String) throws -> HTTPListenerSocket {
        var addr = sockaddr_un()
        let capacity = MemoryLayout.size(ofValue: addr.sun_path)
        let pathBytes = Array(path.utf8)
        guard !pathBytes.isEmpty, pathBytes.count < capacity else {
            throw HTTPServerError(operation: "bind", address: label,
                                  reason: "socket path must be 1 to \(capacity - 1) bytes long")
        }
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            raw.copyBytes(from: pathBytes)
            raw[pathBytes.count] = 0
        }

        let parent = (path as NSString).deletingLastPathComponent
        if !parent.isEmpty && !FileManager.default.fileExists(atPath: parent) {
            do {
                try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true,
                                                        attributes: [.posixPermissions: 0o755])
            } catch {
                throw HTTPServerError(operation: "create the directory for", address: label,
                                      reason: "\(parent): \(error.localizedDescription)")
            }
        }

        var st = stat()
        if lstat(path, &st) == 0 {
            guard (st.st_mode & S_IFMT) == S_IFSOCK else {
                throw HTTPServerError(operation: "bind", address: label,
                                      reason: "a file that is not a socket exists at that path; remove it or choose another path")
            }
            if isListening(&addr) {
                throw HTTPServerError(operation: "bind", address: label,
                                      reason: "address in use (another process is listening on this socket)", errno: EADDRINUSE)
            }
            unlink(path) // stale socket from a previous run
        }

        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | LinuxEventPrimitives.nonblock | LinuxEventPrimitives.cloexec, 0)
        guard fd >= 0 else {
            let e = errno
            throw HTTPServerError(operation: "bind", address: label, reason: LinuxEventPrimitives.errnoDescription(e), errno: e)
        }
        let bindResult = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        if bindResult != 0 {
            let e = errno
            _ = Glibc.close(fd)
            throw HTTPServerError(operation: "bind", address: label, reason: LinuxEventPrimitives.errnoDescription(e), errno: e)
        }
        if chmod(path, mode_t(mode)) != 0 {
            let e = errno
            _ = Glibc.close(fd)
            unlink(path)
            throw HTTPServerError(operation: "set the mode of", address: label, reason: LinuxEventPrimitives.errnoDescription(e), errno: e)
        }
        if listen(fd, 1024) != 0 {
            let e = errno
            _ = Glibc.close(fd)
            unlink(path)
            throw HTTPServerError(operation: "listen on", address: label, reason: LinuxEventPrimitives.errnoDescription(e), errno: e)
        }
        var bound = stat()
        lstat(path, &bound)
        return HTTPListenerSocket(fd: fd, address: .unix(path: path), unixPath: path, unixInode: UInt64(bound.st_ino))
    }

    /// Whether some process accepts connections on the socket file (then it is not stale).
    private static func isListening(_ addr: inout sockaddr_un) -> Bool {
        let probe = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | LinuxEventPrimitives.cloexec, 0)
        guard probe >= 0 else { return false }
        defer { _ = Glibc.close(probe) }
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(probe, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        return rc == 0
    }

    // MARK: Peers

    /// The numeric address and port in a sockaddr (IPv4-mapped IPv6 shown as IPv4).
    static func peerAddress(_ sa: UnsafePointer<sockaddr>) -> HTTPPeer {
        switch Int32(sa.pointee.sa_family) {
        case AF_INET:
            return sa.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { sin in
                var a = sin.pointee.sin_addr
                return .tcp(address: ntop(AF_INET, &a, 16), port: Int(UInt16(bigEndian: sin.pointee.sin_port)))
            }
        case AF_INET6:
            return sa.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { sin6 in
                var a = sin6.pointee.sin6_addr
                let port = Int(UInt16(bigEndian: sin6.pointee.sin6_port))
                let mapped: [UInt8]? = withUnsafeBytes(of: &a) { b in
                    (b[0..<10].allSatisfy { $0 == 0 } && b[10] == 0xFF && b[11] == 0xFF) ? Array(b[12..<16]) : nil
                }
                if let v4 = mapped { return .tcp(address: "\(v4[0]).\(v4[1]).\(v4[2]).\(v4[3])", port: port) }
                return .tcp(address: ntop(AF_INET6, &a, 46), port: port)
            }
        default:
            return .none
        }
    }

    private static func ntop<T>(_ family: Int32, _ addr: inout T, _ size: Int) -> String {
        var text = [CChar](repeating: 0, count: size + 1)
        withUnsafeBytes(of: &addr) { raw in _ = inet_ntop(family, raw.baseAddress, &text, socklen_t(size)) }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The credentials of the process on the other end of a Unix socket (SO_PEERCRED).
    static func unixPeer(_ fd: Int32) -> HTTPPeer {
        // struct ucred { pid_t pid; uid_t uid; gid_t gid; }; not imported by Swift's Glibc module.
        var cred: (Int32, UInt32, UInt32) = (0, 0, 0)
        var length = socklen_t(MemoryLayout<(Int32, UInt32, UInt32)>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &length) == 0 else { return .unix(pid: 0, uid: UInt32.max, gid: UInt32.max) }
        return .unix(pid: cred.0, uid: cred.1, gid: cred.2)
    }
}
