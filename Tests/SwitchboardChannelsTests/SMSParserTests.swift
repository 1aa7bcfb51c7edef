import Foundation
import Testing
import SwitchboardCore
@testable import SwitchboardChannels

@Suite struct SMSFormParametersTests {
    @Test func decodesLikeParseQsl() {
        let p = FormParameters(encoded: "a=1&b=x+y&c=%2B1%20415&d&&e=%zz&f=%E2%9C%93&a=2&g=")
        #expect(p.pairs.map(\.name) == ["a", "b", "c", "d", "e", "f", "a", "g"])
        #expect(p["a"] == "1")
        #expect(p.values(for: "a") == ["1", "2"])
        #expect(p["b"] == "x y")
        #expect(p["c"] == "+1 415")
        #expect(p["d"] == "")
        #expect(p["e"] == "%zz")
        #expect(p["f"] == "✓")
        #expect(p["g"] == "")
        #expect(p["missing"] == nil)
    }

    @Test func roundTrips() {
        let p = FormParameters([("Body", "Hi & = ok ✓"), ("From", "+1 415")])
        #expect(FormParameters(encoded: p.encoded) == p)
    }

    /// The pairs as the decoder made them before it scanned each segment once: split at `&`,
    /// then at the first `=`, each part decoded with `+` as space and `%XX` escapes.
    static func referencePairs(_ text: String) -> [FormParameters.Pair] {
        text.utf8.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true).map { segment in
            let eq = segment.firstIndex(of: UInt8(ascii: "="))
            let name = FormParameters.decode(Array(segment[..<(eq ?? segment.endIndex)]))
            let value = eq.map { FormParameters.decode(Array(segment[segment.index(after: $0)...])) } ?? ""
            return FormParameters.Pair(name: name, value: value)
        }
    }

    @Test(arguments: [
        "", "&", "&&&", "=", "==", "a", "a=", "=b", "a=b=c", "a==b", "a=b&&c=d&", "&a=b", "+=+", "a+b=c+d", "%41%42=%43",
        "%=%", "%%=%%", "a%=b%", "a%2=b%2", "a%2g=b%g2", "%zz=%zz", "%E2%9C%93=%e2%9c%93", "%FF=%C3", "%C3%A9=%C3%28",
        "n%26m=v%3Dw", "n=v%26w=x", "Body=Grüße+aus+Köln", "Body=\u{FFFD}", "%2B1+415=%2b1%20415", "x=1&x=2&x=1",
        "ToCountry=US&ToState=CA&SmsMessageSid=SM1&NumMedia=0&Body=Hi%2C+where+is+my+order+48213%3F&From=%2B12000007919",
    ])
    func decodesAsTheReference(_ text: String) {
        #expect(FormParameters(encoded: text).pairs == Self.referencePairs(text))
        #expect(FormParameters(encoded: Array(text.utf8)[...]).pairs == Self.referencePairs(text))
    }

    @Test func invalidUTF8IsReplacedPerPart() {
        let p = FormParameters(encoded: [0x61, 0xFF, 0x3D, 0xC3, 0x26, 0x62, 0x3D, 0x25, 0x46, 0x46, 0x2B])
        #expect(p.pairs == [FormParameters.Pair(name: "a\u{FFFD}", value: "\u{FFFD}"), FormParameters.Pair(name: "b", value: "\u{FFFD} ")])
    }

    @Test func truncatedEscapesDoNotCrash() {
        for text in ["%", "%2", "a=%", "a=%4", "=", "&", "==&=="] {
            _ = FormParameters(encoded: text)
        }
    }
}

@Suite struct SMSTwilioParserTests {
    let parser = TwilioWebhookParser(adapterID: "tw", defaultRegion: "US")

