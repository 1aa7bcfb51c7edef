// switchboard-simulate: a day of a contact centre from a scenario file, run through the real
// channel-mapping matrix and assignment engine; or, with --bench, routing + assignment speed.
import Foundation
import SwitchboardCore

func usage() -> Never {
    print("""
    usage: switchboard-simulate SCENARIO.json [--seed N]
           switchboard-simulate --bench [--agents 1000] [--queues 50] [--decisions 500000] [--explain]

    Simulates one day from SCENARIO.json (routing sections plus "simulation"; see docs/routing.md) and
    prints per queue and per channel: service level, average speed of answer, abandonment, occupancy, cost.
    --bench measures routing + assignment decisions per second on a synthetic centre.
    """)
    exit(2)
}

/// The command line, consumed option by option.
struct Arguments {
    var rest = Array(CommandLine.arguments.dropFirst())

    mutating func option(_ name: String) -> String? {
        guard let index = rest.firstIndex(of: name), index + 1 < rest.count else { return nil }
        let value = rest[index + 1]
        rest.removeSubrange(index...(index + 1))
        return value
    }

    mutating func flag(_ name: String) -> Bool {
        guard let index = rest.firstIndex(of: name) else { return false }
        rest.remove(at: index)
        return true
    }
}

var arguments = Arguments()
if arguments.flag("--help") || arguments.flag("-h") { usage() }

if arguments.flag("--bench") {
    let agents = arguments.option("--agents").flatMap(Int.init) ?? 1_000
    let queues = arguments.option("--queues").flatMap(Int.init) ?? 50
    let decisions = arguments.option("--decisions").flatMap(Int.init) ?? 500_000
    let explain = arguments.flag("--explain")
    guard arguments.rest.isEmpty else { usage() }
    var benchmark = RoutingBenchmark(agents: agents, queues: queues, recordExplanations: explain)
    benchmark.run(decisions: min(decisions / 10, 50_000))
    let clock = ContinuousClock()
    let elapsed = clock.measure { benchmark.run(decisions: decisions) }
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    let problems = benchmark.engine.invariantViolations()
    print("routing+assignment: \(Int(Double(decisions) / seconds)) decisions/s (\(decisions) decisions in \(RoutingText.decimal(seconds, places: 3)) s; "
          + "\(agents) agents, \(queues) queues, \(benchmark.configuration.rules.count) rules, explanations \(explain ? "on" : "off"); "
          + "\(benchmark.offers) handed to an agent at once, \(benchmark.waits) waited; \(benchmark.engine.taskCount) tasks open; invariants \(problems.isEmpty ? "hold" : "VIOLATED: \(problems.prefix(3))"))")
    exit(problems.isEmpty ? 0 : 1)
}

let seedOverride = arguments.option("--seed").flatMap(UInt64.init)
guard arguments.rest.count == 1, !arguments.rest[0].hasPrefix("-") else { usage() }
switch Scenario.load(path: arguments.rest[0]) {
case .failure(let error):
    for issue in error.issues { FileHandle.standardError.write(Data("\(arguments.rest[0]): \(issue)\n".utf8)) }
    exit(1)
case .success(var scenario):
    if let seedOverride { scenario.seed = seedOverride }
    var simulation = Simulation(scenario: scenario)
    simulation.run()
    let problems = simulation.engine.invariantViolations()
    print(Report(simulation: simulation).render())
    if !problems.isEmpty {
        FileHandle.standardError.write(Data("engine invariants violated: \(problems.prefix(5))\n".utf8))
        exit(1)
    }
}
