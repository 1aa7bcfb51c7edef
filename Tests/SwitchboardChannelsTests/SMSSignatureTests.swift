import Foundation
import Testing
@testable import SwitchboardChannels

@Suite struct SMSCryptoTests {
    @Test func hmacMatchesPublishedVectors() {
        // RFC 2202 test case 2 (MD5, SHA-1) and RFC 4231 test case 2 (SHA-256, SHA-512).
        let key = Array("Jefe".utf8)
        let data = Array("what do ya want for nothing?".utf8)
        #expect(DigestText.hex(HMAC.authenticationCode(.md5, key: key, message: data)) == "750c783e6ab0b503eaa86e310a5db738")
        #expect(DigestText.hex(HMAC.authenticationCode(.sha1, key: key, message: data)) == "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79")
        #expect(DigestText.hex(HMAC.authenticationCode(.sha256, key: key, message: data))
                == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        #expect(DigestText.hex(HMAC.authenticationCode(.sha512, key: key, message: data))
                == "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737")
    }

    @Test func hmacWithEmptyKeyAndMessage() {
        #expect(DigestText.hex(HMAC.authenticationCode(.sha256, key: [], message: []))
                == "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad")
    }

    @Test func digests() {
        #expect(DigestText.hex(HMAC.digest(.sha256, Array("abc".utf8))) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(DigestText.hex(HMAC.digest(.md5, [])) == "d41d8cd98f00b204e9800998ecf8427e")
        #expect(DigestText.hex(HMAC.digest(.sha1, Array("abc".utf8))) == "a9993e364706816aba3e25717850c26c9cd0d89d")
    }

    @Test func constantTimeEquals() {
        #expect(HMAC.constantTimeEquals([1, 2, 3], [1, 2, 3]))
        #expect(!HMAC.constantTimeEquals([1, 2, 3], [1, 2, 4]))
        #expect(!HMAC.constantTimeEquals([1, 2, 3], [1, 2]))
        #expect(HMAC.constantTimeEquals([UInt8](), []))
        #expect(HMAC.constantTimeEquals("abc", "abc"))
    }

    @Test func hexAndBase64() {
        #expect(DigestText.bytes(hex: "00ffA0") == [0, 255, 160])
        #expect(DigestText.bytes(hex: "0g") == nil)
        #expect(DigestText.bytes(hex: "abc") == nil)
        #expect(DigestText.base64([0xFF, 0, 1]) == "/wAB")
        #expect(DigestText.bytes(base64: "/wAB") == [0xFF, 0, 1])
        #expect(DigestText.bytes(base64: "/w") == [0xFF])
        #expect(DigestText.bytes(base64: "***") == nil)
    }
}

@Suite struct SMSTwilioSignatureTests {
    static let docURL = "https://mycompany.com/myapp.php?foo=1&bar=2"
    static let docParams = FormParameters([("CallSid", "CA1234567890ABCDE"), ("Caller", "+12349013030"), ("Digits", "1234"),
                                           ("From", "+12349013030"), ("To", "+18005551212")])
    let validator = TwilioSignature(authToken: Array("12345".utf8))

    @Test func documentedVector() {
        #expect(TwilioSignature.signature(url: Self.docURL, parameters: Self.docParams, key: Array("12345".utf8)) == "0/KCTR6DLpKmkAf8muzZqo1nDgQ=")
        #expect(validator.validate(url: Self.docURL, payload: .form(Self.docParams), signature: "0/KCTR6DLpKmkAf8muzZqo1nDgQ=") == .success(()))
    }

    @Test func parameterOrderDoesNotMatter() {
        let shuffled = FormParameters(Self.docParams.pairs.reversed())
        #expect(validator.validate(url: Self.docURL, payload: .form(shuffled), signature: "0/KCTR6DLpKmkAf8muzZqo1nDgQ=") == .success(()))
    }