    func params(_ extra: [(String, String)] = [], body: String = "Where is my order?") -> FormParameters {
        FormParameters([("MessageSid", "SM0123456789abcdef0123456789abcdef"), ("SmsSid", "SM0123456789abcdef0123456789abcdef"),
                        ("AccountSid", "AC11111111111111111111111111111111"), ("From", "+14155550123"), ("To", "+14155550100"),
                        ("Body", body), ("NumSegments", "1"), ("FromCountry", "US"), ("ApiVersion", "2010-04-01")]
                       + (extra.contains { $0.0 == "NumMedia" } ? [] : [("NumMedia", "0")]) + extra)
    }

    @Test func mapsAnSMS() throws {
        let raw = Array("raw".utf8)
        let m = try parser.parse(params(), raw: raw).get()
        #expect(m.channel == .sms)
        #expect(m.adapterID == "tw")
        #expect(m.externalID == "SM0123456789abcdef0123456789abcdef")
        #expect(m.sender == Identity(kind: .phone, value: "+14155550123"))
        #expect(m.recipient == "+14155550100")
        #expect(m.text == "Where is my order?")
        #expect(m.attachments.isEmpty)
        #expect(m.metadata["account_sid"] == "AC11111111111111111111111111111111")
        #expect(m.metadata["num_segments"] == "1")
        #expect(m.contactAttributes.isEmpty)
        #expect(m.raw == raw)
    }

    @Test func mmsMediaBecomeAttachments() throws {
        let m = try parser.parse(params([("NumMedia", "2"), ("MediaUrl0", "https://api.twilio.com/m/ME1"), ("MediaContentType0", "image/jpeg"),
                                         ("MediaUrl1", "https://api.twilio.com/m/ME2"), ("MediaContentType1", "video/mp4")], body: ""), raw: []).get()
        #expect(m.attachments == [Attachment(contentType: "image/jpeg", size: 0, url: "https://api.twilio.com/m/ME1"),
                                  Attachment(contentType: "video/mp4", size: 0, url: "https://api.twilio.com/m/ME2")])
        #expect(m.text == "")
    }

    @Test func whatsappPrefixAndProfileName() throws {
        let p = FormParameters([("MessageSid", "SM1"), ("From", "whatsapp:+447700900123"), ("To", "whatsapp:+14155550100"),
                                ("Body", "hi"), ("ProfileName", "Ana")])
        let m = try parser.parse(p, raw: []).get()
        #expect(m.sender == Identity(kind: .phone, value: "+447700900123"))
        #expect(m.senderName == "Ana")
        #expect(m.metadata["address_prefix"] == "whatsapp")
    }

    @Test func keywordsSetOptOut() throws {
        #expect(try parser.parse(params(body: "STOP"), raw: []).get().contactAttributes == ["sms_opt_out": "true"])
        #expect(try parser.parse(params(body: "start"), raw: []).get().contactAttributes == ["sms_opt_out": "false"])
        #expect(try parser.parse(params(body: "Help"), raw: []).get().metadata["sms_keyword"] == "help")
        // Twilio's Advanced Opt-Out says it itself.
        #expect(try parser.parse(params([("OptOutType", "STOP")], body: "Arrêt"), raw: []).get().contactAttributes == ["sms_opt_out": "true"])
    }

    @Test func nationalSenderUsesTheDefaultRegion() throws {
        let p = FormParameters([("MessageSid", "SM1"), ("From", "(415) 555-0123"), ("Body", "x")])
        #expect(try parser.parse(p, raw: []).get().sender == Identity(kind: .phone, value: "+14155550123"))
    }

    @Test func missingFields() {
        #expect(parser.parse(FormParameters([("From", "+1")]), raw: []) == .failure(SMSWebhookError(field: "MessageSid", message: "is missing")))
        #expect(parser.parse(FormParameters([("MessageSid", "SM1")]), raw: []) == .failure(SMSWebhookError(field: "From", message: "is missing")))
        #expect(parser.parse(FormParameters([("MessageSid", "SM 1"), ("From", "+1")]), raw: []) == .failure(SMSWebhookError(field: "MessageSid", message: "is not a Twilio message id")))
    }
}

