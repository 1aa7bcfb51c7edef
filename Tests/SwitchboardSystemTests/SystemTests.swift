import Foundation
import Glibc
import Testing
@testable import SwitchboardSystem

/// A datagram socket standing in for systemd's notify socket.
final class NotifySocket {
    let path: String
    let fd: Int32

    init() throws {
        path = NSTemporaryDirectory() + "sb-notify-\(UUID().uuidString.prefix(8)).sock"
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in raw.copyBytes(from: bytes); raw[bytes.count] = 0 }
        let rc = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
        try #require(rc == 0)
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    func receive() -> String? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        return n > 0 ? String(decoding: buffer[0..<n], as: UTF8.self) : nil
    }

    deinit {
        close(fd)
        unlink(path)
    }
}

@Suite struct SystemdNotifierTests {
    @Test func sendsStatesToTheNotifySocket() throws {
        let socket = try NotifySocket()
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": socket.path])
        #expect(notifier.isActive)
        notifier.ready(status: "serving 1 adapter")
        #expect(socket.receive() == "READY=1\nSTATUS=serving 1 adapter")
        notifier.reloading(status: "reloading")
        let reloading = try #require(socket.receive())
        #expect(reloading.hasPrefix("RELOADING=1\nMONOTONIC_USEC="))
        let usec = reloading.split(separator: "\n")[1].split(separator: "=")[1]
        #expect(UInt64(usec).map { $0 > 0 } == true)
        notifier.stopping(status: "bye")
        #expect(socket.receive() == "STOPPING=1\nSTATUS=bye")
        notifier.watchdog()
        #expect(socket.receive() == "WATCHDOG=1")
    }

    @Test func isSilentWithoutNotifySocket() {
        let notifier = SystemdNotifier(environment: [:])
        #expect(!notifier.isActive)
        #expect(!notifier.send("READY=1"))
        #expect(notifier.watchdogInterval == nil)
    }

    @Test func watchdogIntervalIsHalfOfWatchdogUsecForThisProcess() {
        let mine = SystemdNotifier(environment: ["WATCHDOG_USEC": "200000", "WATCHDOG_PID": String(getpid())])
        #expect(mine.watchdogInterval == .microseconds(100_000))
        let other = SystemdNotifier(environment: ["WATCHDOG_USEC": "200000", "WATCHDOG_PID": "1"])
        #expect(other.watchdogInterval == nil)
    }
}

@Suite struct MetricsTests {
    @Test func rendersPrometheusTextAndMergesFamilies() {
        let registry = MetricsRegistry()
        registry.register("a") { [.single("sb_requests_total", "Requests.", .counter, 3, labels: [("listener", "lo\"cal")])] }
        registry.register("b") { [.single("sb_requests_total", "Requests.", .counter, 4.5, labels: [("listener", "public")])] }
        let text = registry.render()
        #expect(text == """
        # HELP sb_requests_total Requests.
        # TYPE sb_requests_total counter
        sb_requests_total{listener="lo\\"cal"} 3
        sb_requests_total{listener="public"} 4.5

        """)
        registry.unregister("a")
        #expect(!registry.render().contains("lo\\\"cal"))
    }

    @Test func rendersAHistogramWithCumulativeBuckets() {
        let registry = MetricsRegistry()
        registry.register("h") {
            [.histogram("sb_wait_seconds", "Waits.", bounds: [0.001, 0.5], counts: [2, 0, 3], sum: 7.25, labels: [("listener", "web")])]
        }
        #expect(registry.render() == """
        # HELP sb_wait_seconds Waits.
        # TYPE sb_wait_seconds histogram
        sb_wait_seconds_bucket{listener="web",le="0.001"} 2
        sb_wait_seconds_bucket{listener="web",le="0.5"} 2
        sb_wait_seconds_bucket{listener="web",le="+Inf"} 5
        sb_wait_seconds_sum{listener="web"} 7.25
        sb_wait_seconds_count{listener="web"} 5

        """)
    }
}

@Suite struct StderrLogHandlerTests {
    @Test func quotesValuesThatNeedIt() {
        #expect(StderrLogHandler.quoted("plain") == "plain")
        #expect(StderrLogHandler.quoted("two words") == "\"two words\"")
        #expect(StderrLogHandler.quoted("a\"b\nc") == "\"a\\\"b\\nc\"")
        #expect(StderrLogHandler.quoted("") == "\"\"")
        #expect(StderrLogHandler.singleLine("line one\nline two") == "line one line two")
    }

    @Test func journalModeUsesPriorityPrefix() {
        let handler = StderrLogHandler(minimumLevel: .warning, environment: ["JOURNAL_STREAM": "8:1234"])
        #expect(handler.minimumLevel == .warning)
        handler.setMinimumLevel(.debug)
        #expect(handler.minimumLevel == .debug)
    }
}
