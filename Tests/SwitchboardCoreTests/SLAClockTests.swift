import Foundation
import Testing
@testable import SwitchboardCore

func calendar(_ zone: String, _ hours: [Weekday: [OpeningHours]], holidays: [String] = []) -> BusinessCalendar {
    BusinessCalendar(id: "test", timeZone: TimeZone(identifier: zone)!, hours: hours,
                     holidays: Set(holidays.compactMap(LocalDate.init)))
}

func weekdays(_ text: String) -> [Weekday: [OpeningHours]] {
    let range = OpeningHours.parse(text)!
    return [.mon: [range], .tue: [range], .wed: [range], .thu: [range], .fri: [range]]
}

@Suite struct SLAClockTests {
    let berlin = calendar("Europe/Berlin", weekdays("09:00-17:00"))

    // MARK: Calendars

    @Test func localDatesAndWeekdays() {
        #expect(LocalDate("2025-03-11")?.weekday == .tue)
        #expect(LocalDate("2024-02-29")?.weekday == .thu)
        #expect(LocalDate("2025-02-29") == nil)
        #expect(LocalDate("1969-12-31")?.weekday == .wed)
        #expect(LocalDate(daysSinceEpoch: LocalDate("2031-07-04")!.daysSinceEpoch).description == "2031-07-04")
    }

    @Test func openAndClosedAcrossTheDay() {
        // 07:59 UTC is 08:59 in Berlin (CET, UTC+1).
        #expect(!berlin.isOpen(at: at("2025-03-11T07:59:00Z")))
        #expect(berlin.isOpen(at: at("2025-03-11T08:00:00Z")))
        #expect(berlin.isOpen(at: at("2025-03-11T15:59:59Z")))
        #expect(!berlin.isOpen(at: at("2025-03-11T16:00:00Z")))
        #expect(!berlin.isOpen(at: at("2025-03-15T10:00:00Z")))  // Saturday
        #expect(berlin.nextChange(after: at("2025-03-14T17:00:00Z")) == at("2025-03-17T08:00:00Z"))
    }

    @Test func businessTimeAcrossAWeekend() {
        // Friday 16:30 to Monday 09:30 in Berlin: half an hour on Friday, half an hour on Monday.
        #expect(berlin.businessSeconds(from: at("2025-03-14T15:30:00Z"), to: at("2025-03-17T08:30:00Z")) == 3600)
        // One hour of target from Friday 16:30 ends Monday 09:30.
        #expect(berlin.date(addingBusinessSeconds: 3600, to: at("2025-03-14T15:30:00Z")) == at("2025-03-17T08:30:00Z"))
        // Starting on a Saturday, the first hour ends Monday 10:00.
        #expect(berlin.date(addingBusinessSeconds: 3600, to: at("2025-03-15T12:00:00Z")) == at("2025-03-17T09:00:00Z"))
    }

    @Test func holidaysAreClosed() {
        let withHoliday = calendar("Europe/Berlin", weekdays("09:00-17:00"), holidays: ["2025-03-17"])
        #expect(!withHoliday.isOpen(at: at("2025-03-17T10:00:00Z")))
        #expect(withHoliday.date(addingBusinessSeconds: 3600, to: at("2025-03-14T15:30:00Z")) == at("2025-03-18T08:30:00Z"))
        #expect(withHoliday.businessSeconds(from: at("2025-03-14T00:00:00Z"), to: at("2025-03-19T00:00:00Z")) == 2 * 8 * 3600)
    }

    @Test func theSameInstantInDifferentTimeZones() {
        let newYork = calendar("America/New_York", weekdays("09:00-17:00"))
        let tokyo = calendar("Asia/Tokyo", weekdays("09:00-17:00"))
        let instant = at("2025-03-11T14:00:00Z")  // 15:00 Berlin, 10:00 New York (EDT), 23:00 Tokyo
        #expect(berlin.isOpen(at: instant))
        #expect(newYork.isOpen(at: instant))
        #expect(!tokyo.isOpen(at: instant))
        // Two hours of work starting then: Berlin finishes at 17:00 local, New York at 12:00 local.
        #expect(berlin.date(addingBusinessSeconds: 7200, to: instant) == at("2025-03-11T16:00:00Z"))
        #expect(newYork.date(addingBusinessSeconds: 7200, to: instant) == at("2025-03-11T16:00:00Z"))
        // Tokyo opens at 09:00 JST on Wednesday = 00:00 UTC.
        #expect(tokyo.date(addingBusinessSeconds: 7200, to: instant) == at("2025-03-12T02:00:00Z"))
    }