    @Test func urlTriedWithAndWithoutDefaultPort() {
        // Signed over the URL with :443 (value from twilio-python's compute_signature).
        let withPort = "https://mycompany.com:443/myapp.php?foo=1&bar=2"
        #expect(TwilioSignature.signature(url: withPort, parameters: Self.docParams, key: Array("12345".utf8)) == "EpDEmp1PyjDYp77YxYU3GILBWzE=")
        #expect(validator.validate(url: Self.docURL, payload: .form(Self.docParams), signature: "EpDEmp1PyjDYp77YxYU3GILBWzE=") == .success(()))
        // And a request that reached us on :443 explicitly, signed without the port.
        #expect(validator.validate(url: withPort, payload: .form(Self.docParams), signature: "0/KCTR6DLpKmkAf8muzZqo1nDgQ=") == .success(()))
    }

    @Test(arguments: [
        ("https://a.example/sms", "https://a.example:443/sms", "https://a.example/sms"),
        ("http://a.example/sms?x=1", "http://a.example:80/sms?x=1", "http://a.example/sms?x=1"),
        ("http://127.0.0.1:8080/sms", "http://127.0.0.1:8080/sms", "http://127.0.0.1/sms"),
        ("https://a.example:8443", "https://a.example:8443", "https://a.example"),
        ("http://[::1]:81/x", "http://[::1]:81/x", "http://[::1]/x"),
    ])
    func urlVariants(url: String, withPort: String, withoutPort: String) {
        let variants = TwilioSignature.urlVariants(url)
        #expect(variants.withPort == withPort)
        #expect(variants.withoutPort == withoutPort)
    }

