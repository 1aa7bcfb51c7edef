import SwitchboardNet

/// The byte pipe an `IMAPSession` talks over: a logged-in libcurl connection in the daemon, a
/// scripted server in tests.
public protocol IMAPTransport: AnyObject {
    func send(_ bytes: [UInt8], timeout: Duration) throws(IMAPError)
    /// Waits up to `timeout` for bytes and appends them to `parser`. Answers false when nothing
    /// arrived in time; throws when the connection failed or the owner is stopping.
    func receive(timeout: Duration, into parser: inout IMAPResponseParser) throws(IMAPError) -> Bool
}

/// `IMAPTransport` over a `CurlConnection` (CONNECT_ONLY), interruptible through `wake`.
public final class IMAPCurlTransport: IMAPTransport {
    public let connection: CurlConnection
    let wake: Int32?

    public init(connection: CurlConnection, wake: Int32?) {
        self.connection = connection
        self.wake = wake
    }

    public func send(_ bytes: [UInt8], timeout: Duration) throws(IMAPError) {
        do {
            try connection.send(bytes, timeout: timeout, wake: wake)
        } catch {
            throw IMAPError(error)
        }
    }

    public func receive(timeout: Duration, into parser: inout IMAPResponseParser) throws(IMAPError) -> Bool {
        do {
            try connection.receive(timeout: timeout, wake: wake) { parser.append($0) }
            return true
        } catch let error as CurlConnection.IOError {
            if case .timedOut = error { return false }
            throw IMAPError(error)
        } catch {
            throw .connection("\(error)")
        }
    }
}
