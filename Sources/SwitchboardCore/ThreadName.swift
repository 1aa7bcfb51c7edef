import Foundation

/// Names the calling thread for the system (`top -H`, `/proc/PID/task/*/comm`, perf): on Linux
/// Foundation's `Thread.name` stays inside Foundation. At most 15 bytes are kept.
public enum ThreadName {
    public static func setCurrent(_ name: String) {
        #if os(Linux)
        try? String(name.utf8.prefix(15))?.write(toFile: "/proc/thread-self/comm", atomically: false, encoding: .utf8)
        #endif
    }
}
