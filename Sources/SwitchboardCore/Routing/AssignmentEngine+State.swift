/// The engine's internal records. Indices are `Int32` to keep the hot arrays small.
struct AgentState: Sendable {
    var id: String
    var name: String
    /// Skill index → level (0 = lacks the skill).
    var levels: [UInt8]
    var capacity: SIMD8<Int32>
    var totalCapacity: Int32
    var load = SIMD8<Int32>()
    var totalLoad: Int32 = 0
    /// Tasks held on exclusive channels (a call): while above zero nothing else is offered.
    var exclusiveLoad: Int32 = 0
    var status: AgentStatus = .offline
    /// The last offer or assignment, or when the agent came back (longest idle).
    var idleSince: Double = -Double.greatestFiniteMagnitude
    /// Buckets the agent is a candidate for.
    var buckets: [Int32] = []
    /// Tasks waiting for this agent as the customer's last agent.
    var reserved: [Int32] = []
    /// Tasks offered to or assigned to this agent.
    var active: [Int32] = []

    init(id: String, name: String, levels: [UInt8], capacity: SIMD8<Int32>) {
        self.id = id
        self.name = name
        self.levels = levels
        self.capacity = capacity
        self.totalCapacity = capacity.wrappedSum()
    }

    @inline(__always)
    func level(_ skill: Int32) -> UInt8 { Int(skill) < levels.count ? levels[Int(skill)] : 0 }
}

struct TaskState: Sendable {
    enum Placement: Sendable, Equatable {
        case placing
        case waiting(bucket: Int32)
        case reserved(agent: Int32)
        case offered(agent: Int32, expires: Double)
        case assigned(agent: Int32)
    }

    var id: String
    /// Unique per task instance (slots are reused).
    var uid: UInt64
    var queue: Int32
    var channel: Channel
    var priority: Int
    var arrival: Double
    var requirements: [SkillRequirement]
    /// The requirements that came from the matrix rule rather than the queue (kept on a move).
    var extras: [SkillRequirement]
    var steps: [EscalationStep]
    var fired: [Bool]
    var preferredAgent: Int32 = -1
    var preferredUntil: Double = 0
    var state: Placement = .placing
    /// Matches the heap entry that currently represents this task while waiting; 0 otherwise.
    var waitStamp: UInt64 = 0
    var offerStamp: UInt64 = 0
    var declinedBy: [Int32] = []
    var live = true
    /// The bucket for the current queue, channel and requirements; -1 when they changed.
    var bucket: Int32 = -1

    init(id: String, uid: UInt64, queue: Int32, channel: Channel, priority: Int, arrival: Double,
         requirements: [SkillRequirement], extras: [SkillRequirement], steps: [EscalationStep]) {
        self.id = id
        self.uid = uid
        self.queue = queue
        self.channel = channel
        self.priority = priority
        self.arrival = arrival
        self.requirements = requirements
        self.extras = extras
        self.steps = steps
        self.fired = Array(repeating: false, count: steps.count)
    }
}

struct SkillLevel: Hashable, Sendable {
    var skill: Int32
    var level: UInt8
}

/// Tasks that need the same thing wait together.
struct BucketKey: Hashable, Sendable {
    var queue: Int32
    var channel: UInt8
    var requirements: [SkillLevel]
}

struct Bucket: Sendable {
    var key: BucketKey
    /// Agents with the skills and some capacity on the channel, by ascending index.
    var candidates: [Int32]
    /// Candidates whose status is `available`.
    var availableCount: Int
    var heap = BinaryHeap<WaitEntry>()
    /// Tasks waiting here (valid heap entries).
    var waiting = 0
}

/// A waiting task's place in line: higher priority first, then earlier arrival, then arrival order.
struct WaitEntry: Comparable, Sendable {
    var priority: Int
    var arrival: Double
    var sequence: UInt64
    var slot: Int32
    var stamp: UInt64

    static func < (lhs: WaitEntry, rhs: WaitEntry) -> Bool {
        if lhs.priority != rhs.priority { return lhs.priority > rhs.priority }
        if lhs.arrival != rhs.arrival { return lhs.arrival < rhs.arrival }
        return lhs.sequence < rhs.sequence
    }

    static func == (lhs: WaitEntry, rhs: WaitEntry) -> Bool {
        lhs.priority == rhs.priority && lhs.arrival == rhs.arrival && lhs.sequence == rhs.sequence
    }
}

struct Timer: Comparable, Sendable {
    enum Kind: UInt8, Sendable { case offerExpiry, escalation, preference }
    var due: Double
    var sequence: UInt64
    var kind: Kind
    var slot: Int32
    var stamp: UInt64
    var aux: Int32

    static func < (lhs: Timer, rhs: Timer) -> Bool {
        lhs.due != rhs.due ? lhs.due < rhs.due : lhs.sequence < rhs.sequence
    }

    static func == (lhs: Timer, rhs: Timer) -> Bool { lhs.due == rhs.due && lhs.sequence == rhs.sequence }
}
