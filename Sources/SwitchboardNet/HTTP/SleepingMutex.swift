#if canImport(Glibc)
import Glibc
#endif

/// A lock around a value that puts a waiting thread to sleep at once (a plain pthread mutex)
/// instead of spinning first as `Synchronization.Mutex` does. For the event loop's mailbox, which
/// the store's writer fills with one answer after another while the loop empties it: with two
/// cores shared by the loop, the writer and the clients, the spinning cost more than the sleeps.
/// `@unchecked Sendable` because `value` is only touched with the mutex held.
final class SleepingMutex<Value>: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private var value: Value

    init(_ value: Value) {
        self.value = value
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}
