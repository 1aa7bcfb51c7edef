import Foundation
import Synchronization
import Testing
import SwitchboardNet

/// Trusted proxies, forwarding headers, the public URL used for signatures, and per-client limits
/// (SwitchboardNet pieces the SMS webhooks rely on).
@Suite struct SMSListenerHardeningTests {
    func request(peer: String, headers: [(String, String)], target: String = "/sms/twilio?x=1") -> HTTPRequest {
        HTTPRequest(method: "POST", target: target, headers: HTTPHeaders(headers), peer: .tcp(address: peer, port: 40000))
    }

    @Test func ranges() {
        let proxies = TrustedProxies(["127.0.0.1", "10.0.0.0/8", "fd00::/8", "nonsense", "192.168.1.0/33"])
        #expect(proxies.invalid == ["nonsense", "192.168.1.0/33"])
        #expect(proxies.contains("127.0.0.1"))
        #expect(!proxies.contains("127.0.0.2"))
        #expect(proxies.contains("10.200.3.4"))
        #expect(proxies.contains("::ffff:10.1.2.3"))
        #expect(!proxies.contains("11.0.0.1"))
        #expect(proxies.contains("fd12:3456::1"))
        #expect(!proxies.contains("fe80::1"))
        #expect(!proxies.contains("not an address"))
        #expect(IPAddressRange("0.0.0.0/0")!.contains("203.0.113.9"))
        #expect(IPAddressRange("::/0")!.contains("2001:db8::1"))
    }

    @Test func headersIgnoredFromUntrustedPeers() {
        let r = request(peer: "203.0.113.9", headers: [("Host", "internal:8080"), ("X-Forwarded-Proto", "https"),
                                                        ("X-Forwarded-Host", "evil.example"), ("X-Forwarded-For", "1.2.3.4")])
        let info = r.forwardedInfo(trusting: TrustedProxies(["127.0.0.1"]))
        #expect(info == ForwardedInfo(scheme: nil, host: nil, clientAddress: "203.0.113.9", viaTrustedProxy: false))
        #expect(r.externalURL(trusting: TrustedProxies(["127.0.0.1"])) == "http://internal:8080/sms/twilio?x=1")
    }

    @Test func xForwardedFromATrustedProxy() {
        let r = request(peer: "127.0.0.1", headers: [("Host", "127.0.0.1:8080"), ("X-Forwarded-Proto", "https"),
                                                      ("X-Forwarded-Host", "support.example.com"),
                                                      ("X-Forwarded-For", "6.6.6.6, 198.51.100.7")])
        let info = r.forwardedInfo(trusting: TrustedProxies(["127.0.0.1"]))
        #expect(info.scheme == "https")
        #expect(info.host == "support.example.com")
        #expect(info.clientAddress == "198.51.100.7", "the rightmost untrusted hop; the client cannot pose as 6.6.6.6")
        #expect(r.externalURL(trusting: TrustedProxies(["127.0.0.1"])) == "https://support.example.com/sms/twilio?x=1")
    }

    @Test func forwardedPortAndChains() {
        let r = request(peer: "10.0.0.2", headers: [("Host", "x"), ("X-Forwarded-Proto", "https"), ("X-Forwarded-Host", "sb.example"),
                                                     ("X-Forwarded-Port", "8443"), ("X-Forwarded-For", "198.51.100.7, 10.0.0.1")])
        let info = r.forwardedInfo(trusting: TrustedProxies(["10.0.0.0/8"]))
        #expect(info.host == "sb.example:8443")
        #expect(info.clientAddress == "198.51.100.7")
        let defaultPort = request(peer: "10.0.0.2", headers: [("X-Forwarded-Proto", "https"), ("X-Forwarded-Host", "sb.example"), ("X-Forwarded-Port", "443")])
        #expect(defaultPort.forwardedInfo(trusting: TrustedProxies(["10.0.0.0/8"])).host == "sb.example")
    }

