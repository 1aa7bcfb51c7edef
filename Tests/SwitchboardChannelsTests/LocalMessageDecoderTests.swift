import Foundation
import Testing
import SwitchboardCore
@testable import SwitchboardChannels

@Suite struct LocalMessageDecoderTests {
    let decoder = LocalMessageDecoder(adapterID: "crm", defaultChannel: nil, allowedChannels: Set(Channel.allCases))

    func decode(_ json: String, with decoder: LocalMessageDecoder? = nil) throws -> Result<InboundMessage, FieldError> {
        let bytes = Array(json.utf8)
        return (decoder ?? self.decoder).decode(try JSONParser().parse(bytes), raw: bytes)
    }

    @Test func decodesEveryField() throws {
        let json = """
        {"id":"crm-1","channel":"email","from":{"kind":"email","value":"Ana@Example.com","name":"Ana"},
         "to":"support@example.com","subject":"Invoice","text":"charged twice","html":"<p>charged twice</p>",
         "attachments":[{"name":"inv.pdf","content_type":"application/pdf","size":1234,"sha256":"ab","url":"https://x"}],
         "sent_at":"2026-11-22T09:15:00Z","thread":"case-9","in_reply_to":["case-8"],
         "contact":{"tier":"gold","account":42},"metadata":{"source":"crm"}}
        """
        let message = try decode(json).get()
        #expect(message.adapterID == "crm")
        #expect(message.externalID == "crm-1")
        #expect(message.channel == .email)
        #expect(message.sender == Identity(kind: .email, value: "ana@example.com"))
        #expect(message.senderName == "Ana")
        #expect(message.recipient == "support@example.com")
        #expect(message.subject == "Invoice")
        #expect(message.text == "charged twice")
        #expect(message.html == "<p>charged twice</p>")
        #expect(message.attachments == [Attachment(name: "inv.pdf", contentType: "application/pdf", size: 1234, sha256: "ab", url: "https://x")])
        #expect(message.sentAt == Date(timeIntervalSince1970: 1_795_338_900))
        #expect(message.threadKey == "case-9")
        #expect(message.replyTo == ["case-8"])
        #expect(message.contactAttributes == ["tier": "gold", "account": "42"])
        #expect(message.metadata == ["source": "crm"])
        #expect(message.raw == Array(json.utf8))
    }

