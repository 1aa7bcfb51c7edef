import Foundation
import Testing
import SwitchboardCore

/// Routing + assignment decisions per second with 1,000 agents and 50 queues. Runs only with
/// `SWITCHBOARD_ROUTING_BENCH=1`; prints the figure, asserts nothing about speed. Use a release
/// build for a meaningful figure (`SWITCHBOARD_ROUTING_BENCH=1 swift test -c release --filter RoutingBenchmark`);
/// `switchboard-simulate --bench` measures the same workload.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["SWITCHBOARD_ROUTING_BENCH"] != nil, "set SWITCHBOARD_ROUTING_BENCH=1"))
struct RoutingBenchmarkTests {
    @Test func decisionsPerSecond() {
        for explain in [false, true] {
            var benchmark = RoutingBenchmark(agents: 1_000, queues: 50, recordExplanations: explain)
            benchmark.run(decisions: 20_000)
            let clock = ContinuousClock()
            let count = 200_000
            let elapsed = clock.measure { benchmark.run(decisions: count) }
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            print("routing+assignment: \(Int(Double(count) / seconds)) decisions/s (explanations \(explain ? "on" : "off"), 1000 agents, 50 queues)")
            #expect(benchmark.engine.invariantViolations().isEmpty)
        }
    }
}