/// The parser reads every parameter in one pass (`TwilioWebhookParser.Fields`): the first value
/// of a name wins, as `FormParameters[name]` answers, and near-miss names are not read.
@Suite struct SMSTwilioFieldsTests {
    let parser = TwilioWebhookParser(adapterID: "tw", defaultRegion: "US")

    @Test(arguments: [
        ("To", TwilioWebhookParser.Fields.Slot.to), ("From", TwilioWebhookParser.Fields.Slot.from),
        ("Body", TwilioWebhookParser.Fields.Slot.body), ("WaId", TwilioWebhookParser.Fields.Slot.waId),
        ("SmsSid", TwilioWebhookParser.Fields.Slot.smsSid), ("NumMedia", TwilioWebhookParser.Fields.Slot.numMedia),
        ("FromCity", TwilioWebhookParser.Fields.Slot.fromCity), ("SmsStatus", TwilioWebhookParser.Fields.Slot.smsStatus),
        ("FromState", TwilioWebhookParser.Fields.Slot.fromState), ("ToCountry", TwilioWebhookParser.Fields.Slot.toCountry),
        ("MessageSid", TwilioWebhookParser.Fields.Slot.messageSid), ("AccountSid", TwilioWebhookParser.Fields.Slot.accountSid),
        ("OptOutType", TwilioWebhookParser.Fields.Slot.optOutType), ("ApiVersion", TwilioWebhookParser.Fields.Slot.apiVersion),
        ("NumSegments", TwilioWebhookParser.Fields.Slot.numSegments), ("FromCountry", TwilioWebhookParser.Fields.Slot.fromCountry),
        ("ProfileName", TwilioWebhookParser.Fields.Slot.profileName), ("SmsMessageSid", TwilioWebhookParser.Fields.Slot.smsMessageSid),
        ("MessagingServiceSid", TwilioWebhookParser.Fields.Slot.messagingServiceSid),
        ("MediaUrl0", TwilioWebhookParser.Fields.Slot.mediaURL), ("MediaUrl9", TwilioWebhookParser.Fields.Slot.mediaURL + 9),
        ("MediaContentType0", TwilioWebhookParser.Fields.Slot.mediaContentType),
        ("MediaContentType9", TwilioWebhookParser.Fields.Slot.mediaContentType + 9),
    ] as [(String, Int)])
    func namesHaveTheirSlot(_ name: String, _ slot: Int) {
        #expect(TwilioWebhookParser.Fields.slot(name) == slot)
    }

    @Test(arguments: ["", "body", "BODY", "Body ", " Body", "Bod", "Body2", "to", "MediaUrl", "MediaUrl10", "MediaUrlX", "MediaUrl/",
                      "MediaUrl:", "MediaContentType", "MediaContentType10", "MediaContentTypeA", "MessageSi", "MessageSidx",
                      "FromZip", "ToCity", "ToState", "ToZip", "\u{212A}", "Bo\u{0}y", "Ｂody", "MessagingServiceSiD"])
    func otherNamesAreNotRead(_ name: String) {
        #expect(TwilioWebhookParser.Fields.slot(name) == nil)
    }

    @Test func firstValueOfARepeatedNameWins() throws {
        let p = FormParameters([("Body", "first"), ("MessageSid", "SM1"), ("From", "+14155550123"), ("Body", "second"),
                                ("From", "+14155550999"), ("MessageSid", "SM2"), ("AccountSid", "AC1"), ("AccountSid", "AC2")])
        let m = try parser.parse(p, raw: []).get()
        #expect(m.text == p["Body"])
        #expect(m.externalID == "SM1")
        #expect(m.sender.value == "+14155550123")
        #expect(m.metadata["account_sid"] == "AC1")
    }

