import Testing
@testable import SwitchboardCore

@Suite struct FeatureContributionTests {
    /// `writeDescription` (the stored decision's fast path) writes exactly `description` as JSON.
    @Test(arguments: [0.1474, -0.05, -0.0004, 0.0, 1.5, 12.3456, -3.9996, 0.0005, 0.9999])
    func writtenDescriptionIsTheDescriptionAsJSON(weight: Double) {
        for feature in ["words:my order", "chars:\"q\\", "word:café"] {
            let contribution = FeatureContribution(feature: feature, weight: weight)
            var direct = JSONWriter()
            direct.array { w in contribution.writeDescription(into: &w); contribution.writeDescription(into: &w) }
            var viaString = JSONWriter()
            viaString.array { w in w.value(contribution.description); w.value(contribution.description) }
            #expect(direct.string == viaString.string)
        }
    }
}
