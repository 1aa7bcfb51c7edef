// switchboard-bench: posts N messages to the daemon's ingest socket over K concurrent keep-alive
// connections and prints messages/s, latency from send to acknowledgement, and the daemon's peak
// RSS. A benchmark, not a test: `make bench` runs it against a release build.
import Foundation
import Glibc

struct Options {
    var socketPath = "var/run/ingest.sock"
    var tcpPort: UInt16? = nil
    var total = 100_000
    var connections = 16
    var daemonPID: Int32? = nil
    var path = "/v1/messages"
    var label = "ingest"
    /// Client threads, each serving its share of the connections with poll(2).
    var threads = 1
    var runID = String(UInt64(Date().timeIntervalSince1970 * 1000), radix: 36)
}

func value<T>(_ parsed: T?) -> T { if let parsed { return parsed }; usage() }
func usage() -> Never {
    print("""
    usage: switchboard-bench [--socket PATH | --tcp PORT] [--messages N] [--connections K] [--pid DAEMON_PID] [--label NAME] [--threads T]
    Posts N distinct messages (unique ids; requests made before the clock starts; T client threads, default 1, serve the K connections with poll) and prints: messages/s, p50/p99/max latency, status counts, peak RSS.
    """)
    exit(2)
}

var options = Options()
var args = CommandLine.arguments.dropFirst().makeIterator()
while let arg = args.next() {
    switch arg {
    case "--socket": options.socketPath = value(args.next())
    case "--tcp": options.tcpPort = value(UInt16(args.next() ?? ""))
    case "--messages", "-n": options.total = value(Int(args.next() ?? ""))
    case "--connections", "-c": options.connections = value(Int(args.next() ?? ""))
    case "--pid": options.daemonPID = value(Int32(args.next() ?? ""))
    case "--label": options.label = value(args.next())
    case "--path": options.path = value(args.next())
    case "--threads": options.threads = value(Int(args.next() ?? ""))
    default: usage()
    }
}

func connectSocket(_ options: Options) -> Int32 {
    if let port = options.tcpPort {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard rc == 0 else { perror("connect"); exit(1) }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        return fd
    }
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
    var addr = sockaddr_un()
    addr.sun_family = sa_family_t(AF_UNIX)
    let bytes = Array(options.socketPath.utf8)
    withUnsafeMutableBytes(of: &addr.sun_path) { raw in raw.copyBytes(from: bytes); raw[bytes.count] = 0 }
    let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
    guard rc == 0 else { perror("connect \(options.socketPath)"); exit(1) }
    return fd
}

func monotonicNanos() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

let senders = ["ana@example.com", "+4915112345678", "bob@example.org", "@carla@social.example", "visitor-77"]
let kinds = ["email", "phone", "email", "social", "chat"]
let channels = ["email", "sms", "email", "social", "chat"]
let texts = [
    "Hello, I was charged twice for my subscription this month, can you refund the second payment please?",
    "my router keeps dropping the connection every evening since the update, already restarted it twice",
    "I cannot log in to my account, the password reset email never arrives. Please help",
    "where is my order 55123? it was supposed to arrive on monday",
    "what are your opening hours on public holidays?",
]

/// The client's side of the benchmark, built to take as little CPU as it can from the daemon it
/// measures on the same machine: every request is made before the clock starts, and one thread
/// serves many connections with poll(2) instead of a blocked thread per connection (which cost a
/// wake-up and a context switch per message).
final class Worker: @unchecked Sendable {
    var latencies: [UInt32] = []   // microseconds
    var statuses: [Int: Int] = [:]
    private var connections: [Connection] = []

    /// One keep-alive connection: its requests, laid end to end, and the response being read.
    final class Connection {
        let fd: Int32
        var requests: [UInt8] = []
        var ends: [Int] = []
        var next = 0
        var startedAt: UInt64 = 0
        var buffer = [UInt8](repeating: 0, count: 65536)
        var have = 0
        init(fd: Int32) { self.fd = fd }
    }

    /// Connection `index` of all `options.connections` sends `count` distinct messages.
    func add(index: Int, count: Int, _ options: Options) {
        let connection = Connection(fd: connectSocket(options))
        connection.requests.reserveCapacity(count * 420)
        for i in 0..<count {
            let k = (index + i) % senders.count
            let body = "{\"id\":\"bench-\(options.runID)-\(index)-\(i)\",\"channel\":\"\(channels[k])\",\"from\":{\"kind\":\"\(kinds[k])\",\"value\":\"\(senders[k])\"},\"subject\":\"Benchmark message \(i)\",\"text\":\"\(texts[k])\"}"
            let request = "POST \(options.path) HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
            connection.requests.append(contentsOf: request.utf8)
            connection.ends.append(connection.requests.count)
        }
        connections.append(connection)
        latencies.reserveCapacity(latencies.count + count)
    }

