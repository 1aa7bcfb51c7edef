/// What the forwarding headers of a request say, believed only when the TCP peer is a trusted
/// proxy: the scheme and host the client used, and the client's address.
///
/// Sources, in order: RFC 7239 `Forwarded` (`for=`, `proto=`, `host=`), then the de-facto
/// `X-Forwarded-For`, `X-Forwarded-Proto`, `X-Forwarded-Host`, `X-Forwarded-Port`.
///
/// - The client address walks the `for` chain from the right (the nearest hop) and takes the
///   first address that is not itself a trusted proxy: a client cannot pose as someone else by
///   sending its own `X-Forwarded-For`, because everything left of the proxies' own entries is
///   ignored once an untrusted hop is found.
/// - Scheme and host come from the nearest proxy's entry (the rightmost value), since only that
///   proxy is known to be ours. A chain of proxies (CDN → nginx) should set `public_url` instead.
public struct ForwardedInfo: Sendable, Equatable {
    /// `http` / `https` as the client used it, when a trusted proxy says.
    public var scheme: String?
    /// `host` or `host:port` as the client used it, when a trusted proxy says.
    public var host: String?
    /// The client's address: the TCP peer, or the first untrusted hop of a trusted proxy's chain.
    public var clientAddress: String
    /// Whether the TCP peer is a trusted proxy (so the other fields came from headers).
    public var viaTrustedProxy: Bool

    public init(scheme: String?, host: String?, clientAddress: String, viaTrustedProxy: Bool) {
        self.scheme = scheme
        self.host = host
        self.clientAddress = clientAddress
        self.viaTrustedProxy = viaTrustedProxy
    }
}

extension HTTPRequest {
    /// The address of the TCP peer ("-" for Unix sockets and hand-built requests).
    public var peerAddress: String {
        switch peer {
        case .tcp(let address, _): address
        case .unix(let pid, _, _): "unix:\(pid)"
        case .none: "-"
        }
    }

    /// Forwarding information, honoured only when the TCP peer is in `proxies`.
    public func forwardedInfo(trusting proxies: TrustedProxies) -> ForwardedInfo {
        let peerAddress = self.peerAddress
        guard proxies.contains(peer) else {
            return ForwardedInfo(scheme: nil, host: nil, clientAddress: peerAddress, viaTrustedProxy: false)
        }
        var chain: [String] = []
        var scheme: String?
        var host: String?
        let forwarded = headers.values(for: "Forwarded")
        if !forwarded.isEmpty {
            let elements = ForwardedHeaderParser.elements(forwarded.joined(separator: ","))
            for element in elements {
                if let value = element["for"] { chain.append(ForwardedHeaderParser.address(fromNode: value)) }
            }
            if let nearest = elements.last {
                scheme = nearest["proto"]
                host = nearest["host"]
            }
        } else {
            for value in headers.values(for: "X-Forwarded-For") {
                for part in value.split(separator: ",") {
                    let trimmed = part.trimmingOWS()
                    if !trimmed.isEmpty { chain.append(ForwardedHeaderParser.address(fromNode: String(trimmed))) }
                }
            }
            scheme = Self.lastListValue(headers.values(for: "X-Forwarded-Proto"))
            host = Self.lastListValue(headers.values(for: "X-Forwarded-Host"))
            if let portText = Self.lastListValue(headers.values(for: "X-Forwarded-Port")), let port = Int(portText),
               let bare = host ?? headers["Host"], !Self.hasPort(bare) {
                let effectiveScheme = scheme?.lowercased() ?? "http"
                let isDefault = (effectiveScheme == "https" && port == 443) || (effectiveScheme == "http" && port == 80)
                host = isDefault ? bare : "\(bare):\(port)"
            }
        }
        var client = peerAddress
        for hop in chain.reversed() {
            client = hop
            if !proxies.contains(hop) { break }
        }
        if let s = scheme?.lowercased(), s == "http" || s == "https" { scheme = s } else { scheme = nil }
        if let h = host, h.isEmpty || h.contains(where: { $0 == "/" || $0 == " " || $0 == "@" }) { host = nil }
        return ForwardedInfo(scheme: scheme, host: host, clientAddress: client, viaTrustedProxy: true)
    }

    /// The absolute URL the client called, for checking signatures computed over it:
    /// `publicBaseURL` + target when the listener's public URL is configured (it may carry a
    /// path prefix that the proxy strips), else scheme and host from a trusted proxy's headers,
    /// else `http://` + the Host header. The target keeps its query exactly as sent.
    public func externalURL(trusting proxies: TrustedProxies, publicBaseURL: String? = nil) -> String {
        if let base = publicBaseURL, !base.isEmpty {
            var trimmed = Substring(base)
            while trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
            return String(trimmed) + target
        }
        let info = forwardedInfo(trusting: proxies)
        let scheme = info.scheme ?? "http"
        let host = info.host ?? headers["Host"] ?? "localhost"
        return scheme + "://" + host + target
    }

    private static func lastListValue(_ values: [String]) -> String? {
        guard let last = values.last else { return nil }
        let item = last.split(separator: ",").last.map { String($0.trimmingOWS()) }
        return item?.isEmpty == false ? item : nil
    }

    private static func hasPort(_ host: String) -> Bool {
        if let close = host.lastIndex(of: "]") { return host[close...].contains(":") }
        return host.contains(":")
    }
}

/// RFC 7239 `Forwarded` parsing: elements separated by `,`, pairs by `;`, values tokens or
/// quoted strings. Lenient: a malformed pair is skipped, never fatal.
enum ForwardedHeaderParser {
    static func elements(_ text: String) -> [[String: String]] {
        var elements: [[String: String]] = []
        var current: [String: String] = [:]
        var name = ""
        var value = ""
        var inName = true
        var inQuotes = false
        var escaped = false
        func finishPair() {
            let key = name.trimmed(of: " \t").lowercased()
            if !key.isEmpty { current[key] = inName ? "" : value.trimmed(of: " \t") }
            name = ""
            value = ""
            inName = true
        }
        for c in text {
            if inQuotes {
                if escaped { value.append(c); escaped = false }
                else if c == "\\" { escaped = true }
                else if c == "\"" { inQuotes = false }
                else { value.append(c) }
                continue
            }
            switch c {
            case "\"" where !inName: inQuotes = true
            case "=" where inName: inName = false
            case ";": finishPair()
            case ",":
                finishPair()
                if !current.isEmpty { elements.append(current) }
                current = [:]
            default:
                if inName { name.append(c) } else { value.append(c) }
            }
        }
        finishPair()
        if !current.isEmpty { elements.append(current) }
        return elements
    }

    /// The address in a node (`192.0.2.60`, `192.0.2.60:4711`, `[2001:db8::1]:4711`, `2001:db8::1`).
    static func address(fromNode node: String) -> String {
        var text = Substring(node)
        if text.hasPrefix("[") {
            if let close = text.firstIndex(of: "]") { return String(text[text.index(after: text.startIndex)..<close]) }
            text = text.dropFirst()
        }
        let colons = text.filter { $0 == ":" }.count
        if colons == 1, let colon = text.firstIndex(of: ":") { return String(text[..<colon]) }
        return String(text)
    }
}

extension String {
    fileprivate func trimmed(of set: String) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s.removeFirst() }
        while let l = s.last, set.contains(l) { s.removeLast() }
        return String(s)
    }
}