    @Test func anEmptyFirstMessageSidFallsBackToSmsMessageSid() throws {
        // The first MessageSid is empty; a later non-empty one does not count (FormParameters["MessageSid"] is the first).
        let p = FormParameters([("MessageSid", ""), ("SmsMessageSid", "SMa"), ("MessageSid", "SMb"), ("SmsSid", "SMc"), ("From", "+14155550123")])
        #expect(try parser.parse(p, raw: []).get().externalID == "SMa")
        let q = FormParameters([("MessageSid", ""), ("SmsMessageSid", ""), ("SmsSid", "SMc"), ("From", "+14155550123")])
        #expect(try parser.parse(q, raw: []).get().externalID == "SMc")
        let r = FormParameters([("MessageSid", ""), ("SmsMessageSid", ""), ("SmsSid", ""), ("SmsSid", "SMd"), ("From", "+14155550123")])
        #expect(throws: SMSWebhookError(field: "MessageSid", message: "is missing")) { try parser.parse(r, raw: []).get() }
    }

    @Test func mediaUpToTheDeclaredCountAndTen() throws {
        var pairs: [(String, String)] = [("MessageSid", "SM1"), ("From", "+14155550123"), ("NumMedia", "12")]
        for i in 0..<12 { pairs.append(("MediaUrl\(i)", i == 3 ? "" : "https://m.example/\(i)")) }
        pairs.append(("MediaContentType1", "image/png"))
        pairs.append(("MediaContentType2", ""))
        pairs.append(("MediaContentType1", "image/gif"))
        let m = try parser.parse(FormParameters(pairs), raw: []).get()
        #expect(m.attachments.map { $0.url ?? "" } == (0..<10).filter { $0 != 3 }.map { "https://m.example/\($0)" })
        #expect(m.attachments[1].contentType == "image/png")
        #expect(m.attachments[2].contentType == "application/octet-stream")
        pairs[2].1 = "2"
        #expect(try parser.parse(FormParameters(pairs), raw: []).get().attachments.count == 2)
    }

    @Test func longValuesAreCutToTwoHundredCharacters() throws {
        let city = String(repeating: "é", count: 300)            // 600 bytes, 300 characters
        let exact = String(repeating: "a", count: 200)
        let flags = String(repeating: "🇩🇪", count: 150)          // 1,200 bytes, 150 characters
        let decomposed = String(repeating: "e\u{301}", count: 150) // 450 bytes, 150 characters
        let p = FormParameters([("MessageSid", "SM1"), ("From", "+14155550123"), ("FromCity", city), ("FromState", exact),
                                ("ToCountry", flags), ("FromCountry", decomposed), ("ProfileName", exact + "b"), ("AccountSid", exact + "é")])
        let m = try parser.parse(p, raw: []).get()
        #expect(m.metadata["from_city"] == String(repeating: "é", count: 200))
        #expect(m.metadata["from_state"] == exact)
        #expect(m.metadata["to_country"] == flags)
        #expect(Array(m.metadata["from_country"]!.utf8) == Array(decomposed.utf8))
        #expect(m.senderName == exact)
        #expect(m.metadata["account_sid"] == exact)
    }
}

@Suite struct SMSVonageParserTests {
    @Test func mapsAMessage() throws {
        let p = FormParameters([("msisdn", "447700900123"), ("to", "447700900000"), ("messageId", "0A0000001"), ("text", "Hello"),
                                ("type", "text"), ("keyword", "HELLO"), ("message-timestamp", "2026-11-22 09:15:00")])
        let inbound = try VonageInbound.parse(p).get()
        #expect(inbound.concat == nil)
        let m = inbound.message(adapterID: "vn", defaultRegion: "US", raw: [1])
        #expect(m.externalID == "0A0000001")
        #expect(m.sender == Identity(kind: .phone, value: "+447700900123"), "msisdn is international even with a US default region")
        #expect(m.recipient == "+447700900000")
        #expect(m.sentAt == Date(timeIntervalSince1970: 1_795_338_900))
        #expect(m.metadata["keyword"] == "HELLO")
        #expect(m.raw == [1])
    }

