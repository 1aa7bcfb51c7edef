import Dispatch
import Foundation
import Glibc
import Synchronization
import SwitchboardCore
import SwitchboardNet
import SwitchboardStore
import SwitchboardSystem

/// The `imap` adapter: one mailbox, fetched on a dedicated thread (never the Swift concurrency
/// pool: libcurl and poll(2) block) by `IMAPMailboxPoller`.
///
/// `start()` checks what can be checked without the server (the password reference resolves,
/// the token file is readable) and starts the thread; a server that is down or refuses the login
/// is retried with backoff and shown in status, it does not fail the start. `stop()` wakes the
/// thread wherever it waits (a pipe every wait polls), lets it finish the batch it is committing,
/// and returns when it has exited.
public final class IMAPAdapter: ChannelAdapter {
    public let id: String
    let settings: IMAPAdapterSettings
    let context: AdapterContext
    let status: IMAPAdapterStatus
    private let lifecycle = Mutex<Lifecycle>(Lifecycle())

    struct Lifecycle {
        var wakeRead: Int32 = -1
        var wakeWrite: Int32 = -1
        var finished: DispatchSemaphore?
    }

    public init(settings: IMAPAdapterSettings, context: AdapterContext) {
        self.id = context.id
        self.settings = settings
        self.context = context
        self.status = IMAPAdapterStatus(mailbox: settings.mailbox, postAction: settings.postAction.description)
    }

    public func start() throws {
        switch settings.authentication {
        case .password(let reference, _):
            do {
                _ = try reference.resolve(environment: context.environment)
            } catch {
                throw IMAPAdapterStartError(adapterID: id, reason: "password: \(error.description)")
            }
        case .xoauth2(let file):
            guard SecretReference.readFile(file) != nil else {
                throw IMAPAdapterStartError(adapterID: id, reason: "xoauth2_token_file \(file) cannot be read")
            }
        }
        for warning in settings.securityWarnings {
            context.logger.warning(warning, ["adapter": id, "server": settings.serverURL])
        }
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else {
            throw IMAPAdapterStartError(adapterID: id, reason: "pipe failed: \(String(cString: strerror(errno)))")
        }
        for fd in fds {
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        }
        let finished = DispatchSemaphore(value: 0)
        lifecycle.withLock {
            $0 = Lifecycle(wakeRead: fds[0], wakeWrite: fds[1], finished: finished)
        }
        // The poller belongs to its thread from here on; nothing else touches it.
        let handoff = PollerHandoff(poller: IMAPMailboxPoller(settings: settings, context: context, status: status, wake: fds[0]))
        let thread = Thread {
            handoff.poller.run()
            finished.signal()
        }
        thread.name = "imap-\(id)"
        thread.stackSize = 4 << 20
        thread.start()
    }

    public func stop() {
        let current = lifecycle.withLock { state -> Lifecycle in
            let copy = state
            state = Lifecycle()
            return copy
        }
        guard let finished = current.finished else { return }
        var byte: UInt8 = 1
        _ = write(current.wakeWrite, &byte, 1)  // stays readable: every later wait returns at once
        finished.wait()
        close(current.wakeRead)
        close(current.wakeWrite)
        status.update { $0.phase = .stopped; $0.connected = false }
    }

    public var statusDetail: String { status.detail }

    /// Replies leave through the `smtp` section's server, when there is one.
    public var outboundSender: (any OutboundSender)? {
        settings.smtp.map { SMTPOutboundSender(sender: SMTPSender(settings: $0, environment: context.environment)) }
    }

    public func metrics() -> [MetricFamily] { status.metrics(adapterID: id) }
}

/// Moves the (non-Sendable) poller onto its thread: created here, used only there.
private struct PollerHandoff: @unchecked Sendable {
    let poller: IMAPMailboxPoller
}