    @Test func tamperedFieldsAreRejected() {
        let good = "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
        var changedValue = Self.docParams
        changedValue = FormParameters(changedValue.pairs.map { $0.name == "Digits" ? .init(name: "Digits", value: "1235") : $0 })
        #expect(validator.validate(url: Self.docURL, payload: .form(changedValue), signature: good) == .failure(.mismatch))
        var added = Self.docParams
        added.append(name: "Extra", value: "1")
        #expect(validator.validate(url: Self.docURL, payload: .form(added), signature: good) == .failure(.mismatch))
        #expect(validator.validate(url: "https://mycompany.com/myapp.php?foo=1&bar=3", payload: .form(Self.docParams), signature: good) == .failure(.mismatch))
        #expect(validator.validate(url: "http://mycompany.com/myapp.php?foo=1&bar=2", payload: .form(Self.docParams), signature: good) == .failure(.mismatch))
        #expect(validator.validate(url: "https://mycompany.com:8443/myapp.php?foo=1&bar=2", payload: .form(Self.docParams), signature: good) == .success(()),
                "any port is removed, as twilio-python's remove_port does")
        #expect(validator.validate(url: Self.docURL, payload: .form(Self.docParams), signature: nil) == .failure(.missingSignature))
        #expect(validator.validate(url: Self.docURL, payload: .form(Self.docParams), signature: "") == .failure(.missingSignature))
        let wrongToken = TwilioSignature(authToken: Array("54321".utf8))
        #expect(wrongToken.validate(url: Self.docURL, payload: .form(Self.docParams), signature: good) == .failure(.mismatch))
    }

    @Test func repeatedParametersUseSortedDistinctValues() {
        let params = FormParameters([("To", "+1"), ("Media", "b"), ("Media", "a"), ("Media", "b")])
        let key = Array("tok".utf8)
        // twilio-python: for name in sorted(set(params)): for value in sorted(set(values)): s += name + value
        let expected = DigestText.base64(HMAC.authenticationCode(.sha1, key: key, message: "https://x.example/sms" + "MediaaMediabTo+1"))
        #expect(TwilioSignature.signature(url: "https://x.example/sms", parameters: params, key: key) == expected)
    }

    /// The parameter string as it was built before it was sorted through 8-byte name keys: each
    /// pair's bytes as arrays, sorted by (name, value) bytes, repeats dropped.
    static func referenceParameterString(_ parameters: FormParameters) -> [UInt8] {
        var pairs = parameters.pairs.map { (name: Array($0.name.utf8), value: Array($0.value.utf8)) }
        pairs.sort { a, b in a.name == b.name ? a.value.lexicographicallyPrecedes(b.value) : a.name.lexicographicallyPrecedes(b.name) }
        var out: [UInt8] = []
        var previous: (name: [UInt8], value: [UInt8])?
        for pair in pairs {
            if let previous, previous.name == pair.name, previous.value == pair.value { continue }
            out += pair.name + pair.value
            previous = pair
        }
        return out
    }

    @Test(arguments: [
        // Names that share their first eight bytes, are prefixes of each other, or hold NUL bytes.
        [("MessagingServiceSid", "MG1"), ("MessageSid", "SM1"), ("Messages", ""), ("Message", "x"), ("MessagingService", "y")],
        [("AB\u{0}", "1"), ("AB", "2"), ("AB\u{0}\u{0}", "3"), ("AB\u{0}C", "4"), ("ABCDEFGH", "5"), ("ABCDEFGH\u{0}", "6"), ("ABCDEFGHI", "7")],
        // Non-ASCII names and values: byte order (code point order), not String order.
        [("é", "1"), ("e\u{301}", "2"), ("z", "3"), ("Ünïcödé", "4"), ("日本", "5"), ("😀", "6"), ("\u{FFFD}", "7"), ("\u{7F}", "8"), ("", "9")],
        // Canonically equivalent but different bytes are different pairs; equal bytes repeat.
        [("X", "é"), ("X", "e\u{301}"), ("X", "é"), ("é", "a"), ("e\u{301}", "a"), ("é", "a")],
        // Repeated names with values in every order, empty names and values.
        [("Media", "b"), ("Media", "a"), ("Media", "b"), ("Media", ""), ("", ""), ("", "v"), ("", ""), ("Media", "ab")],
        [],
    ] as [[(String, String)]])
    func parameterStringMatchesByteOrderReference(_ pairs: [(String, String)]) {
        for rotation in 0..<max(pairs.count, 1) {
            let rotated = Array(pairs[rotation...] + pairs[..<rotation])
            for order in [rotated, rotated.reversed()] {
                let params = FormParameters(order)
                #expect(TwilioSignature.parameterString(params) == Self.referenceParameterString(params))
            }
        }
    }

    @Test func parameterStringOfTheBenchmarkWebhook() {
        let params = FormParameters([("ToCountry", "US"), ("ToState", "CA"), ("SmsMessageSid", "SM1"), ("NumMedia", "0"),
                                     ("ToCity", "SAN FRANCISCO"), ("FromZip", "94105"), ("SmsSid", "SM1"), ("FromState", "CA"),
                                     ("SmsStatus", "received"), ("FromCity", "SAN FRANCISCO"), ("Body", "ok thanks!!"),
                                     ("FromCountry", "US"), ("To", "+14155550100"), ("MessagingServiceSid", "MG0"),
                                     ("ToZip", "94105"), ("NumSegments", "1"), ("MessageSid", "SM1"), ("AccountSid", "AC1"),
                                     ("From", "+12000007919"), ("ApiVersion", "2010-04-01")])
        let expected = "AccountSidAC1ApiVersion2010-04-01Bodyok thanks!!From+12000007919FromCitySAN FRANCISCOFromCountryUS"
            + "FromStateCAFromZip94105MessageSidSM1MessagingServiceSidMG0NumMedia0NumSegments1SmsMessageSidSM1SmsSidSM1"
            + "SmsStatusreceivedTo+14155550100ToCitySAN FRANCISCOToCountryUSToStateCAToZip94105"
        #expect(TwilioSignature.parameterString(params) == Array(expected.utf8))
    }

    @Test func portVariantIsSignedWithTheSameParameters() {
        let params = FormParameters([("Body", "hi"), ("From", "+14155550123")])
        let key = Array("12345".utf8)
        let signedWithPort = TwilioSignature.signature(url: "https://x.example:443/sms", parameters: params, key: key)
        #expect(validator.validate(url: "https://x.example/sms", payload: .form(params), signature: signedWithPort) == .success(()))
        let signedWithout = TwilioSignature.signature(url: "http://x.example/sms", parameters: params, key: key)
        #expect(validator.validate(url: "http://x.example:80/sms", payload: .form(params), signature: signedWithout) == .success(()))
        #expect(validator.validate(url: "http://x.example:8080/sms", payload: .form(params), signature: signedWithout) == .success(()))
        #expect(validator.validate(url: "http://x.example:8080/smsx", payload: .form(params), signature: signedWithout) == .failure(.mismatch))
    }

    @Test func jsonBodyCoveredByBodySHA256() {
        let body = Array(#"{"property": "value", "boolean": true}"#.utf8)
        let url = "https://mycompany.com/myapp.php?bodySHA256=0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620"
        // From twilio-python's compute_signature(url, {}).
        #expect(validator.validate(url: url, payload: .body(body), signature: "y77kIzt2vzLz71DgmJGsen2scGs=") == .success(()))
        var tampered = body
        tampered[3] ^= 1
        #expect(validator.validate(url: url, payload: .body(tampered), signature: "y77kIzt2vzLz71DgmJGsen2scGs=") == .failure(.bodyHashMismatch))
        #expect(validator.validate(url: "https://mycompany.com/myapp.php", payload: .body(body), signature: "y77kIzt2vzLz71DgmJGsen2scGs=") == .failure(.bodyNotCovered))
    }

    @Test func sha256ModeWithSharedKey() {
        // twilio-python compute_signature(..., "HMAC_SHA256") with key "12345".
        let shared = TwilioSignature(authToken: Array("other".utf8), sharedKey: Array("12345".utf8), sharedKeyID: "webhooks_sharedkey_1")
        let settings = "key=webhooks_sharedkey_1,algorithm=HMAC_SHA256"
        #expect(TwilioSignature.signature(url: Self.docURL, parameters: Self.docParams, key: Array("12345".utf8), algorithm: .sha256)
                == "Rmm4Vzj+Ky7JGoWXMCsZDZuHDszLr9xvdbvitrDr4/M=")
        #expect(shared.validate(url: Self.docURL, payload: .form(Self.docParams), signature: "Rmm4Vzj+Ky7JGoWXMCsZDZuHDszLr9xvdbvitrDr4/M=", settings: settings) == .success(()))
        // The SHA-1 signature does not pass as SHA-256, nor without the settings header.
        #expect(shared.validate(url: Self.docURL, payload: .form(Self.docParams), signature: "0/KCTR6DLpKmkAf8muzZqo1nDgQ=", settings: settings) == .failure(.mismatch))
        #expect(shared.validate(url: Self.docURL, payload: .form(Self.docParams), signature: "Rmm4Vzj+Ky7JGoWXMCsZDZuHDszLr9xvdbvitrDr4/M=") == .failure(.mismatch))
        #expect(shared.validate(url: Self.docURL, payload: .form(Self.docParams), signature: "x", settings: "key=other,algorithm=HMAC_SHA256") == .failure(.unknownSharedKey))
        #expect(shared.validate(url: Self.docURL, payload: .form(Self.docParams), signature: "x", settings: "algorithm=HMAC_MD5") == .failure(.unsupportedAlgorithm("HMAC_MD5")))
        #expect(validator.validate(url: Self.docURL, payload: .form(Self.docParams), signature: "x", settings: settings) == .failure(.noSharedKey))
    }

    @Test func getWebhookSignsTheURLOnly() {
        let url = "https://x.example/sms?From=%2B14155550123&Body=Hi&MessageSid=SM1"
        let signature = TwilioSignature.signature(url: url, parameters: FormParameters(), key: Array("12345".utf8))
        #expect(validator.validate(url: url, payload: .none, signature: signature) == .success(()))
        #expect(validator.validate(url: url.replacingOccurrences(of: "Hi", with: "Ho"), payload: .none, signature: signature) == .failure(.mismatch))
    }
}

