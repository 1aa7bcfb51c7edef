import Foundation
import Testing
import SwitchboardCore
@testable import SwitchboardChannels

@Suite struct SMSPhoneNumberTests {
    @Test(arguments: [
        // The same London number however it is written.
        ("+44 20 7946 0958", "GB", "+442079460958"),
        ("020 7946 0958", "GB", "+442079460958"),
        ("0044 20 7946 0958", "GB", "+442079460958"),
        ("+44 (0)20 7946 0958", "GB", "+442079460958"),
        ("+44 (0)20 7946 0958", nil, "+442079460958"),
        ("0044 (0)20 7946 0958", "DE", "+442079460958"),
        ("tel:+44-20-7946-0958", nil, "+442079460958"),
        ("011 44 20 7946 0958", "US", "+442079460958"),
        // North America: trunk 1, area codes 2-9.
        ("(415) 555-0123", "US", "+14155550123"),
        ("1-415-555-0123", "US", "+14155550123"),
        ("415.555.0123", "CA", "+14155550123"),
        ("+1 415 555 0123", "GB", "+14155550123"),
        // Regions with no trunk prefix keep their leading 0 (Italy) or have none (Spain).
        ("06 6982 1234", "IT", "+390669821234"),
        ("612 345 678", "ES", "+34612345678"),
        // Others.
        ("0151 12345678", "DE", "+4915112345678"),
        ("06 12 34 56 78", "FR", "+33612345678"),
        ("8 912 345 67 89", "RU", "+79123456789"),
        ("810 44 20 7946 0958", "RU", "+442079460958"),
        ("0412 345 678", "AU", "+61412345678"),
        ("0011 44 20 7946 0958", "AU", "+442079460958"),
        ("090-1234-5678", "JP", "+819012345678"),
        ("06 30 123 4567", "HU", "+36301234567"),
        ("98765 43210", "IN", "+919876543210"),
        ("+４４ ２０ ７９４６ ０９５８", nil, "+442079460958"),
    ] as [(String, String?, String)])
    func normalises(raw: String, region: String?, expected: String) throws {
        #expect(try PhoneNumber.e164(raw, defaultRegion: region).get() == expected)
    }

    @Test func failures() {
        #expect(PhoneNumber.e164("", defaultRegion: "GB") == .failure(.empty))
        #expect(PhoneNumber.e164("020 7946 0958", defaultRegion: nil) == .failure(.nationalWithoutRegion))
        #expect(PhoneNumber.e164("020 7946 0958", defaultRegion: "XX") == .failure(.unknownRegion("XX")))
        #expect(PhoneNumber.e164("1-800-FLOWERS", defaultRegion: "US") == .failure(.invalidCharacter("F")))
        #expect(PhoneNumber.e164("+1234", defaultRegion: nil) == .failure(.badLength(digits: 4)))
        #expect(PhoneNumber.e164("555-0123", defaultRegion: "US") == .failure(.badLength(digits: 0)), "a local number without area code")
    }

    @Test func senderIdentity() {
        #expect(PhoneNumber.senderIdentity("07700 900123", defaultRegion: "GB") == Identity(kind: .phone, value: "+447700900123"))
        #expect(PhoneNumber.senderIdentity("+447700900123", defaultRegion: nil) == Identity(kind: .phone, value: "+447700900123"))
        // Short codes and alphanumeric senders are kept, as external identities.
        #expect(PhoneNumber.senderIdentity("72404", defaultRegion: "US") == Identity(kind: .external, value: "sms:72404"))
        #expect(PhoneNumber.senderIdentity("ACME Bank", defaultRegion: "GB") == Identity(kind: .external, value: "sms:ACME Bank"))
    }

    @Test func everyRegionIsConsistent() {
        for (code, region) in PhoneNumber.regions {
            #expect(code == region.code)
            #expect(!region.callingCode.isEmpty && region.callingCode.allSatisfy(\.isNumber))
            #expect(!region.internationalPrefixes.isEmpty)
        }
    }
}

@Suite struct SMSKeywordTests {
    @Test(arguments: [
        ("STOP", SMSKeyword.stop), ("stop", .stop), (" Stop! ", .stop), ("unsubscribe", .unsubscribe_), ("Cancel.", .stop),
        ("START", .start), ("unstop", .start), ("yes", .start), ("HELP", .help), ("info", .help),
    ] as [(String, SMSKeyword)])
    func detects(text: String, keyword: SMSKeyword) {
        #expect(SMSKeyword.detect(text) == keyword)
    }

    @Test(arguments: ["please stop calling me", "STOP IT", "", "stopp", "help me with my order"])
    func ignoresSentences(text: String) {
        #expect(SMSKeyword.detect(text) == nil)
    }

    @Test func attributes() {
        #expect(SMSKeyword.stop.contactAttributes == ["sms_opt_out": "true"])
        #expect(SMSKeyword.start.contactAttributes == ["sms_opt_out": "false"])
        #expect(SMSKeyword.help.contactAttributes == [:])
        #expect(SMSKeyword.fromOptOutType("STOP") == .stop)
        #expect(SMSKeyword.fromOptOutType(nil) == nil)
    }
}

extension SMSKeyword {
    /// UNSUBSCRIBE is a synonym of STOP.
    static var unsubscribe_: SMSKeyword { .stop }
}
