import Foundation

/// When a contact centre (or one of its teams) is open: weekly opening hours in a time zone, and
/// holidays when it is closed all day. Service-level clocks count only open time, matrix rules can
/// match "inside/outside business hours", and agents' shifts are calendars too.
///
/// All computations take instants (`Date`) and never read the clock. Local times are converted
/// with the zone's UTC offset at that instant, so daylight-saving changes are honoured: a day with
/// opening hours `00:00-24:00` lasts 23 hours on the spring-forward Sunday and 25 on the fall-back
/// one, and an opening time inside the skipped hour moves to just after it.
public struct BusinessCalendar: Sendable, Hashable {
    public var id: String
    public var timeZone: TimeZone
    /// Opening ranges per weekday, sorted and not overlapping; a weekday that is absent is closed.
    public var hours: [Weekday: [OpeningHours]]
    /// Local dates on which the calendar is closed all day.
    public var holidays: Set<LocalDate>

    public init(id: String, timeZone: TimeZone, hours: [Weekday: [OpeningHours]], holidays: Set<LocalDate> = []) {
        self.id = id
        self.timeZone = timeZone
        self.hours = hours.mapValues { $0.sorted { $0.startMinute < $1.startMinute } }
        self.holidays = holidays
    }

    /// Open around the clock, every day, in UTC (what a queue without a calendar uses).
    public static func alwaysOpen(id: String = "always") -> BusinessCalendar {
        BusinessCalendar(id: id, timeZone: TimeZone(identifier: "UTC")!,
                         hours: Dictionary(uniqueKeysWithValues: Weekday.allCases.map { ($0, [OpeningHours(startMinute: 0, endMinute: 1440)]) }))
    }

    /// Whether the calendar ever opens (a calendar with no hours never does).
    public var everOpens: Bool { hours.values.contains { !$0.isEmpty } }

    // MARK: Local time

    /// The local date of an instant in this calendar's zone.
    public func localDate(of instant: Date) -> LocalDate {
        let seconds = instant.timeIntervalSince1970 + Double(timeZone.secondsFromGMT(for: instant))
        return LocalDate(daysSinceEpoch: Int((seconds / 86_400).rounded(.down)))
    }

    /// The instant of a local wall time (`minute` after local midnight, up to 1440) on `date`.
    public func instant(on date: LocalDate, minute: Int) -> Date {
        let local = Double(date.daysSinceEpoch) * 86_400 + Double(minute) * 60
        var utc = local - Double(timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: local)))
        utc = local - Double(timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: utc)))
        return Date(timeIntervalSince1970: utc)
    }

    /// The open intervals of one local day, as instants, in order (none on holidays).
    public func openIntervals(on date: LocalDate) -> [Range<Date>] {
        guard !holidays.contains(date), let ranges = hours[date.weekday], !ranges.isEmpty else { return [] }
        var result: [Range<Date>] = []
        result.reserveCapacity(ranges.count)
        for range in ranges {
            let start = instant(on: date, minute: range.startMinute)
            let end = instant(on: date, minute: range.endMinute)
            if start < end { result.append(start..<end) }
        }
        return result
    }

    // MARK: Questions

    public func isOpen(at instant: Date) -> Bool {
        openIntervals(on: localDate(of: instant)).contains { $0.contains(instant) }
    }

    /// Open seconds between two instants (0 when `end` is not after `start`).
    public func businessSeconds(from start: Date, to end: Date) -> Double {
        guard start < end, everOpens else { return 0 }
        var day = localDate(of: start).adding(days: -1)
        var total = 0.0
        for _ in 0..<Self.maximumDays {
            if instant(on: day, minute: 0) >= end { break }
            for interval in openIntervals(on: day) {
                let low = max(interval.lowerBound, start)
                let high = min(interval.upperBound, end)
                if low < high { total += high.timeIntervalSince(low) }
            }
            day = day.adding(days: 1)
        }
        return total
    }

    /// The instant at which `seconds` of open time have passed since `start`; nil when the
    /// calendar does not open again within ten years.
    public func date(addingBusinessSeconds seconds: Double, to start: Date) -> Date? {
        guard seconds > 0 else { return start }
        guard everOpens else { return nil }
        var remaining = seconds
        var day = localDate(of: start).adding(days: -1)
        for _ in 0..<Self.maximumDays {
            for interval in openIntervals(on: day) where interval.upperBound > start {
                let low = max(interval.lowerBound, start)
                let available = interval.upperBound.timeIntervalSince(low)
                if remaining <= available { return low.addingTimeInterval(remaining) }
                remaining -= available
            }
            day = day.adding(days: 1)
        }
        return nil
    }

    /// The next instant after `instant` at which the calendar opens or closes.
    public func nextChange(after instant: Date) -> Date? {
        guard everOpens else { return nil }
        var day = localDate(of: instant).adding(days: -1)
        for _ in 0..<Self.maximumDays {
            for interval in openIntervals(on: day) {
                if interval.lowerBound > instant { return interval.lowerBound }
                if interval.upperBound > instant { return interval.upperBound }
            }
            day = day.adding(days: 1)
        }
        return nil
    }

    /// How far ahead the calendar looks (ten years of days).
    static let maximumDays = 3_660
}