    @Test func concatFields() throws {
        let p = FormParameters([("msisdn", "447700900123"), ("messageId", "0A2"), ("text", "b"), ("concat", "true"),
                                ("concat-ref", "17"), ("concat-total", "3"), ("concat-part", "2")])
        let inbound = try VonageInbound.parse(p).get()
        #expect(inbound.concat == .init(ref: "17", total: 3, part: 2))
        #expect(inbound.concatKey == "447700900123||17")
    }

    @Test func badConcat() {
        let base: [(String, String)] = [("msisdn", "1"), ("messageId", "x"), ("concat", "true"), ("concat-ref", "1")]
        #expect(throws: SMSWebhookError.self) { try VonageInbound.parse(FormParameters(base + [("concat-total", "0"), ("concat-part", "1")])).get() }
        #expect(throws: SMSWebhookError.self) { try VonageInbound.parse(FormParameters(base + [("concat-total", "2"), ("concat-part", "3")])).get() }
        #expect(throws: SMSWebhookError.self) { try VonageInbound.parse(FormParameters(base + [("concat-total", "999"), ("concat-part", "1")])).get() }
        #expect(throws: SMSWebhookError.self) { try VonageInbound.parse(FormParameters([("messageId", "x")])).get() }
    }
}

@Suite struct SMSGenericParserTests {
    @Test func defaultShape() throws {
        let body = #"{"id":"gw-1","from":"0151 12345678","to":"+4930123456","text":"Hallo","sent_at":"2026-11-22T09:15:00Z","media":[{"url":"https://gw/m.jpg","content_type":"image/jpeg"}]}"#
        let m = try SMSWebhookParser(adapterID: "gw", defaultRegion: "DE").parse(Array(body.utf8)).get()
        #expect(m.externalID == "gw-1")
        #expect(m.sender == Identity(kind: .phone, value: "+4915112345678"))
        #expect(m.recipient == "+4930123456")
        #expect(m.text == "Hallo")
        #expect(m.sentAt == Date(timeIntervalSince1970: 1_795_338_900))
        #expect(m.attachments == [Attachment(contentType: "image/jpeg", size: 0, url: "https://gw/m.jpg")])
    }

    @Test func mappedFields() throws {
        var fields = SMSWebhookParser.FieldMap()
        fields.id = "message.id"
        fields.from = "message.sender"
        fields.text = "message.body"
        let body = #"{"message":{"id":42,"sender":"+4915112345678","body":"STOP"}}"#
        let m = try SMSWebhookParser(adapterID: "gw", defaultRegion: nil, fields: fields).parse(Array(body.utf8)).get()
        #expect(m.externalID == "42")
        #expect(m.contactAttributes == ["sms_opt_out": "true"])
    }

    @Test func errors() {
        let parser = SMSWebhookParser(adapterID: "gw", defaultRegion: nil)
        #expect(parser.parse(Array("[1]".utf8)) == .failure(SMSWebhookError(field: "body", message: "must be a JSON object")))
        #expect(parser.parse(Array(#"{"from":"+4915112345678"}"#.utf8)) == .failure(SMSWebhookError(field: "id", message: "is missing")))
        #expect(parser.parse(Array(#"{"id":"1"}"#.utf8)) == .failure(SMSWebhookError(field: "from", message: "is missing")))
        if case .success = parser.parse(Array("{".utf8)) { Issue.record("invalid JSON accepted") }
    }
}

@Suite struct SMSConcatAssemblerTests {
    func part(_ n: Int, of total: Int, ref: String = "9", text: String? = nil, sender: String = "447700900123") -> VonageInbound {
        VonageInbound(msisdn: sender, to: "447700900000", messageID: "ID\(ref)-\(n)", text: text ?? "p\(n) ", type: "text",
                      keyword: nil, sentAt: nil, concat: .init(ref: ref, total: total, part: n))
    }

