#if canImport(Glibc)
import Glibc

/// epoll, eventfd and accept4, which Swift's Glibc module does not import. They are resolved once
/// through `dlsym` as C function pointers (the C calling convention, no shim module needed).
/// A `CEpoll` system-library target with a three-line header would make this file unnecessary.
enum LinuxEventPrimitives {
    typealias EpollCreate1 = @convention(c) (Int32) -> Int32
    typealias EpollCtl = @convention(c) (Int32, Int32, Int32, UnsafeMutableRawPointer?) -> Int32
    typealias EpollWait = @convention(c) (Int32, UnsafeMutableRawPointer?, Int32, Int32) -> Int32
    typealias EventFD = @convention(c) (UInt32, Int32) -> Int32
    typealias Accept4 = @convention(c) (Int32, UnsafeMutablePointer<sockaddr>?, UnsafeMutablePointer<socklen_t>?, Int32) -> Int32

    static let epollCreate1: EpollCreate1 = resolve("epoll_create1")
    static let epollCtl: EpollCtl = resolve("epoll_ctl")
    static let epollWait: EpollWait = resolve("epoll_wait")
    static let eventfd: EventFD = resolve("eventfd")
    static let accept4: Accept4 = resolve("accept4")

    static let EPOLLIN: UInt32 = 0x001
    static let EPOLLOUT: UInt32 = 0x004
    static let EPOLLERR: UInt32 = 0x008
    static let EPOLLHUP: UInt32 = 0x010
    /// On a listening socket watched by several loops: one loop wakes per new connection.
    static let EPOLLEXCLUSIVE: UInt32 = 1 << 28
    static let EPOLL_CTL_ADD: Int32 = 1
    static let EPOLL_CTL_DEL: Int32 = 2
    static let EPOLL_CTL_MOD: Int32 = 3
    static let cloexec: Int32 = 0o2000000
    static let nonblock: Int32 = 0o4000

    /// `struct epoll_event` is packed on x86-64 (12 bytes) and naturally aligned elsewhere (16).
    #if arch(x86_64) || arch(i386)
    static let eventSize = 12
    static let dataOffset = 4
    #else
    static let eventSize = 16
    static let dataOffset = 8
    #endif

    private static func resolve<F>(_ name: String) -> F {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else {
            fatalError("libc does not export \(name)")
        }
        return unsafeBitCast(symbol, to: F.self)
    }

    /// Registers, changes or removes interest in `fd`; `data` comes back with each event.
    @discardableResult
    static func control(_ epfd: Int32, _ op: Int32, _ fd: Int32, events: UInt32, data: UInt64) -> Int32 {
        var raw: (UInt64, UInt64) = (0, 0)
        return withUnsafeMutableBytes(of: &raw) { p in
            p.storeBytes(of: events, toByteOffset: 0, as: UInt32.self)
            p.storeBytes(of: data, toByteOffset: dataOffset, as: UInt64.self)
            return epollCtl(epfd, op, fd, p.baseAddress)
        }
    }

    /// A buffer for `epoll_wait` results.
    struct EventBuffer {
        let capacity: Int
        let storage: UnsafeMutableRawPointer

        init(capacity: Int) {
            self.capacity = capacity
            storage = UnsafeMutableRawPointer.allocate(byteCount: capacity * eventSize, alignment: 8)
        }
        func deallocate() { storage.deallocate() }

        func wait(_ epfd: Int32, timeoutMilliseconds: Int32) -> Int32 {
            epollWait(epfd, storage, Int32(capacity), timeoutMilliseconds)
        }
        func events(at i: Int) -> UInt32 { storage.loadUnaligned(fromByteOffset: i * eventSize, as: UInt32.self) }
        func data(at i: Int) -> UInt64 { storage.loadUnaligned(fromByteOffset: i * eventSize + dataOffset, as: UInt64.self) }
    }

    static func monotonicNanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }

    static func errnoDescription(_ code: Int32) -> String {
        switch code {
        case EADDRINUSE: "address in use"
        case EACCES, EPERM: "permission denied"
        case EADDRNOTAVAIL: "address not available on this host"
        case ENOENT: "no such file or directory"
        case ENAMETOOLONG: "path too long"
        case EMFILE, ENFILE: "too many open files"
        case EAFNOSUPPORT: "address family not supported"
        default: String(cString: strerror(code)).lowercased()
        }
    }
}
#endif
