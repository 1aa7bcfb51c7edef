import Foundation
import SwitchboardCore

/// A simulation scenario: the routing configuration (the same sections as in adapters.json) plus
/// a `simulation` section describing one day: arrivals per channel and type per hour, handling
/// times, patience before abandoning, how agents answer offers. Agents' shifts are calendars.
struct Scenario {
    struct ArrivalStream {
        var channel: Channel
        var type: InquiryType
        /// Expected arrivals in each local hour of the day (24 numbers).
        var perHour: [Double]
        /// Share of social messages that are public posts.
        var publicShare: Double
        /// Attribute key → value → weight.
        var attributes: [(key: String, values: [(String, Double)])]
        var frustratedShare: Double
        var returningShare: Double
    }

    var routing: RoutingConfiguration
    var name: String
    var date: LocalDate
    var timeZone: TimeZone
    var seed: UInt64
    var arrivals: [ArrivalStream]
    var handlingTime: [Channel: Double]
    var patience: [Channel: Double]
    var offerResponse: Double
    var declineRate: Double
    /// After the last arrival, how long the simulation runs on (queues drain, emails wait).
    var overtime: Double

    static func load(path: String) -> Result<Scenario, RoutingConfigurationError> {
        guard let data = FileManager.default.contents(atPath: path) else {
            return .failure(RoutingConfigurationError(issues: [ConfigIssue(path: .root, code: .unreadable, message: "cannot read \(path)")]))
        }
        let document: JSONValue
        do {
            document = try JSONParser().parse([UInt8](data))
        } catch {
            return .failure(RoutingConfigurationError(issues: [ConfigIssue(syntaxError: error)]))
        }
        let root = ConfigReader(root: document)
        guard root.expectObject() else { return .failure(RoutingConfigurationError(issues: root.issues)) }
        let routing = RoutingConfiguration.read(from: root)
        let simulation = root.object("simulation", required: true, hint: "describe the day to simulate")
        let name = simulation.string("name") ?? URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        let dateText = simulation.string("date", default: "2025-03-11")
        let date = LocalDate(dateText)
        if date == nil { simulation.report(.invalidValue, "\(ConfigReader.quote(dateText)) is not a date", hint: "like \"2025-03-11\"", key: "date") }
        let zoneName = simulation.string("time_zone", default: "UTC")
        let zone = TimeZone(identifier: zoneName)
        if zone == nil { simulation.report(.invalidValue, "\(ConfigReader.quote(zoneName)) is not a time zone", key: "time_zone") }
        let seed = UInt64(simulation.int("seed", default: 1, in: 0...Int.max))
        var streams: [ArrivalStream] = []
        for entry in simulation.objectArray("arrivals", required: true) {
            let channel: Channel? = entry.choice("channel", required: true)
            let type = entry.string("type", required: true).map(InquiryType.init(rawValue:))
            let perHour = numbers(entry, "per_hour")
            if perHour.count != 24 { entry.report(.invalidValue, "needs 24 numbers, one per local hour, found \(perHour.count)", key: "per_hour") }
            if let type, let routing, !routing.taxonomy.contains(type) {
                entry.report(.unknownReference, "unknown inquiry type \(ConfigReader.quote(type.rawValue))", key: "type")
            }
            var attributes: [(String, [(String, Double)])] = []
            let attributesReader = entry.object("attributes")
            for key in attributesReader.keys {
                let weights = attributesReader.object(key)
                var values: [(String, Double)] = []
                for value in weights.keys {
                    weights.markKnown(value)
                    if let weight = weights.value?[value]?.doubleValue, weight >= 0 { values.append((value, weight)) }
                    else { weights.report(.wrongType, "expected a weight (a number)", key: value) }
                }
                attributes.append((key, values))
            }
            let publicShare = share(entry, "public_share")
            let frustrated = share(entry, "frustrated_share")
            let returning = share(entry, "returning_share")
            entry.reportUnknownKeys()
            if let channel, let type {
                streams.append(ArrivalStream(channel: channel, type: type, perHour: perHour, publicShare: publicShare,
                                             attributes: attributes, frustratedShare: frustrated, returningShare: returning))
            }
        }
        let handling = durations(simulation.object("handling_time"), default: 300)
        let patience = durations(simulation.object("patience"), default: 86_400)
        let offerResponse = simulation.duration("offer_response", default: .seconds(5)).timeInterval
        let declineRate = share(simulation, "decline_rate")
        let overtime = simulation.duration("overtime", default: .seconds(6 * 3600)).timeInterval
        simulation.reportUnknownKeys()
        root.reportUnknownKeys()
        guard !root.hasIssues, let routing, let date, let zone else { return .failure(RoutingConfigurationError(issues: root.issues)) }
        return .success(Scenario(routing: routing, name: name, date: date, timeZone: zone, seed: seed, arrivals: streams,
                                 handlingTime: handling, patience: patience, offerResponse: offerResponse,
                                 declineRate: declineRate, overtime: overtime))
    }

    private static func numbers(_ reader: ConfigReader, _ key: String) -> [Double] {
        reader.markKnown(key)
        guard let array = reader.value?[key]?.arrayValue else {
            reader.report(.missing, "expected a list of 24 numbers", key: key)
            return []
        }
        return array.map { $0.doubleValue ?? 0 }
    }

    private static func share(_ reader: ConfigReader, _ key: String) -> Double {
        reader.markKnown(key)
        guard let value = reader.value?[key], !value.isNull else { return 0 }
        guard let number = value.doubleValue, (0...1).contains(number) else {
            reader.report(.outOfRange, "must be a number between 0 and 1", key: key)
            return 0
        }
        return number
    }

    private static func durations(_ reader: ConfigReader, default defaultSeconds: Double) -> [Channel: Double] {
        var result: [Channel: Double] = [:]
        for channel in Channel.allCases {
            result[channel] = reader.duration(channel.rawValue)?.timeInterval ?? defaultSeconds
        }
        reader.reportUnknownKeys()
        return result
    }
}