    func run() {
        var fds = connections.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) }
        var active = 0
        for connection in connections where sendNext(connection) { active += 1 }
        while active > 0 {
            let ready = poll(&fds, nfds_t(fds.count), -1)
            if ready < 0 { if errno == EINTR { continue }; perror("poll"); exit(1) }
            for slot in fds.indices where fds[slot].revents != 0 {
                let connection = connections[slot]
                if readResponse(connection), !sendNext(connection) {
                    fds[slot].fd = -1   // done: poll ignores it
                    active -= 1
                }
            }
        }
        for connection in connections { close(connection.fd) }
    }

    /// Sends the connection's next request; false when it has sent them all.
    private func sendNext(_ c: Connection) -> Bool {
        guard c.next < c.ends.count else { return false }
        let from = c.next == 0 ? 0 : c.ends[c.next - 1]
        let to = c.ends[c.next]
        c.startedAt = monotonicNanos()
        var sent = from
        while sent < to {
            let n = c.requests.withUnsafeBytes { send(c.fd, $0.baseAddress! + sent, to - sent, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { perror("send"); exit(1) }
            sent += n
        }
        return true
    }

    /// Reads what the daemon sent; true once the whole response (headers, then Content-Length
    /// bytes of body) is in, which is then counted.
    private func readResponse(_ c: Connection) -> Bool {
        let n = c.buffer.withUnsafeMutableBytes { recv(c.fd, $0.baseAddress! + c.have, $0.count - c.have, Int32(MSG_DONTWAIT)) }
        if n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR) {
            print("connection closed by the daemon after \(c.next) messages"); exit(1)
        }
        if n < 0 { return false }
        c.have += n
        // Parsed from the bytes: the client shares the CPU with the daemon it measures.
        guard let headerEnd = findHeaderEnd(c.buffer, c.have) else { return false }
        let length = contentLength(c.buffer, headerEnd)
        guard c.have >= headerEnd + 4 + length else { return false }
        latencies.append(UInt32(min(UInt64(UInt32.max), (monotonicNanos() - c.startedAt) / 1000)))
        statuses[statusCode(c.buffer, headerEnd), default: 0] += 1
        c.have = 0
        c.next += 1
        return true
    }

    /// "HTTP/1.1 202 Accepted": the three digits after the first space.
    func statusCode(_ b: [UInt8], _ headerEnd: Int) -> Int {
        guard let space = b[0..<headerEnd].firstIndex(of: 0x20), space + 3 < headerEnd else { return 0 }
        var code = 0
        for i in space + 1...space + 3 {
            guard b[i] >= 0x30, b[i] <= 0x39 else { return 0 }
            code = code * 10 + Int(b[i] - 0x30)
        }
        return code
    }

    /// The Content-Length header's value (0 when there is none), its name matched in any case.
    func contentLength(_ b: [UInt8], _ headerEnd: Int) -> Int {
        let name = Array("\r\ncontent-length:".utf8)
        var i = 0
        outer: while i + name.count <= headerEnd + 2 {
            for k in 0..<name.count {
                let c = b[i + k]
                let lower = c >= 0x41 && c <= 0x5A ? c | 0x20 : c
                if lower != name[k] { i += 1; continue outer }
            }
            var j = i + name.count
            while j < headerEnd, b[j] == 0x20 || b[j] == 0x09 { j += 1 }
            var value = 0
            while j < headerEnd, b[j] >= 0x30, b[j] <= 0x39 { value = value * 10 + Int(b[j] - 0x30); j += 1 }
            return value
        }
        return 0
    }

    func findHeaderEnd(_ b: [UInt8], _ n: Int) -> Int? {
        guard n >= 4 else { return nil }
        for i in 0...(n - 4) where b[i] == 13 && b[i + 1] == 10 && b[i + 2] == 13 && b[i + 3] == 10 { return i }
        return nil
    }
}

func peakRSS(_ pid: Int32?) -> String {
    guard let pid, let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return "n/a" }
    for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        let kb = Double(line.split(separator: " ", omittingEmptySubsequences: true)[1]) ?? 0
        return String(format: "%.1f MB", kb / 1024)
    }
    return "n/a"
}

let perConnection = options.total / options.connections
let workers = (0..<max(1, min(options.threads, options.connections))).map { _ in Worker() }
for index in 0..<options.connections { workers[index % workers.count].add(index: index, count: perConnection, options) }
let group = DispatchGroup()
let begin = monotonicNanos()
for worker in workers {
    group.enter()
    let thread = Thread { worker.run(); group.leave() }
    thread.stackSize = 1 << 20
    thread.start()
}
group.wait()
let seconds = Double(monotonicNanos() - begin) / 1e9
let all = workers.flatMap { $0.latencies }.sorted()
var statuses: [Int: Int] = [:]
for w in workers { for (k, v) in w.statuses { statuses[k, default: 0] += v } }
func pct(_ p: Double) -> Double { all.isEmpty ? 0 : Double(all[min(all.count - 1, Int(Double(all.count) * p))]) / 1000 }
let rate = Double(all.count) / seconds
print(String(format: "%@: %d messages on %d connections in %.2f s: %.0f messages/s; latency p50 %.2f ms, p99 %.2f ms, max %.2f ms; statuses %@; daemon peak RSS %@",
             options.label, all.count, options.connections, seconds, rate, pct(0.50), pct(0.99), pct(1.0),
             statuses.sorted { $0.key < $1.key }.map { "\($0.key)×\($0.value)" }.joined(separator: " "), peakRSS(options.daemonPID)))
