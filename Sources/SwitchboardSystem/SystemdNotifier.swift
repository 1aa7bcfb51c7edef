import Foundation
import Glibc
import SwitchboardCore

/// Tells systemd about the daemon's state over `$NOTIFY_SOCKET` (the sd_notify protocol: one
/// datagram of `KEY=value` lines). Written without libsystemd, as systemd's own
/// `notify-selfcontained-example.c` shows. When `NOTIFY_SOCKET` is unset every call is a no-op,
/// so the daemon behaves the same under systemd, in a terminal and in tests.
public final class SystemdNotifier: Sendable {
    private let socketPath: String?
    /// Half of `$WATCHDOG_USEC` when systemd asked for watchdog pings for this process.
    public let watchdogInterval: Duration?

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        let path = environment["NOTIFY_SOCKET"].flatMap { $0.isEmpty ? nil : $0 }
        socketPath = path
        if let usecText = environment["WATCHDOG_USEC"], let usec = UInt64(usecText), usec > 0 {
            let pidMatches = environment["WATCHDOG_PID"].map { $0 == String(getpid()) } ?? true
            watchdogInterval = pidMatches ? .microseconds(usec / 2) : nil
        } else {
            watchdogInterval = nil
        }
    }

    public var isActive: Bool { socketPath != nil }

    public func ready(status: String) { send("READY=1\nSTATUS=\(status)") }
    public func status(_ status: String) { send("STATUS=\(status)") }
    public func stopping(status: String) { send("STOPPING=1\nSTATUS=\(status)") }
    public func watchdog() { send("WATCHDOG=1") }

    /// `RELOADING=1` must carry `MONOTONIC_USEC` (CLOCK_MONOTONIC at the start of the reload) so
    /// that systemd can tell this reload from an older one; `READY=1` follows when it is done.
    public func reloading(status: String) {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        let usec = UInt64(ts.tv_sec) * 1_000_000 + UInt64(ts.tv_nsec) / 1_000
        send("RELOADING=1\nMONOTONIC_USEC=\(usec)\nSTATUS=\(status)")
    }

    /// Sends one datagram; returns false when there is no socket or the send failed.
    /// Failures are not fatal: systemd will notice a missing READY=1 by itself.
    @discardableResult
    public func send(_ state: String) -> Bool {
        guard let socketPath else { return false }
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var pathBytes = Array(socketPath.utf8)
        // An '@' prefix names an abstract socket: its first byte is NUL and the length is exact.
        let isAbstract = pathBytes.first == UInt8(ascii: "@")
        if isAbstract { pathBytes[0] = 0 }
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard pathBytes.count < capacity else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: pathBytes)
            if pathBytes.count < capacity { raw[pathBytes.count] = 0 }
        }
        let length = MemoryLayout<sa_family_t>.size + pathBytes.count + (isAbstract ? 0 : 1)
        let message = Array(state.utf8)
        let sent = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                message.withUnsafeBytes { bytes in
                    sendto(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL), sa, socklen_t(length))
                }
            }
        }
        return sent == message.count
    }
}