    @Test func daylightSavingChanges() {
        let always = calendar("Europe/Berlin", Dictionary(uniqueKeysWithValues: Weekday.allCases.map { ($0, [OpeningHours(startMinute: 0, endMinute: 1440)]) }))
        // Sunday 30 March 2025 has 23 hours in Berlin, Sunday 26 October 25.
        let springDay = always.openIntervals(on: LocalDate("2025-03-30")!)
        #expect(springDay.map { $0.upperBound.timeIntervalSince($0.lowerBound) } == [23 * 3600])
        let autumnDay = always.openIntervals(on: LocalDate("2025-10-26")!)
        #expect(autumnDay.map { $0.upperBound.timeIntervalSince($0.lowerBound) } == [25 * 3600])
        // Hours 01:00-04:00 on the spring-forward night are two real hours (02:00-03:00 does not exist).
        let night = calendar("Europe/Berlin", [.sun: [OpeningHours(startMinute: 60, endMinute: 240)]])
        #expect(night.businessSeconds(from: at("2025-03-29T00:00:00Z"), to: at("2025-03-31T00:00:00Z")) == 2 * 3600)
        // 09:00-17:00 is eight hours either side of the change, at a different UTC offset.
        let office = calendar("Europe/Berlin", [.fri: [OpeningHours(startMinute: 540, endMinute: 1020)], .mon: [OpeningHours(startMinute: 540, endMinute: 1020)]])
        #expect(office.openIntervals(on: LocalDate("2025-03-28")!) == [at("2025-03-28T08:00:00Z")..<at("2025-03-28T16:00:00Z")])
        #expect(office.openIntervals(on: LocalDate("2025-03-31")!) == [at("2025-03-31T07:00:00Z")..<at("2025-03-31T15:00:00Z")])
        // A 2-hour target from Friday 16:00 CET ends Monday 10:00 CEST.
        #expect(office.date(addingBusinessSeconds: 7200, to: at("2025-03-28T15:00:00Z")) == at("2025-03-31T08:00:00Z"))
    }

    // MARK: Clocks

    @Test func aClockMeetsItsTarget() {
        var clock = SLAClock(kind: .firstResponse, target: .seconds(3600), calendar: berlin, start: at("2025-03-11T09:00:00Z"))
        #expect(clock.state == .running)
        #expect(clock.deadline == at("2025-03-11T10:00:00Z"))
        #expect(clock.update(at: at("2025-03-11T09:59:00Z")).isEmpty)
        #expect(clock.stop(at: at("2025-03-11T09:40:00Z")).map(\.event) == [.met])
        #expect(clock.state == .met)
        #expect(clock.elapsed(at: at("2025-03-11T12:00:00Z")) == 2400)
        #expect(clock.events.map(\.event) == [.started, .met])
    }

    @Test func aBreachIsRecordedAtTheInstantItHappened() {
        var clock = SLAClock(kind: .firstResponse, target: .seconds(1800), calendar: berlin, start: at("2025-03-11T15:45:00Z"))
        // 15 minutes on Tuesday, the other 15 on Wednesday morning.
        let events = clock.update(at: at("2025-03-12T12:00:00Z"))
        #expect(events == [SLAEvent(kind: .firstResponse, event: .breached, time: at("2025-03-12T08:15:00Z"))])
        #expect(clock.state == .breached)
        #expect(clock.update(at: at("2025-03-12T13:00:00Z")).isEmpty)
        #expect(clock.stop(at: at("2025-03-12T13:00:00Z")).map(\.event) == [.stopped])
        #expect(clock.state == .breached)
    }

    @Test func theClockDoesNotRunOutsideHours() {
        var clock = SLAClock(kind: .resolution, target: .seconds(8 * 3600), calendar: berlin, start: at("2025-03-15T10:00:00Z"))
        #expect(clock.elapsed(at: at("2025-03-16T20:00:00Z")) == 0)
        #expect(clock.deadline == at("2025-03-17T16:00:00Z"))
        #expect(clock.update(at: at("2025-03-17T16:00:00Z")).isEmpty)
        #expect(clock.update(at: at("2025-03-17T16:00:01Z")).map(\.time) == [at("2025-03-17T16:00:00Z")])
    }

    @Test func pausedWhileWaitingOnTheCustomer() {
        var clock = SLAClock(kind: .resolution, target: .seconds(3600), calendar: berlin, start: at("2025-03-11T09:00:00Z"))
        clock.pause(at: at("2025-03-11T09:20:00Z"))
        #expect(clock.state == .paused)
        #expect(clock.deadline == nil)
        #expect(clock.elapsed(at: at("2025-03-11T14:00:00Z")) == 1200)
        #expect(clock.update(at: at("2025-03-11T14:00:00Z")).isEmpty)
        clock.resume(at: at("2025-03-11T15:30:00Z"))
        // 40 minutes left from 16:30 Berlin; 30 today, 10 tomorrow at 09:10.
        #expect(clock.deadline == at("2025-03-12T08:10:00Z"))
        #expect(clock.elapsed(at: at("2025-03-11T16:00:00Z")) == 1200 + 1800)
        clock.stop(at: at("2025-03-12T08:05:00Z"))
        #expect(clock.state == .met)
        #expect(clock.events.map(\.event) == [.started, .paused, .resumed, .met])
        #expect(clock.events.map(\.time) == [at("2025-03-11T09:00:00Z"), at("2025-03-11T09:20:00Z"), at("2025-03-11T15:30:00Z"), at("2025-03-12T08:05:00Z")])
    }

