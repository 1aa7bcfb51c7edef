import Foundation
import SwitchboardCore

/// E.164 normalisation for phone numbers as SMS providers and customers write them, so that the
/// same customer is one contact whatever the format (`+44 20 7946 0958`, `020 7946 0958`,
/// `0044 20 7946 0958`, `+44 (0)20 7946 0958`, `447946...` from Vonage).
///
/// It knows, for a compact table of common regions, the country calling code, the national
/// trunk prefix (`0` in most of Europe, `1` in North America, `8` in Russia, none in Italy or
/// Spain) and the international call prefixes (`00`, `011`, `0011`, ...). That is enough to turn
/// the national and international spellings of a number into one E.164 string. It is not
/// libphonenumber: it does not validate numbering plans per number type, does not know carrier
/// selection codes (Brazil's `0 XX`), Argentina's mobile `9`/`15` rules or Mexico's old `044`,
/// and regions outside the table accept only numbers already written with `+` or `00`.
public enum PhoneNumber {
    /// One region's dialling rules.
    public struct Region: Sendable, Hashable {
        /// ISO 3166-1 alpha-2 code.
        public var code: String
        public var callingCode: String
        /// Dialled before a national number inside the country, dropped in E.164; nil when none.
        public var trunkPrefix: String?
        /// Dialled before a country code from inside the country, longest first.
        public var internationalPrefixes: [String]

        public init(_ code: String, _ callingCode: String, trunk: String?, international: [String]) {
            self.code = code
            self.callingCode = callingCode
            self.trunkPrefix = trunk
            self.internationalPrefixes = international.sorted { $0.count > $1.count }
        }

        var isNANP: Bool { callingCode == "1" }
    }

    public enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
        case empty
        case invalidCharacter(Character)
        case nationalWithoutRegion
        case unknownRegion(String)
        case badLength(digits: Int)

