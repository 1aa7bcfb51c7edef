import Foundation

/// One service-level clock (first response or resolution) of one task: counts business time of a
/// calendar from its start, stops counting while paused (waiting on the customer), and records
/// every event with its time. Outside business hours it simply does not advance; that is not an
/// event. Pure: it is told the time.
///
///     var clock = SLAClock(kind: .firstResponse, target: .seconds(3600), calendar: support, start: arrival)
///     let events = clock.update(at: now)         // [.breached] once the target is missed, timed exactly
///     clock.stop(at: replyTime)                  // met, or stopped after a breach
public struct SLAClock: Sendable, Hashable {
    public let kind: SLAKind
    /// The target in business seconds.
    public let target: Double
    public let calendar: BusinessCalendar
    public private(set) var startedAt: Date
    /// Business seconds counted before the current running stretch.
    private var accumulated: Double = 0
    /// Start of the current running stretch; nil while paused or after stopping.
    private var runningSince: Date?
    public private(set) var breachedAt: Date?
    public private(set) var stoppedAt: Date?
    public private(set) var events: [SLAEvent]

    public init(kind: SLAKind, target: Duration, calendar: BusinessCalendar, start: Date) {
        self.kind = kind
        self.target = target.timeInterval
        self.calendar = calendar
        self.startedAt = start
        self.runningSince = start
        self.events = [SLAEvent(kind: kind, event: .started, time: start)]
    }

    public var state: SLAState {
        if stoppedAt != nil { return breachedAt == nil ? .met : .breached }
        if breachedAt != nil { return .breached }
        return runningSince == nil ? .paused : .running
    }

    public var isPaused: Bool { stoppedAt == nil && runningSince == nil }
    public var isStopped: Bool { stoppedAt != nil }

    /// Business seconds counted up to `now` (frozen while paused and after stopping).
    public func elapsed(at now: Date) -> Double {
        guard let runningSince else { return accumulated }
        return accumulated + calendar.businessSeconds(from: runningSince, to: max(now, runningSince))
    }

    /// Business seconds left before the target is missed (negative once breached).
    public func remaining(at now: Date) -> Double { target - elapsed(at: now) }

    /// When the target will be missed if the clock keeps running; nil while paused, stopped, or
    /// once breached.
    public var deadline: Date? {
        guard let runningSince, breachedAt == nil else { return nil }
        return calendar.date(addingBusinessSeconds: target - accumulated, to: runningSince)
    }

    /// Records the breach if the target passed by `now`, timed at the exact instant it passed.
    @discardableResult
    public mutating func update(at now: Date) -> [SLAEvent] {
        // Exactly at the target is still in time; a moment later is a breach.
        guard let deadline, deadline < now else { return [] }
        breachedAt = deadline
        let event = SLAEvent(kind: kind, event: .breached, time: deadline)
        events.append(event)
        return [event]
    }

    /// Stops counting (waiting on the customer).
    @discardableResult
    public mutating func pause(at now: Date) -> [SLAEvent] {
        var produced = update(at: now)
        guard let runningSince, stoppedAt == nil else { return produced }
        accumulated += calendar.businessSeconds(from: runningSince, to: max(now, runningSince))
        self.runningSince = nil
        let event = SLAEvent(kind: kind, event: .paused, time: now)
        events.append(event)
        produced.append(event)
        return produced
    }

    @discardableResult
    public mutating func resume(at now: Date) -> [SLAEvent] {
        guard runningSince == nil, stoppedAt == nil else { return [] }
        runningSince = now
        let event = SLAEvent(kind: kind, event: .resumed, time: now)
        events.append(event)
        return [event]
    }

    /// The target's work is done (first answer sent, conversation resolved): `met` when within
    /// the target, else `stopped` after the breach that is recorded first if it was not yet.
    @discardableResult
    public mutating func stop(at now: Date) -> [SLAEvent] {
        guard stoppedAt == nil else { return [] }
        var produced = update(at: now)
        if let runningSince { accumulated += calendar.businessSeconds(from: runningSince, to: max(now, runningSince)) }
        runningSince = nil
        stoppedAt = now
        let event = SLAEvent(kind: kind, event: breachedAt == nil ? .met : .stopped, time: now)
        events.append(event)
        produced.append(event)
        return produced
    }
}