    @Test func assemblesInAnyOrder() {
        var a = VonageConcatAssembler()
        let now = Date(timeIntervalSince1970: 1000)
        #expect(a.add(part(3, of: 3), raw: [], now: now).0.isPending)
        #expect(a.add(part(1, of: 3), raw: [], now: now).0.isPending)
        #expect(a.add(part(1, of: 3), raw: [], now: now).0.isPending, "a re-sent part replaces itself")
        guard case .complete(let group) = a.add(part(2, of: 3), raw: Array("r2".utf8), now: now).0 else {
            Issue.record("not complete")
            return
        }
        #expect(group.text == "p1 p2 p3 ")
        let m = group.message(adapterID: "vn", defaultRegion: nil)
        #expect(m.externalID == "ID9-1")
        #expect(m.text == "p1 p2 p3 ")
        #expect(m.metadata["concat_parts"] == "ID9-1,ID9-2,ID9-3")
        #expect(m.metadata["concat_missing"] == nil)
        #expect(String(decoding: m.raw, as: UTF8.self).contains("r2"))
    }

    @Test func differentSendersDoNotMix() {
        var a = VonageConcatAssembler()
        let now = Date()
        _ = a.add(part(1, of: 2, sender: "1111111111"), raw: [], now: now)
        _ = a.add(part(2, of: 2, sender: "2222222222"), raw: [], now: now)
        #expect(a.groups.count == 2)
    }

    @Test func expiresIncompleteGroupsWithMarkers() {
        var a = VonageConcatAssembler(timeout: .seconds(60))
        let t0 = Date(timeIntervalSince1970: 1000)
        _ = a.add(part(1, of: 3), raw: [], now: t0)
        _ = a.add(part(3, of: 3), raw: [], now: t0)
        #expect(a.expired(now: t0.addingTimeInterval(59)).isEmpty)
        let expired = a.expired(now: t0.addingTimeInterval(60))
        #expect(expired.count == 1)
        #expect(a.groups.isEmpty)
        let m = expired[0].message(adapterID: "vn", defaultRegion: nil)
        #expect(m.text == "p1 […part 2 of 3 missing…]p3 ")
        #expect(m.metadata["concat_missing"] == "2")
    }

    @Test func boundedNumberOfGroups() {
        var a = VonageConcatAssembler(maxGroups: 2)
        let t0 = Date(timeIntervalSince1970: 1000)
        _ = a.add(part(1, of: 2, ref: "a"), raw: [], now: t0)
        _ = a.add(part(1, of: 2, ref: "b"), raw: [], now: t0.addingTimeInterval(1))
        let (_, evicted) = a.add(part(1, of: 2, ref: "c"), raw: [], now: t0.addingTimeInterval(2))
        #expect(evicted.map(\.template.concat?.ref) == ["a"])
        #expect(a.groups.count == 2)
    }

    @Test func persistenceRoundTrip() throws {
        var a = VonageConcatAssembler()
        let t0 = Date(timeIntervalSince1970: 1000.5)
        let (result, _) = a.add(part(2, of: 3, text: "zwei \"quoted\" ✓"), raw: Array("msisdn=…".utf8), now: t0)
        guard case .pending(let group) = result else { Issue.record("complete?"); return }
        guard case .waiting(let back) = VonageConcatAssembler.decode(VonageConcatAssembler.encode(group)) else {
            Issue.record("did not decode")
            return
        }
        #expect(back.key == group.key)
        #expect(back.parts == group.parts)
        #expect(back.total == 3)
        #expect(abs(back.firstSeen.timeIntervalSince(t0)) < 0.01)
        #expect(VonageConcatAssembler.decode(VonageConcatAssembler.encodeDone(group, messageID: "x")) == .done(partIDs: ["ID9-2"]))
        #expect(VonageConcatAssembler.decode("") == .none)
        #expect(VonageConcatAssembler.decode("{garbage") == .none)
    }
}

extension VonageConcatAssembler.AddResult {
    var isPending: Bool { if case .pending = self { return true } else { return false } }
}