    @Test(arguments: [
        (#"[1,2]"#, nil as String?, "invalid_body"),
        (#"{"channel":"web","from":{"kind":"email","value":"a@b.example"},"text":"x"}"#, "id", "missing_field"),
        (#"{"id":"","channel":"web","from":{"kind":"email","value":"a@b.example"},"text":"x"}"#, "id", "invalid_field"),
        (#"{"id":7,"channel":"web","from":{"kind":"email","value":"a@b.example"},"text":"x"}"#, "id", "invalid_field"),
        (#"{"id":"1","from":{"kind":"email","value":"a@b.example"},"text":"x"}"#, "channel", "missing_field"),
        (#"{"id":"1","channel":"fax","from":{"kind":"email","value":"a@b.example"},"text":"x"}"#, "channel", "invalid_field"),
        (#"{"id":"1","channel":"web","text":"x"}"#, "from", "missing_field"),
        (#"{"id":"1","channel":"web","from":"a@b.example","text":"x"}"#, "from", "invalid_field"),
        (#"{"id":"1","channel":"web","from":{"kind":"mail","value":"a@b.example"},"text":"x"}"#, "from.kind", "invalid_field"),
        (#"{"id":"1","channel":"web","from":{"kind":"phone","value":"0151 123"},"text":"x"}"#, "from.value", "invalid_field"),
        (#"{"id":"1","channel":"web","from":{"kind":"email","value":"a@b.example","nmae":"A"},"text":"x"}"#, "from.nmae", "unknown_field"),
        (#"{"id":"1","channel":"web","from":{"kind":"email","value":"a@b.example"}}"#, "text", "missing_field"),
        (#"{"id":"1","channel":"web","from":{"kind":"email","value":"a@b.example"},"text":"x","sent_at":"monday"}"#, "sent_at", "invalid_field"),
        (#"{"id":"1","channel":"web","from":{"kind":"email","value":"a@b.example"},"text":"x","attachments":[{"name":"a"}]}"#, "attachments[0].content_type", "missing_field"),
        (#"{"id":"1","channel":"web","from":{"kind":"email","value":"a@b.example"},"text":"x","attachments":[{"content_type":"a/b","size":-1}]}"#, "attachments[0].size", "invalid_field"),
        (#"{"id":"1","channel":"web","from":{"kind":"email","value":"a@b.example"},"text":"x","contact":{"tier":["gold"]}}"#, "contact.tier", "invalid_field"),
        (#"{"id":"1","channel":"web","from":{"kind":"email","value":"a@b.example"},"txt":"x"}"#, "txt", "unknown_field"),
    ])
    func namesTheBadField(json: String, field: String?, code: String) throws {
        let result = try decode(json)
        guard case .failure(let error) = result else {
            Issue.record("expected an error for \(json)")
            return
        }
        #expect(error.field == field)
        #expect(error.code == code)
        #expect(!error.message.isEmpty)
    }

    @Test func unknownFieldSuggestsTheRightOne() throws {
        let result = try decode(#"{"id":"1","channel":"web","from":{"kind":"email","value":"a@b.example"},"text":"x","subjcet":"s"}"#)
        guard case .failure(let error) = result else { Issue.record("expected failure"); return }
        #expect(error.hint == "did you mean 'subject'?")
    }

    @Test func defaultAndAllowedChannels() throws {
        let smsOnly = LocalMessageDecoder(adapterID: "gw", defaultChannel: .sms, allowedChannels: [.sms])
        let message = try decode(#"{"id":"1","from":{"kind":"phone","value":"+4915112345678"},"text":"hi"}"#, with: smsOnly).get()
        #expect(message.channel == .sms)
        let refused = try decode(#"{"id":"1","channel":"email","from":{"kind":"phone","value":"+4915112345678"},"text":"hi"}"#, with: smsOnly)
        guard case .failure(let error) = refused else { Issue.record("expected failure"); return }
        #expect(error.code == "channel_not_allowed")
        #expect(error.field == "channel")
    }

    /// Every channel alone, and the allowed set changed after the decoder was made.
    @Test(arguments: Channel.allCases) func eachChannelIsAllowedOnlyWhenListed(channel: Channel) throws {
        let json = #"{"id":"1","channel":"\#(channel.rawValue)","from":{"kind":"chat","value":"v-1"},"text":"hi"}"#
        var only = LocalMessageDecoder(adapterID: "gw", defaultChannel: nil, allowedChannels: [channel])
        #expect(try decode(json, with: only).get().channel == channel)
        only.allowedChannels = Set(Channel.allCases).subtracting([channel])
        guard case .failure(let error) = try decode(json, with: only) else { Issue.record("expected failure"); return }
        #expect(error.code == "channel_not_allowed")
        only.allowedChannels.insert(channel)
        #expect(try decode(json, with: only).get().channel == channel)
    }

    @Test func knownFieldsAreFoundByLengthAndName() {
        for field in LocalMessageDecoder.knownFields { #expect(LocalMessageDecoder.isKnownField(field)) }
        for other in ["", "i", "ID", "Id", "texts", "tex", "from ", "subjcet", "in_reply_too", "métadata", "ıd",
                      String(repeating: "x", count: 300)] {
            #expect(!LocalMessageDecoder.isKnownField(other), "\(other)")
        }
    }

    @Test func unknownSenderFieldsAreRefused() throws {
        let result = try decode(#"{"id":"1","channel":"web","from":{"kind":"chat","value":"v-1","nam":"x"},"text":"x"}"#)
        guard case .failure(let error) = result else { Issue.record("expected failure"); return }
        #expect(error.field == "from.nam")
        #expect(error.code == "unknown_field")
        #expect(try decode(#"{"id":"1","channel":"web","from":{"name":"A","value":"v-1","kind":"chat"},"text":"x"}"#).get().senderName == "A")
    }

    @Test func attachmentsAloneNeedNoText() throws {
        let message = try decode(#"{"id":"1","channel":"web","from":{"kind":"chat","value":"v-1"},"attachments":[{"content_type":"image/png","size":10}]}"#).get()
        #expect(message.text == "")
        #expect(message.attachments.count == 1)
    }

    @Test func batchPrefixesFieldPaths() {
        let error = FieldError(field: "from.kind", message: "bad").prefixed("messages[3]")
        #expect(error.field == "messages[3].from.kind")
        #expect(FieldError(field: nil, message: "bad").prefixed("messages[0]").field == "messages[0]")
    }
}