extension SLAClock {
    /// Applies an event stored earlier, when the clock is rebuilt after a restart: the clock ends
    /// as it was after the event, and no new event is produced (so nothing is stored twice). Events
    /// must come in the order they happened; one that cannot apply (a resume of a running clock)
    /// is ignored.
    public mutating func replay(_ event: SLAEvent.Kind, at time: Date) {
        switch event {
        case .started:
            return
        case .paused:
            guard let runningSince, stoppedAt == nil else { return }
            accumulated += calendar.businessSeconds(from: runningSince, to: max(time, runningSince))
            self.runningSince = nil
        case .resumed:
            guard runningSince == nil, stoppedAt == nil else { return }
            runningSince = time
        case .breached:
            guard breachedAt == nil else { return }
            breachedAt = time
        case .met, .stopped:
            guard stoppedAt == nil else { return }
            if let runningSince { accumulated += calendar.businessSeconds(from: runningSince, to: max(time, runningSince)) }
            runningSince = nil
            stoppedAt = time
            if event == .stopped, breachedAt == nil { breachedAt = time }
        }
        events.append(SLAEvent(kind: kind, event: event, time: time))
    }
}

public enum SLAState: String, Sendable, Hashable {
    case running, paused, met, breached
}

/// Something that happened to an SLA clock, stored with its time.
public struct SLAEvent: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable {
        case started, paused, resumed, met, breached
        /// Completed after the target was missed.
        case stopped
    }

    public var kind: SLAKind
    public var event: Kind
    public var time: Date

    public init(kind: SLAKind, event: Kind, time: Date) {
        self.kind = kind
        self.event = event
        self.time = time
    }

    public var description: String { "\(RoutingText.time(time)) \(kind.rawValue) \(event.rawValue)" }
}

/// The two clocks of one task: first response and resolution, per its queue's targets on the
/// response channel. The daemon calls it as the conversation moves, and `update(at:)` on a timer
/// (`nextDeadline` says when); breach events go to `AssignmentEngine.slaBreached`.
public struct SLATracker: Sendable, Hashable {
    public private(set) var firstResponse: SLAClock?
    public private(set) var resolution: SLAClock?

    public init(targets: SLATargets, calendar: BusinessCalendar, start: Date) {
        firstResponse = targets.firstResponse.map { SLAClock(kind: .firstResponse, target: $0, calendar: calendar, start: start) }
        resolution = targets.resolution.map { SLAClock(kind: .resolution, target: $0, calendar: calendar, start: start) }
    }

    public var clocks: [SLAClock] { [firstResponse, resolution].compactMap { $0 } }

    /// Every event of both clocks, in time order.
    public var events: [SLAEvent] {
        clocks.flatMap(\.events).enumerated().sorted { $0.element.time != $1.element.time ? $0.element.time < $1.element.time : $0.offset < $1.offset }.map(\.element)
    }

    /// An agent answered. The first-response clock stops; when the answer asks the customer for
    /// something, the resolution clock pauses until they reply.
    @discardableResult
    public mutating func agentResponded(at now: Date, awaitingCustomer: Bool) -> [SLAEvent] {
        var produced = firstResponse?.stop(at: now) ?? []
        if awaitingCustomer { produced += resolution?.pause(at: now) ?? [] }
        return produced
    }

    /// The customer wrote: a paused resolution clock runs again.
    @discardableResult
    public mutating func customerReplied(at now: Date) -> [SLAEvent] {
        resolution?.resume(at: now) ?? []
    }

    /// The conversation is resolved: both clocks stop.
    @discardableResult
    public mutating func resolved(at now: Date) -> [SLAEvent] {
        (firstResponse?.stop(at: now) ?? []) + (resolution?.stop(at: now) ?? [])
    }

    /// Breaches up to `now`.
    @discardableResult
    public mutating func update(at now: Date) -> [SLAEvent] {
        (firstResponse?.update(at: now) ?? []) + (resolution?.update(at: now) ?? [])
    }

    /// Rebuilds the clocks from their stored events (a restart): pauses, resumes, breaches and
    /// stops are applied as they happened, without producing events again.
    public mutating func replay(_ events: [SLAEvent]) {
        for event in events {
            switch event.kind {
            case .firstResponse: firstResponse?.replay(event.event, at: event.time)
            case .resolution: resolution?.replay(event.event, at: event.time)
            }
        }
    }

    /// The earliest instant a running clock will breach.
    public var nextDeadline: Date? { clocks.compactMap(\.deadline).min() }
}