    @Test func aTrackerRunsBothClocks() {
        var tracker = SLATracker(targets: SLATargets(firstResponse: .seconds(600), resolution: .seconds(7200)), calendar: berlin,
                                 start: at("2025-03-11T09:00:00Z"))
        #expect(tracker.nextDeadline == at("2025-03-11T09:10:00Z"))
        #expect(tracker.update(at: at("2025-03-11T09:11:00Z")).map(\.event) == [.breached])
        tracker.agentResponded(at: at("2025-03-11T09:12:00Z"), awaitingCustomer: true)
        #expect(tracker.resolution?.state == .paused)
        #expect(tracker.nextDeadline == nil)
        tracker.customerReplied(at: at("2025-03-11T13:00:00Z"))
        #expect(tracker.nextDeadline == at("2025-03-11T14:48:00Z"))
        tracker.resolved(at: at("2025-03-11T14:00:00Z"))
        #expect(tracker.firstResponse?.state == .breached)
        #expect(tracker.resolution?.state == .met)
        #expect(tracker.events.map { "\($0.kind.rawValue) \($0.event.rawValue)" } == [
            "first_response started", "resolution started", "first_response breached", "first_response stopped",
            "resolution paused", "resolution resumed", "resolution met",
        ])
    }

    // MARK: Rebuilding after a restart

    @Test(arguments: ["2025-03-11T09:30:00Z", "2025-03-11T13:00:00Z", "2025-03-11T14:30:00Z", "2025-03-12T09:00:00Z"])
    func replayingStoredEventsRebuildsTheClocksWithoutNewEvents(restartText: String) {
        let restart = at(restartText)
        let targets = SLATargets(firstResponse: .seconds(600), resolution: .seconds(7200))
        // What happened before the restart, as the runtime stored it (events up to the restart only).
        var history = SLATracker(targets: targets, calendar: berlin, start: at("2025-03-11T09:00:00Z"))
        var stored = history.update(at: at("2025-03-11T09:11:00Z"))
        stored += history.agentResponded(at: at("2025-03-11T09:12:00Z"), awaitingCustomer: true)
        stored += history.customerReplied(at: at("2025-03-11T13:00:00Z"))
        stored += history.agentResponded(at: at("2025-03-11T14:00:00Z"), awaitingCustomer: true)
        stored = stored.filter { $0.time <= restart }

        var rebuilt = SLATracker(targets: targets, calendar: berlin, start: at("2025-03-11T09:00:00Z"))
        rebuilt.replay(stored)
        // The same state as the live tracker had at the restart.
        var live = SLATracker(targets: targets, calendar: berlin, start: at("2025-03-11T09:00:00Z"))
        _ = live.update(at: min(restart, at("2025-03-11T09:11:00Z")))
        if restart >= at("2025-03-11T09:12:00Z") { live.agentResponded(at: at("2025-03-11T09:12:00Z"), awaitingCustomer: true) }
        if restart >= at("2025-03-11T13:00:00Z") { live.customerReplied(at: at("2025-03-11T13:00:00Z")) }
        if restart >= at("2025-03-11T14:00:00Z") { live.agentResponded(at: at("2025-03-11T14:00:00Z"), awaitingCustomer: true) }
        for (a, b) in zip(rebuilt.clocks, live.clocks) {
            #expect(a.state == b.state)
            #expect(a.breachedAt == b.breachedAt)
            #expect(a.elapsed(at: restart) == b.elapsed(at: restart))
            #expect(a.deadline == b.deadline)
        }
        #expect(rebuilt.events == live.events)
        // Nothing stored is produced again: the breach is known, a pause stays a pause.
        #expect(rebuilt.update(at: at("2025-03-12T12:00:00Z")).filter { $0.kind == .firstResponse }.isEmpty)
        if restart >= at("2025-03-11T14:00:00Z") {
            #expect(rebuilt.resolution?.state == .paused)
            #expect(rebuilt.nextDeadline == nil)
        }
    }

    @Test func aReplayedPauseKeepsTheCountedTime() {
        var clock = SLAClock(kind: .resolution, target: .seconds(3600), calendar: berlin, start: at("2025-03-11T09:00:00Z"))
        clock.replay(.paused, at: at("2025-03-11T09:20:00Z"))
        #expect(clock.isPaused)
        #expect(clock.elapsed(at: at("2025-03-11T15:00:00Z")) == 1200)
        clock.replay(.paused, at: at("2025-03-11T10:00:00Z"))   // cannot apply twice
        clock.replay(.resumed, at: at("2025-03-11T15:30:00Z"))
        #expect(clock.deadline == at("2025-03-12T08:10:00Z"))
        clock.replay(.met, at: at("2025-03-11T15:40:00Z"))
        #expect(clock.state == .met)
        #expect(clock.events.map(\.event) == [.started, .paused, .resumed, .met])
    }
}
