import Foundation
import Testing
@testable import SwitchboardChannels

/// A typical 10 KB mail: Gmail's shape (twenty-odd headers, multipart/alternative, quoted-printable
/// UTF-8 text and HTML, a quoted reply). Release builds parse it in well under 100 µs.
@Suite struct MailParserSpeedTests {
    static func typicalMail() -> [UInt8] {
        var mail = MailFixtures.bytes("01-gmail-reply-alternative.eml")
        let received = "Received: by 2002:a05:6520:2b8a:b0:27c:6f2f:3c41 with SMTP id f10csp1234567lkr;\r\n        Mon, 3 Jun 2024 01:00:56 -0700 (PDT)\r\n"
        let headers = String(repeating: received, count: 12) + "X-Google-DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=1e100.net; s=20230601; t=1717401655; x=1718006455;\r\n h=to:subject:message-id:date:from:in-reply-to:references:mime-version\r\n :x-gm-message-state:from:to:cc:subject:date:message-id:reply-to;\r\n bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=;\r\n"
        mail.insert(contentsOf: Array(headers.utf8), at: 0)
        // Grow the quoted history in both bodies to about 10 KB in all.
        let quote = "> We have looked into your request and updated the billing address on the account. =\r\nThe next invoice will show it.\r\n"
        let marker = Array("> Best regards".utf8)
        if let index = find(marker, in: mail) {
            mail.insert(contentsOf: Array(String(repeating: quote, count: 25).utf8), at: index)
        }
        let htmlQuote = "<p>We have looked into your request and updated the billing address on the account. The=\r\n next invoice will show it.</p>\r\n"
        if let index = find(Array("Best regards</blockquote>".utf8), in: mail) {
            mail.insert(contentsOf: Array(String(repeating: htmlQuote, count: 25).utf8), at: index)
        }
        return mail
    }

    static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard needle.count <= haystack.count else { return nil }
        for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
            if haystack[start..<(start + needle.count)].elementsEqual(needle) { return start }
        }
        return nil
    }

    @Test func typicalMailParsesQuickly() throws {
        let mail = Self.typicalMail()
        #expect((9_000...12_000).contains(mail.count))
        let parsed = try MailParser.parse(mail)
        #expect(parsed.text.contains("updated the billing address"))
        #expect(parsed.html != nil)
        let rounds = 300
        let started = ContinuousClock.now
        for _ in 0..<rounds { _ = try MailParser.parse(mail) }
        let perMail = (ContinuousClock.now - started) / rounds
        // A figure to read, not a pass/fail: speed targets are met in `make bench`, not in unit tests.
        print("typical \(mail.count)-byte mail: \(perMail) per parse")
    }
}
