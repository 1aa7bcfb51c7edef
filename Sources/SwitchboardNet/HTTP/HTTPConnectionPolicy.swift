/// Decides, per client, whether a new connection is served. The server calls it on the event
/// loop for every accepted connection, so it must be quick (a dictionary look-up, a token
/// bucket); it is where per-address rate limits plug in.
public protocol HTTPConnectionPolicy: Sendable {
    /// Return false to close the connection at once (counted as refused by policy).
    func shouldAccept(_ peer: HTTPPeer) -> Bool
    /// Called when a connection this policy accepted has closed.
    func connectionClosed(_ peer: HTTPPeer)
}

extension HTTPConnectionPolicy {
    public func connectionClosed(_ peer: HTTPPeer) {}
}

/// The default: every peer is served (the connection limit still applies).
public struct AcceptAllConnections: HTTPConnectionPolicy {
    public init() {}
    public func shouldAccept(_ peer: HTTPPeer) -> Bool { true }
}

/// A policy from a closure, for tests and simple rules.
public struct HTTPConnectionFilter: HTTPConnectionPolicy {
    private let accept: @Sendable (HTTPPeer) -> Bool
    public init(_ accept: @escaping @Sendable (HTTPPeer) -> Bool) { self.accept = accept }
    public func shouldAccept(_ peer: HTTPPeer) -> Bool { accept(peer) }
}
