/// The routing part of the configuration: the inquiry taxonomy, skills, queues, agents,
/// calendars, channel costs, the standard response library, the channel-mapping matrix, and how
/// offers and last-agent preference behave. Read with `read(from:)` (a `ConfigReader` standing on
/// the object that holds these sections), checked with `validate()`; docs/routing.md describes
/// every key.
public struct RoutingConfiguration: Sendable {
    /// The inquiry types the classifier may produce, in order.
    public var taxonomy: [InquiryType]
    /// Types never answered on a public channel. `account_access` is always treated as private.
    public var privateTypes: Set<InquiryType>
    public var skills: [String]
    public var queues: [QueueDefinition]
    public var agents: [AgentDefinition]
    public var calendars: [String: BusinessCalendar]
    /// Cost of one contact per channel, in the centre's currency.
    public var channelCosts: [Channel: Double]
    /// Cost of a contact answered by self-service (an automatic answer that deflected it).
    public var selfServiceCost: Double?
    public var responses: [StandardResponse]
    /// The matrix, in order; the first rule that matches wins.
    public var rules: [MatrixRule]
    /// What happens to messages no rule matches. Required.
    public var defaultActions: RuleActions?
    /// The frustration score at and above which a customer counts as frustrated (0…1).
    public var frustrationThreshold: Double
    public var offers: OfferSettings
    public var lastAgent: LastAgentSettings
    /// Channels whose task occupies an agent entirely (one call *or* several chats).
    public var exclusiveChannels: Set<Channel>
    /// Where these sections sit in the file, for the paths of validation issues.
    public var basePath: JSONPath

    public init(taxonomy: [InquiryType] = InquiryType.defaultTaxonomy,
                privateTypes: Set<InquiryType> = RoutingConfiguration.defaultPrivateTypes,
                skills: [String] = [], queues: [QueueDefinition] = [], agents: [AgentDefinition] = [],
                calendars: [String: BusinessCalendar] = [:], channelCosts: [Channel: Double] = [:],
                selfServiceCost: Double? = nil, responses: [StandardResponse] = [], rules: [MatrixRule] = [],
                defaultActions: RuleActions? = nil, frustrationThreshold: Double = 0.5,
                offers: OfferSettings = OfferSettings(), lastAgent: LastAgentSettings = LastAgentSettings(),
                exclusiveChannels: Set<Channel> = [.voice], basePath: JSONPath = .root) {
        self.taxonomy = taxonomy
        self.privateTypes = privateTypes
        self.skills = skills
        self.queues = queues
        self.agents = agents
        self.calendars = calendars
        self.channelCosts = channelCosts
        self.selfServiceCost = selfServiceCost
        self.responses = responses
        self.rules = rules
        self.defaultActions = defaultActions
        self.frustrationThreshold = frustrationThreshold
        self.offers = offers
        self.lastAgent = lastAgent
        self.exclusiveChannels = exclusiveChannels
        self.basePath = basePath
    }

    public static let defaultPrivateTypes: Set<InquiryType> = [.accountAccess, .billing]

    /// One queue, `general`, that takes everything: what runs when no routing is configured.
    public static var minimal: RoutingConfiguration {
        RoutingConfiguration(queues: [QueueDefinition(id: "general")], defaultActions: RuleActions(queue: "general"))
    }

    public func queue(_ id: String) -> QueueDefinition? { queues.first { $0.id == id } }
    public func agent(_ id: String) -> AgentDefinition? { agents.first { $0.id == id } }
    public func response(_ id: String) -> StandardResponse? { responses.first { $0.id == id } }

    /// The calendar a queue's clocks count in (always open when it has none).
    public func calendar(forQueue id: String) -> BusinessCalendar {
        queue(id)?.calendar.flatMap { calendars[$0] } ?? .alwaysOpen()
    }

    /// Whether answers to this type must stay private.
    public func isPrivate(_ type: InquiryType) -> Bool { type == .accountAccess || privateTypes.contains(type) }
}
