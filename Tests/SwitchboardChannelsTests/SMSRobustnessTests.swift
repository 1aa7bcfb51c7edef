import Foundation
import Testing
import SwitchboardCore
import SwitchboardNet
@testable import SwitchboardChannels

/// Seeded random and mutated inputs through every SMS webhook parser and the header parsers they
/// rely on: nothing may crash or hang, whatever arrives. A stand-in for a libFuzzer target until
/// the package has one (it needs its own executable target); the seed makes a failure reproducible.
@Suite struct SMSRobustnessTests {
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let seeds: [[UInt8]] = [
        Array("MessageSid=SM1&From=%2B14155550123&To=%2B14155550100&Body=Hi+there&NumMedia=1&MediaUrl0=https%3A%2F%2Fx&MediaContentType0=image%2Fjpeg".utf8),
        Array("msisdn=447700900123&to=447700900000&messageId=0A1&text=a%26b&type=text&concat=true&concat-ref=9&concat-total=3&concat-part=2&timestamp=1795338900&sig=ab".utf8),
        Array(#"{"id":"gw-1","from":"+4915112345678","text":"Hallo","media":[{"url":"https://x","content_type":"image/jpeg"}],"sent_at":"2026-11-22T09:15:00Z"}"#.utf8),
        Array(#"for=192.0.2.60;proto=http;by=203.0.113.43, for="[2001:db8:cafe::17]:4711";host="a.example""#.utf8),
        Array("+44 (0)20 7946 0958".utf8),
        Array("https://user@[::1]:8443/sms/twilio?bodySHA256=ab#x".utf8),
    ]

    static let interesting: [UInt8] = Array("%&=+:;,\"[]()@?/#\\ \t\r\n0{}".utf8) + [0x00, 0xFF, 0xC3, 0xA9, 0xE2, 0x82]

    func mutate(_ input: [UInt8], _ rng: inout SplitMix) -> [UInt8] {
        var bytes = input
        for _ in 0..<Int.random(in: 1...8, using: &rng) {
            switch Int.random(in: 0..<5, using: &rng) {
            case 0 where !bytes.isEmpty: bytes[Int.random(in: 0..<bytes.count, using: &rng)] = Self.interesting.randomElement(using: &rng)!
            case 1: bytes.insert(Self.interesting.randomElement(using: &rng)!, at: Int.random(in: 0...bytes.count, using: &rng))
            case 2 where !bytes.isEmpty: bytes.remove(at: Int.random(in: 0..<bytes.count, using: &rng))
            case 3 where !bytes.isEmpty: bytes = Array(bytes.prefix(Int.random(in: 0..<bytes.count, using: &rng)))
            default: bytes.append(UInt8.random(in: 0...255, using: &rng))
            }
        }
        return bytes
    }

    @Test func parsersSurviveMutatedInput() {
        var rng = SplitMix(state: 0x5EED_5EED)
        let twilio = TwilioWebhookParser(adapterID: "tw", defaultRegion: "US")
        let generic = SMSWebhookParser(adapterID: "gw", defaultRegion: "DE")
        let validator = TwilioSignature(authToken: Array("t".utf8))
        let vonage = VonageSignature(secret: Array("s".utf8), method: .sha256)
        for round in 0..<4000 {
            let input = mutate(Self.seeds[round % Self.seeds.count], &rng)
            let text = String(decoding: input, as: UTF8.self)
            let form = FormParameters(encoded: input)
            _ = twilio.parse(form, raw: input)
            _ = validator.validate(url: text, payload: .form(form), signature: text)
            _ = validator.validate(url: text, payload: .body(input), signature: "x")
            _ = TwilioSignature.urlVariants(text)
            _ = vonage.validate(form, now: Date())
            if case .success(let inbound) = VonageInbound.parse(form), inbound.concat != nil {
                var assembler = VonageConcatAssembler(maxGroups: 4)
                let (result, _) = assembler.add(inbound, raw: input, now: Date())
                if case .pending(let group) = result { _ = VonageConcatAssembler.decode(VonageConcatAssembler.encode(group)) }
            }
            _ = VonageConcatAssembler.decode(text)
            _ = generic.parse(input)
            _ = PhoneNumber.e164(text, defaultRegion: "GB")
            _ = PhoneNumber.senderIdentity(text, defaultRegion: nil)
            _ = SMSKeyword.detect(text)
            _ = SMSSegments(text)
            let request = HTTPRequest(method: "POST", target: "/sms", headers: ["Forwarded": text, "X-Forwarded-For": text, "Host": "h"],
                                      peer: .tcp(address: "127.0.0.1", port: 1))
            _ = request.forwardedInfo(trusting: TrustedProxies(["127.0.0.1"]))
            _ = IPAddressRange(text)
        }
    }
}
