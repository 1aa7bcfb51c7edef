/// Who is on the other end of a connection: the address for TCP (the key a rate limiter uses),
/// the kernel-verified credentials for a Unix socket (SO_PEERCRED), so that handlers on the local
/// socket can log and authorize by uid.
public enum HTTPPeer: Sendable, Hashable, CustomStringConvertible {
    /// `address` is the numeric IP without brackets ("127.0.0.1", "::1"); IPv4-mapped IPv6
    /// addresses are shown as IPv4.
    case tcp(address: String, port: Int)
    case unix(pid: Int32, uid: UInt32, gid: UInt32)
    /// Requests built by hand or by the parser alone.
    case none

    public var description: String {
        switch self {
        case .tcp(let address, let port): address.contains(":") ? "[\(address)]:\(port)" : "\(address):\(port)"
        case .unix(let pid, let uid, _): "unix(pid=\(pid),uid=\(uid))"
        case .none: "-"
        }
    }
}