        public var description: String {
            switch self {
            case .empty: "is empty"
            case .invalidCharacter(let c): "has a character that is not part of a phone number: '\(c)'"
            case .nationalWithoutRegion: "is a national number and no default region is configured"
            case .unknownRegion(let code): "the region \(code) is not in the table; write numbers with + and the country code"
            case .badLength(let digits): "has \(digits) digits with the country code; E.164 numbers have 8 to 15"
            }
        }
    }

    /// The regions known, by ISO code.
    public static let regions: [String: Region] = {
        let list: [Region] = [
            Region("US", "1", trunk: "1", international: ["011"]),
            Region("CA", "1", trunk: "1", international: ["011"]),
            Region("PR", "1", trunk: "1", international: ["011"]),
            Region("GB", "44", trunk: "0", international: ["00"]),
            Region("IE", "353", trunk: "0", international: ["00"]),
            Region("DE", "49", trunk: "0", international: ["00"]),
            Region("AT", "43", trunk: "0", international: ["00"]),
            Region("CH", "41", trunk: "0", international: ["00"]),
            Region("FR", "33", trunk: "0", international: ["00"]),
            Region("BE", "32", trunk: "0", international: ["00"]),
            Region("NL", "31", trunk: "0", international: ["00"]),
            Region("LU", "352", trunk: nil, international: ["00"]),
            Region("IT", "39", trunk: nil, international: ["00"]),
            Region("ES", "34", trunk: nil, international: ["00"]),
            Region("PT", "351", trunk: nil, international: ["00"]),
            Region("DK", "45", trunk: nil, international: ["00"]),
            Region("SE", "46", trunk: "0", international: ["00"]),
            Region("NO", "47", trunk: nil, international: ["00"]),
            Region("FI", "358", trunk: "0", international: ["00", "990", "994", "999"]),
            Region("IS", "354", trunk: nil, international: ["00"]),
            Region("PL", "48", trunk: nil, international: ["00"]),
            Region("CZ", "420", trunk: nil, international: ["00"]),
            Region("SK", "421", trunk: "0", international: ["00"]),
            Region("HU", "36", trunk: "06", international: ["00"]),
            Region("RO", "40", trunk: "0", international: ["00"]),
            Region("BG", "359", trunk: "0", international: ["00"]),
            Region("GR", "30", trunk: nil, international: ["00"]),
            Region("TR", "90", trunk: "0", international: ["00"]),
            Region("RU", "7", trunk: "8", international: ["810"]),
            Region("KZ", "7", trunk: "8", international: ["810"]),
            Region("UA", "380", trunk: "0", international: ["00"]),
            Region("IL", "972", trunk: "0", international: ["00", "012", "013", "014"]),
            Region("AE", "971", trunk: "0", international: ["00"]),
            Region("SA", "966", trunk: "0", international: ["00"]),
            Region("IN", "91", trunk: "0", international: ["00"]),
            Region("PK", "92", trunk: "0", international: ["00"]),
            Region("CN", "86", trunk: "0", international: ["00"]),
            Region("HK", "852", trunk: nil, international: ["001"]),
            Region("SG", "65", trunk: nil, international: ["001", "008"]),
            Region("MY", "60", trunk: "0", international: ["00"]),
            Region("TH", "66", trunk: "0", international: ["001"]),
            Region("PH", "63", trunk: "0", international: ["00"]),
            Region("ID", "62", trunk: "0", international: ["001", "007"]),
            Region("VN", "84", trunk: "0", international: ["00"]),
            Region("JP", "81", trunk: "0", international: ["010"]),
            Region("KR", "82", trunk: "0", international: ["001", "002"]),
            Region("TW", "886", trunk: "0", international: ["002"]),
            Region("AU", "61", trunk: "0", international: ["0011"]),
            Region("NZ", "64", trunk: "0", international: ["00"]),
            Region("ZA", "27", trunk: "0", international: ["00"]),
            Region("NG", "234", trunk: "0", international: ["009"]),
            Region("KE", "254", trunk: "0", international: ["000"]),
            Region("EG", "20", trunk: "0", international: ["00"]),
            Region("MA", "212", trunk: "0", international: ["00"]),
            Region("BR", "55", trunk: "0", international: ["00"]),
            Region("AR", "54", trunk: "0", international: ["00"]),
            Region("MX", "52", trunk: nil, international: ["00"]),
            Region("CL", "56", trunk: nil, international: ["00"]),
            Region("CO", "57", trunk: nil, international: ["00"]),
            Region("PE", "51", trunk: "0", international: ["00"]),
        ]
        return Dictionary(uniqueKeysWithValues: list.map { ($0.code, $0) })
    }()

    /// The region for an ISO code (any case), or nil.
    public static func region(_ code: String) -> Region? { regions[code.uppercased()] }

    /// Normalises `raw` to E.164 (`+` and 8 to 15 digits). A number without `+` or an
    /// international prefix is read as national in `defaultRegion`.
    public static func e164(_ raw: String, defaultRegion: String?) -> Result<String, Failure> {
        var text = ASCIIText.trimmed(raw)
        // The usual case, already E.164: "+" and 8 to 15 ASCII digits.
        if text.utf8.first == UInt8(ascii: "+"), (9...16).contains(text.utf8.count), ASCIIText.isAllDigits(text.dropFirst()) {
            return .success(String(text))
        }
        for scheme in ["tel:", "sms:"] where ASCIIText.equalsIgnoringCase(text.prefix(4), scheme) { text = text.dropFirst(scheme.count) }
        if let semicolon = text.firstIndex(of: ";") { text = text[..<semicolon] }  // tel: parameters
        guard !text.isEmpty else { return .failure(.empty) }

        let plus = text.first == "+" || text.first == "＋"
        if plus { text = text.dropFirst() }
        var digits = ""
        var index = text.startIndex
        while index < text.endIndex {
            let c = text[index]
            // "+44 (0)20 ...": the trunk prefix written in brackets inside an international number.
            if c == "(", text[index...].hasPrefix("(0)"), plus || digits.hasPrefix("00") {
                index = text.index(index, offsetBy: 3)
                continue
            }
            // Decimal digits of any script (full-width, Arabic-Indic, ...), never other numerals (⑩, 万).
            if let value = c.wholeNumberValue, (0...9).contains(value), c.unicodeScalars.count == 1,
               c.unicodeScalars.first!.properties.numericType == .decimal {
                digits.append(String(value))
            } else if !" -.()/\u{00A0}\u{2009}\u{202F}".contains(c) {
                return .failure(.invalidCharacter(c))
            }
            index = text.index(after: index)
        }
        guard !digits.isEmpty else { return .failure(.empty) }

        var international: String?
        if plus {
            international = digits
        } else {
            let region = defaultRegion.flatMap(self.region)
            if let defaultRegion, region == nil { return .failure(.unknownRegion(defaultRegion)) }
            for prefix in (region?.internationalPrefixes ?? []) + ["00"] where digits.hasPrefix(prefix) {
                international = String(digits.dropFirst(prefix.count))
                break
            }
            if international == nil {
                guard let region else { return .failure(.nationalWithoutRegion) }
                international = national(digits, in: region)
            }
        }
        guard let international, (8...15).contains(international.count) else {
            return .failure(.badLength(digits: international?.count ?? 0))
        }
        return .success("+" + international)
    }

    /// A national number with the trunk prefix dropped and the calling code in front.
    static func national(_ digits: String, in region: Region) -> String? {
        var number = Substring(digits)
        if region.isNANP {
            if number.count == 11, number.first == "1" { number = number.dropFirst() }
            guard number.count == 10, let first = number.first, first != "0", first != "1" else { return nil }
            return "1" + number
        }
        if let trunk = region.trunkPrefix, number.hasPrefix(trunk), number.count > trunk.count + 4 {
            number = number.dropFirst(trunk.count)
        }
        return region.callingCode + number
    }

    /// The sender identity for an SMS number: the E.164 phone identity when the number can be
    /// normalised; otherwise (short codes, alphanumeric sender ids) an external identity
    /// `sms:<as sent>`, so the message is still stored and the sender still recognisable.
    public static func senderIdentity(_ raw: String, defaultRegion: String?) -> Identity {
        // e164 answers "+" and 8 to 15 ASCII digits: already Identity's normalized phone form.
        if case .success(let e164) = e164(raw, defaultRegion: defaultRegion) {
            return Identity(kind: .phone, value: e164)
        }
        let trimmed = ASCIIText.trimmed(raw)
        let value = "sms:" + (trimmed.isEmpty ? "unknown" : String(trimmed.prefix(64)))
        return (try? Identity.normalized(kind: .external, value: value).get()) ?? Identity(kind: .external, value: "sms:unknown")
    }
}
