import Testing
@testable import SwitchboardChannels

@Suite struct SMSSegmentsTests {
    @Test(arguments: [
        (String(repeating: "a", count: 160), SMSSegments.Encoding.gsm7, 160, 1),
        (String(repeating: "a", count: 161), .gsm7, 161, 2),
        (String(repeating: "a", count: 306), .gsm7, 306, 2),
        (String(repeating: "a", count: 307), .gsm7, 307, 3),
        (String(repeating: "€", count: 80), .gsm7, 160, 1),
        (String(repeating: "€", count: 81), .gsm7, 162, 2),
        ("Grüße aus München, Ñandu, ¿qué?", .gsm7, 31, 1),
        ("Ñandú", .ucs2, 5, 1),
        (String(repeating: "é", count: 70) + "ç", .ucs2, 71, 2),  // ç is not GSM-7 (only Ç is)
        (String(repeating: "日", count: 70), .ucs2, 70, 1),
        (String(repeating: "日", count: 71), .ucs2, 71, 2),
        (String(repeating: "😀", count: 35), .ucs2, 70, 1),
        (String(repeating: "😀", count: 36), .ucs2, 72, 2),
        ("", .gsm7, 0, 1),
    ] as [(String, SMSSegments.Encoding, Int, Int)])
    func counts(text: String, encoding: SMSSegments.Encoding, units: Int, segments: Int) {
        let s = SMSSegments(text)
        #expect(s.encoding == encoding)
        #expect(s.units == units)
        #expect(s.count == segments)
        #expect(s.parts.joined() == text)
    }

    @Test func escapesAndSurrogatesAreNotSplit() {
        // 152 'a' then '€' (2 septets) would straddle the 153-septet boundary: it moves whole.
        let s = SMSSegments(String(repeating: "a", count: 152) + "€" + String(repeating: "b", count: 10))
        #expect(s.parts[0] == String(repeating: "a", count: 152))
        #expect(s.parts[1].hasPrefix("€"))
        // 66 units then an emoji (2 units) across the 67-unit boundary.
        let u = SMSSegments(String(repeating: "日", count: 66) + "😀" + "日日日日日")
        #expect(u.parts[0] == String(repeating: "日", count: 66))
        #expect(u.parts[1].hasPrefix("😀"))
    }

    @Test func longAnswerPolicy() {
        let long = String(repeating: "word ", count: 200)
        #expect(SMSLongAnswerPolicy.refuse.decide("short", maxSegments: 1) == .send(SMSSegments("short")))
        #expect(SMSLongAnswerPolicy.refuse.decide(long, maxSegments: 3) == .refuse(segments: 7))
        let pointer = "Our full answer is in your email."
        #expect(SMSLongAnswerPolicy.pointer(pointer).decide(long, maxSegments: 3) == .sendPointer(SMSSegments(pointer)))
    }
}

@Suite struct SMSDeliveryReceiptTests {
    @Test func twilioStatusCallback() {
        let r = SMSDeliveryReceipt.twilio(FormParameters([("MessageSid", "SM1"), ("MessageStatus", "undelivered"), ("ErrorCode", "30003")]))
        #expect(r == SMSDeliveryReceipt(provider: "twilio", providerMessageID: "SM1", state: .undelivered, errorCode: "30003", providerStatus: "undelivered"))
        #expect(r?.state.isFinal == true)
        #expect(SMSDeliveryReceipt.twilio(FormParameters([("MessageSid", "SM1"), ("MessageStatus", "sent")]))?.state == .sent)
        #expect(SMSDeliveryReceipt.twilio(FormParameters([("MessageStatus", "sent")])) == nil)
    }

    @Test func vonageReceipt() {
        let r = SMSDeliveryReceipt.vonage(FormParameters([("messageId", "0A1"), ("status", "delivered"), ("err-code", "0"), ("msisdn", "447700900123")]))
        #expect(r?.state == .delivered)
        #expect(r?.errorCode == nil)
        #expect(SMSDeliveryReceipt.vonage(FormParameters([("messageId", "0A1"), ("status", "rejected"), ("err-code", "6")]))?.errorCode == "6")
        #expect(SMSDeliveryReceipt.vonage(FormParameters([("messageId", "0A1"), ("status", "buffered")]))?.state.isFinal == false)
    }

    @Test func statusCallbacksAreSignedLikeWebhooks() {
        // A Twilio status callback is checked with the same validator as an inbound message.
        let params = FormParameters([("MessageSid", "SM1"), ("MessageStatus", "delivered"), ("AccountSid", "AC1")])
        let url = "https://support.example.com/sms/twilio-status"
        let key = Array("12345".utf8)
        let signature = TwilioSignature.signature(url: url, parameters: params, key: key)
        #expect(TwilioSignature(authToken: key).validate(url: url, payload: .form(params), signature: signature) == .success(()))
    }
}