/// A weekday, named the way the configuration writes it.
public enum Weekday: String, Sendable, Hashable, CaseIterable, Comparable {
    case mon, tue, wed, thu, fri, sat, sun

    public var index: Int { Weekday.allCases.firstIndex(of: self)! }
    public static func < (lhs: Weekday, rhs: Weekday) -> Bool { lhs.index < rhs.index }
}

/// One opening range of a day in minutes after local midnight: `08:00-18:00` is 480..<1080;
/// `00:00-24:00` is the whole day.
public struct OpeningHours: Sendable, Hashable, CustomStringConvertible {
    public var startMinute: Int
    public var endMinute: Int

    public init(startMinute: Int, endMinute: Int) {
        self.startMinute = startMinute
        self.endMinute = endMinute
    }

    /// Parses `"08:00-18:00"`; the end may be `24:00` and must be after the start.
    public static func parse(_ text: String) -> OpeningHours? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, let start = minute(of: parts[0].trimmingCharacters(in: .whitespaces)),
              let end = minute(of: parts[1].trimmingCharacters(in: .whitespaces)), start < end else { return nil }
        return OpeningHours(startMinute: start, endMinute: end)
    }

    /// `"HH:MM"` → minutes after midnight (`24:00` is 1440).
    public static func minute(of text: String) -> Int? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 2, parts[1].count == 2,
              let hour = Int(parts[0]), let minute = Int(parts[1]), (0...24).contains(hour), (0..<60).contains(minute),
              hour < 24 || minute == 0 else { return nil }
        return hour * 60 + minute
    }

    public var description: String {
        func clock(_ minute: Int) -> String {
            let hour = minute / 60, rest = minute % 60
            return (hour < 10 ? "0" : "") + "\(hour):" + (rest < 10 ? "0" : "") + "\(rest)"
        }
        return clock(startMinute) + "-" + clock(endMinute)
    }
}

/// A calendar date without a time or zone (a holiday, a local day of a calendar).
public struct LocalDate: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var year: Int
    public var month: Int
    public var day: Int

    public init(year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    /// `"2025-12-25"`; nil for anything else or a date that does not exist.
    public init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
              (1...12).contains(month), (1...31).contains(day) else { return nil }
        self.init(year: year, month: month, day: day)
        guard LocalDate(daysSinceEpoch: daysSinceEpoch) == self else { return nil }
    }

    /// Days since 1970-01-01 (Howard Hinnant's days-from-civil).
    public var daysSinceEpoch: Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    public init(daysSinceEpoch days: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        day = doy - (153 * mp + 2) / 5 + 1
        month = mp < 10 ? mp + 3 : mp - 9
        year = yoe + era * 400 + (month <= 2 ? 1 : 0)
    }

    public func adding(days: Int) -> LocalDate { LocalDate(daysSinceEpoch: daysSinceEpoch + days) }

    /// 1970-01-01 was a Thursday.
    public var weekday: Weekday {
        let index = ((daysSinceEpoch % 7) + 7 + 3) % 7
        return Weekday.allCases[index]
    }

    public static func < (lhs: LocalDate, rhs: LocalDate) -> Bool { lhs.daysSinceEpoch < rhs.daysSinceEpoch }

    public var description: String {
        func pad(_ value: Int, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
    }
}
