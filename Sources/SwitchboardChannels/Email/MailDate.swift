import Foundation

/// RFC 5322 dates, with the obsolete forms still sent: two-digit years, named zones (`EST`,
/// `GMT`, military letters), no seconds, no weekday, a trailing `(CET)` comment.
enum MailDate {
    private static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    private static let zones: [String: Int] = [
        "ut": 0, "utc": 0, "gmt": 0, "z": 0, "est": -5 * 60, "edt": -4 * 60, "cst": -6 * 60, "cdt": -5 * 60,
        "mst": -7 * 60, "mdt": -6 * 60, "pst": -8 * 60, "pdt": -7 * 60, "cet": 60, "cest": 120, "bst": 60,
    ]

    static func parse(_ text: String) -> Date? {
        var bytes = Array(text.utf8)
        if let paren = bytes.firstIndex(of: UInt8(ascii: "(")) { bytes.removeSubrange(paren...) }
        let tokens = bytes.split { $0 == 0x20 || $0 == 0x09 || $0 == UInt8(ascii: ",") || $0 == 0x0D || $0 == 0x0A }
        var day: Int?
        var month: Int?
        var year: Int?
        var time: (Int, Int, Int)?
        var offsetMinutes = 0
        for token in tokens {
            if token.contains(UInt8(ascii: ":")) {
                guard time == nil else { continue }
                let fields = token.split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false).map(number)
                guard fields.count >= 2, fields.count <= 3, fields.allSatisfy({ $0 != nil }) else { continue }
                time = (fields[0]!, fields[1]!, fields.count > 2 ? fields[2]! : 0)
            } else if let first = token.first, first == UInt8(ascii: "+") || first == UInt8(ascii: "-"), token.count == 5,
                      let value = number(token.dropFirst()) {
                let minutes = (value / 100) * 60 + value % 100
                offsetMinutes = first == UInt8(ascii: "-") ? -minutes : minutes
            } else if let value = number(token) {
                if day == nil && token.count <= 2 {
                    day = value
                } else if year == nil {
                    year = value
                }
            } else {
                let word = String(decoding: token.map(MIMEParameters.lowercase), as: UTF8.self)
                if month == nil, word.utf8.count >= 3, let index = months.firstIndex(of: String(word.prefix(3))) {
                    month = index + 1
                } else if let zone = zones[word] {
                    offsetMinutes = zone
                }
            }
        }
        guard let day, let month, var year, (1...31).contains(day) else { return nil }
        if year < 50 { year += 2000 } else if year < 1000 { year += 1900 }
        let (hour, minute, second) = time ?? (0, 0, 0)
        guard (0...23).contains(hour), (0...59).contains(minute), (0...60).contains(second) else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        let seconds = days * 86_400 + hour * 3_600 + minute * 60 + second - offsetMinutes * 60
        return Date(timeIntervalSince1970: TimeInterval(seconds))
    }

    private static func number(_ digits: ArraySlice<UInt8>) -> Int? {
        guard !digits.isEmpty, digits.count <= 9 else { return nil }
        var value = 0
        for digit in digits {
            guard digit >= UInt8(ascii: "0") && digit <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int(digit - UInt8(ascii: "0"))
        }
        return value
    }

    /// Days since 1970-01-01 in the proleptic Gregorian calendar (H. Hinnant's algorithm).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