    @Test func rfc7239Forwarded() {
        let r = request(peer: "127.0.0.1", headers: [
            ("Forwarded", #"for=198.51.100.7;proto=http, for="[2001:db8:cafe::17]:4711";proto=https;host="support.example.com""#),
            ("X-Forwarded-Proto", "http"),
        ])
        let info = r.forwardedInfo(trusting: TrustedProxies(["127.0.0.1"]))
        #expect(info.scheme == "https", "Forwarded wins over X-Forwarded-*, nearest element")
        #expect(info.host == "support.example.com")
        #expect(info.clientAddress == "2001:db8:cafe::17")
        let bad = request(peer: "127.0.0.1", headers: [("Forwarded", #"for=;proto=gopher;host="a b""#), ("Host", "h")])
        let badInfo = bad.forwardedInfo(trusting: TrustedProxies(["127.0.0.1"]))
        #expect(badInfo.scheme == nil)
        #expect(badInfo.host == nil)
    }

    @Test func publicBaseURLWins() {
        let r = request(peer: "127.0.0.1", headers: [("X-Forwarded-Proto", "http"), ("Host", "h")])
        #expect(r.externalURL(trusting: TrustedProxies(["127.0.0.1"]), publicBaseURL: "https://support.example.com/switchboard/")
                == "https://support.example.com/switchboard/sms/twilio?x=1")
    }

    @Test func tokenBucket() {
        let clock = Atomic<UInt64>(1_000_000_000)
        let limiter = ClientRateLimiter(rate: 2, burst: 3, clock: { clock.load(ordering: .relaxed) })
        #expect(limiter.take("a") == .allowed)
        #expect(limiter.take("a") == .allowed)
        #expect(limiter.take("a") == .allowed)
        #expect(limiter.take("a") == .limited(retryAfterSeconds: 1))
        #expect(limiter.take("b") == .allowed, "per client")
        clock.add(500_000_000, ordering: .relaxed)  // +0.5 s = one token at 2/s
        #expect(limiter.take("a") == .allowed)
        #expect(limiter.take("a") == .limited(retryAfterSeconds: 1))
        let slow = ClientRateLimiter(rate: 0.1, burst: 1, clock: { clock.load(ordering: .relaxed) })
        #expect(slow.take("x") == .allowed)
        #expect(slow.take("x") == .limited(retryAfterSeconds: 10))
    }

    @Test func limiterMemoryIsBounded() {
        let clock = Atomic<UInt64>(0)
        let limiter = ClientRateLimiter(rate: 1, burst: 1, maxClients: 100, clock: { clock.load(ordering: .relaxed) })
        for i in 0..<1000 {
            clock.add(1_000, ordering: .relaxed)
            _ = limiter.take("10.0.\(i / 256).\(i % 256)")
        }
        #expect(limiter.trackedClients <= 100)
    }

    @Test func connectionPolicy() {
        let policy = RateLimitPolicy(maxConnectionsPerClient: 2, exempt: TrustedProxies(["127.0.0.1"]))
        let a = HTTPPeer.tcp(address: "198.51.100.7", port: 1)
        #expect(policy.shouldAccept(a))
        #expect(policy.shouldAccept(a))
        #expect(!policy.shouldAccept(a))
        #expect(policy.shouldAccept(.tcp(address: "198.51.100.8", port: 1)))
        policy.connectionClosed(a)
        #expect(policy.shouldAccept(a))
        for _ in 0..<10 { #expect(policy.shouldAccept(.tcp(address: "127.0.0.1", port: 1)), "the proxy is exempt") }
        #expect(policy.refusedCount == 1)
        #expect(policy.shouldAccept(.unix(pid: 1, uid: 0, gid: 0)))
    }

    @Test func connectionRate() {
        let clock = Atomic<UInt64>(0)
        let policy = RateLimitPolicy(maxConnectionsPerClient: 100, connectionRate: 1, connectionBurst: 2, clock: { clock.load(ordering: .relaxed) })
        let a = HTTPPeer.tcp(address: "198.51.100.7", port: 1)
        #expect(policy.shouldAccept(a))
        #expect(policy.shouldAccept(a))
        #expect(!policy.shouldAccept(a))
    }
}