@Suite struct SMSVonageSignatureTests {
    // Computed with vonage 4.9.1's Auth(signature_secret="secret", signature_method=…).sign_params.
    static let params = FormParameters([("msisdn", "447700900123"), ("to", "447700900000"), ("messageId", "0A0000001"),
                                        ("text", "Hi & = ok"), ("type", "text"), ("timestamp", "1795338900"), ("api-key", "abcd1234")])
    static let expected: [(VonageSignature.Method, String)] = [
        (.md5, "3ce47913183d5ca89000b9296789fb0f"),
        (.sha1, "4a6174ed94d8299e024a3504daa134541a622980"),
        (.sha256, "8e49609999e5c2d2b6eb51ff2a2848fd0e8118dabb36758ae148436514c09bc2"),
        (.sha512, "cf190cd371110f85549f370cd9e09d25ff3620b5eaee0abb50859bd4ad70a53709598e7e9fcaa6ec0a0b615c4146cb09be18402c1949027f518f52ca18e9bb90"),
    ]
    static let now = Date(timeIntervalSince1970: 1_795_338_960)

    @Test func matchesTheSDK() {
        for (method, sig) in Self.expected {
            #expect(VonageSignature.signature(Self.params, secret: Array("secret".utf8), method: method) == sig, "\(method)")
            var signed = Self.params
            signed.append(name: "sig", value: sig)
            #expect(VonageSignature(secret: Array("secret".utf8), method: method).validate(signed, now: Self.now) == .success(()))
            var upper = Self.params
            upper.append(name: "sig", value: sig.uppercased())
            #expect(VonageSignature(secret: Array("secret".utf8), method: method).validate(upper, now: Self.now) == .success(()),
                    "compared case-insensitively")
        }
    }

    @Test func signedTextReplacesAmpersandAndEquals() {
        let text = String(decoding: VonageSignature.signedText(FormParameters([("b", "x&y=z"), ("a", "1"), ("sig", "zz")])), as: UTF8.self)
        #expect(text == "&a=1&b=x_y_z")
    }

    @Test func tamperedOrMissingFieldsAreRejected() {
        let validator = VonageSignature(secret: Array("secret".utf8), method: .sha256)
        let sig = Self.expected[2].1
        func with(_ change: (inout [FormParameters.Pair]) -> Void) -> FormParameters {
            var pairs = Self.params.pairs + [.init(name: "sig", value: sig)]
            change(&pairs)
            return FormParameters(pairs)
        }
        #expect(validator.validate(with { $0[3].value = "Hi & = ok!" }, now: Self.now) == .failure(.mismatch))
        #expect(validator.validate(with { $0[5].value = "1795338901" }, now: Self.now) == .failure(.mismatch))
        #expect(validator.validate(with { $0.append(.init(name: "extra", value: "1")) }, now: Self.now) == .failure(.mismatch))
        #expect(validator.validate(with { $0.removeLast() }, now: Self.now) == .failure(.missingSignature))
        #expect(validator.validate(with { $0.remove(at: 5) }, now: Self.now) == .failure(.missingTimestamp))
        #expect(VonageSignature(secret: Array("other".utf8), method: .sha256).validate(with { _ in }, now: Self.now) == .failure(.mismatch))
        #expect(VonageSignature(secret: Array("secret".utf8), method: .sha512).validate(with { _ in }, now: Self.now) == .failure(.mismatch))
    }

    @Test func timestampWindow() {
        let validator = VonageSignature(secret: Array("secret".utf8), method: .sha256, maxAge: .seconds(300))
        var signed = Self.params
        signed.append(name: "sig", value: Self.expected[2].1)
        #expect(validator.validate(signed, now: Self.now) == .success(()))
        #expect(validator.validate(signed, now: Self.now.addingTimeInterval(3600)) == .failure(.staleTimestamp(seconds: 3660)))
    }

    @Test func md5HashMode() {
        let params = FormParameters([("a", "1"), ("timestamp", "1795338900")])
        let sig = VonageSignature.signature(params, secret: Array("s".utf8), method: .md5hash)
        #expect(sig == DigestText.hex(HMAC.digest(.md5, Array("&a=1&timestamp=1795338900s".utf8))))
    }
}

