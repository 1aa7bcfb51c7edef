import Foundation
import SwitchboardCore

/// Turns a finished simulation into the per-queue and per-channel table.
struct Report {
    var simulation: Simulation

    func tallies() -> (queues: [(String, Tally)], channels: [(String, Tally)], total: Tally) {
        var byQueue: [String: Tally] = [:]
        var byChannel: [Channel: Tally] = [:]
        var total = Tally()
        for task in simulation.tasks.values {
            let queue = task.finalQueue ?? task.decision.queue
            for update in [{ (t: inout Tally) in Report.count(task, into: &t) }] {
                update(&byQueue[queue, default: Tally()])
                update(&byChannel[task.channel, default: Tally()])
                update(&total)
            }
        }
        let routing = simulation.scenario.routing
        for queue in routing.queues {
            let qualified = routing.agents.filter { $0.satisfies(queue.requiredSkills) && $0.capacity.values.contains { $0 > 0 } }
            byQueue[queue.id, default: Tally()].busySeconds = qualified.reduce(0) { $0 + (simulation.busySeconds[$1.id] ?? 0) }
            byQueue[queue.id, default: Tally()].availableSeconds = qualified.reduce(0) { $0 + (simulation.loggedInSeconds[$1.id] ?? 0) }
        }
        for channel in Channel.allCases {
            byChannel[channel, default: Tally()].busySeconds = simulation.slotSeconds[channel] ?? 0
            byChannel[channel, default: Tally()].availableSeconds = simulation.capacitySeconds[channel] ?? 0
        }
        total.busySeconds = simulation.busySeconds.values.reduce(0, +)
        total.availableSeconds = simulation.loggedInSeconds.values.reduce(0, +)
        let queueRows = routing.queues.map(\.id).filter { (byQueue[$0]?.contacts ?? 0) > 0 || (byQueue[$0]?.availableSeconds ?? 0) > 0 }
            .map { ($0, byQueue[$0]!) }
        let channelRows = Channel.allCases.filter { (byChannel[$0]?.contacts ?? 0) > 0 }.map { ($0.rawValue, byChannel[$0]!) }
        return (queueRows, channelRows, total)
    }

    static func count(_ task: SimulatedTask, into tally: inout Tally) {
        tally.contacts += 1
        tally.cost += task.decision.cost ?? 0
        if !task.decision.createsTask {
            tally.deflected += 1
            return
        }
        if let answered = task.answeredAt {
            tally.answered += 1
            tally.waitSeconds += answered - task.arrival
            if let target = task.decision.sla.firstResponse {
                let business = task.calendar.businessSeconds(from: Date(timeIntervalSince1970: task.arrival), to: Date(timeIntervalSince1970: answered))
                if business <= target.timeInterval { tally.answeredInTarget += 1 }
            } else {
                tally.answeredInTarget += 1
            }
        } else if task.abandoned {
            tally.abandoned += 1
        } else {
            tally.open += 1
        }
    }

    func render() -> String {
        let scenario = simulation.scenario
        let (queues, channels, total) = tallies()
        var lines: [String] = []
        lines.append("Scenario \(scenario.name): \(scenario.date) in \(scenario.timeZone.identifier), seed \(scenario.seed)")
        lines.append("  \(total.contacts) contacts, \(scenario.routing.agents.count) agents, \(scenario.routing.queues.count) queues, \(scenario.routing.rules.count) matrix rules")
        lines.append("")
        let header = ["", "contacts", "deflected", "answered", "abandoned", "open", "SL", "ASA", "abandon", "occupancy", "cost"]
        lines += table(title: "queue", header: header, rows: queues.map { row($0.0, $0.1) } + [row("all", total)])
        lines.append("")
        lines += table(title: "channel", header: header, rows: channels.map { row($0.0, $0.1) } + [row("all", total)])
        lines.append("")
        lines.append("SL = answered within the first-response target (business time) ÷ (answered + abandoned); ASA = average wait until an agent took it;")
        lines.append("abandon = abandoned ÷ contacts that needed an agent; occupancy = per queue, time its qualified agents were handling ÷ logged-in time;")
        lines.append("per channel, used task slots ÷ offered task slots; cost = contacts × configured cost of the answer channel (self-service when deflected).")
        lines.append("")
        let escalations = simulation.escalations.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }
        lines.append("Offers \(simulation.offers) (declined \(simulation.declines), expired \(simulation.expiredOffers)); first-response breaches \(simulation.breaches); "
                     + "escalations: " + (escalations.isEmpty ? "none" : escalations.joined(separator: ", ")) + "; notifications \(simulation.notifications)")
        return lines.joined(separator: "\n")
    }

    func row(_ name: String, _ tally: Tally) -> [String] {
        let needed = tally.answered + tally.abandoned + tally.open
        let slBase = tally.answered + tally.abandoned
        return [
            name, "\(tally.contacts)", "\(tally.deflected)", "\(tally.answered)", "\(tally.abandoned)", "\(tally.open)",
            slBase > 0 ? percent(Double(tally.answeredInTarget) / Double(slBase)) : "-",
            tally.answered > 0 ? RoutingText.duration(tally.waitSeconds / Double(tally.answered)) : "-",
            needed > 0 ? percent(Double(tally.abandoned) / Double(needed)) : "-",
            tally.availableSeconds > 0 ? percent(tally.busySeconds / tally.availableSeconds) : "-",
            RoutingText.decimal(tally.cost),
        ]
    }

    func percent(_ value: Double) -> String { RoutingText.decimal(value * 100, places: 1) + "%" }

    func table(title: String, header: [String], rows: [[String]]) -> [String] {
        var all = [[title] + header.dropFirst()] + rows
        let widths = (0..<header.count).map { column in all.map { $0[column].count }.max() ?? 0 }
        all.insert(widths.map { String(repeating: "-", count: $0) }, at: 1)
        all.insert(widths.map { String(repeating: "-", count: $0) }, at: all.count - 1)
        return all.map { cells in
            cells.enumerated().map { column, cell in
                let pad = String(repeating: " ", count: widths[column] - cell.count)
                return column == 0 ? cell + pad : pad + cell
            }.joined(separator: "  ")
        }
    }
}