@Suite struct SMSGenericSignatureTests {
    let secret = Array("whsec".utf8)
    let body = Array(#"{"id":"gw-1","from":"+4915112345678","text":"Hallo"}"#.utf8)
    let now = Date(timeIntervalSince1970: 1_795_338_900)

    @Test func acceptsASignedRequest() {
        let sig = WebhookSignature(secrets: [secret])
        let header = sig.headerValue(secret: secret, timestamp: "1795338900", body: body)
        #expect(header.hasPrefix("sha256="))
        // Independent of the helper: HMAC over "timestamp.body".
        #expect(header == "sha256=" + DigestText.hex(HMAC.authenticationCode(.sha256, key: secret, message: Array("1795338900.".utf8) + body)))
        #expect(sig.validate(signature: header, timestamp: "1795338900", body: body, now: now) == .success(()))
        #expect(sig.validate(signature: header.uppercased().replacingOccurrences(of: "SHA256=", with: "sha256="), timestamp: "1795338900", body: body, now: now) == .success(()))
        #expect(sig.validate(signature: "sha256=00, " + header, timestamp: "1795338900", body: body, now: now) == .success(()))
        // Milliseconds are recognised.
        let ms = sig.headerValue(secret: secret, timestamp: "1795338900000", body: body)
        #expect(sig.validate(signature: ms, timestamp: "1795338900000", body: body, now: now) == .success(()))
    }

    @Test func rejectsTampering() {
        let sig = WebhookSignature(secrets: [secret])
        let header = sig.headerValue(secret: secret, timestamp: "1795338900", body: body)
        var changed = body
        changed[10] ^= 1
        #expect(sig.validate(signature: header, timestamp: "1795338900", body: changed, now: now) == .failure(.mismatch))
        #expect(sig.validate(signature: header, timestamp: "1795338901", body: body, now: now) == .failure(.mismatch))
        #expect(sig.validate(signature: nil, timestamp: "1795338900", body: body, now: now) == .failure(.missingSignature))
        #expect(sig.validate(signature: header, timestamp: nil, body: body, now: now) == .failure(.missingTimestamp))
        #expect(sig.validate(signature: header, timestamp: "1795338900", body: body, now: now.addingTimeInterval(301)) == .failure(.staleTimestamp(seconds: 301)))
        #expect(WebhookSignature(secrets: [Array("x".utf8)]).validate(signature: header, timestamp: "1795338900", body: body, now: now) == .failure(.mismatch))
    }

    @Test func rotationAndBase64() {
        let old = Array("old".utf8)
        let sig = WebhookSignature(secrets: [secret, old], prefix: "", encoding: .base64)
        let header = sig.headerValue(secret: old, timestamp: "1795338900", body: body)
        #expect(!header.hasPrefix("sha256="))
        #expect(sig.validate(signature: header, timestamp: "1795338900", body: body, now: now) == .success(()))
    }
}

/// Signature checks answer `Result<Void, Failure>`; compare them in expectations.
func == <F: Equatable>(lhs: Result<Void, F>, rhs: Result<Void, F>) -> Bool {
    switch (lhs, rhs) {
    case (.success, .success): true
    case (.failure(let a), .failure(let b)): a == b
    default: false
    }
}

@Suite struct SMSBase64Tests {
    @Test func matchesFoundation() {
        for length in 0..<40 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 * 37 + 11) }
            #expect(DigestText.base64(bytes) == Data(bytes).base64EncodedString())
        }
    }
}
