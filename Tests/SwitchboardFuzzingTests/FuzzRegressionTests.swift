import Foundation
import Testing
import SwitchboardFuzzing

/// The seed corpus and every input the fuzzer ever broke a parser with (`Tests/Fuzz/`), replayed
/// through the fuzzer's own entry points: no crash, every invariant holds. Seeds must also be
/// accepted, or they would exercise nothing past the parsers' first checks.
@Suite struct FuzzRegressionTests {
    static let fuzzDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fuzz")

    /// Files under `Tests/Fuzz/<folder>`, as paths relative to `Tests/Fuzz`, sorted.
    static func inputs(in folder: String) -> [String] {
        let root = fuzzDirectory.appendingPathComponent(folder)
        guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey]) else { return [] }
        return walker.compactMap { item -> String? in
            guard let url = item as? URL, (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true,
                  !url.lastPathComponent.hasPrefix("."), url.pathExtension != "md" else { return nil }
            return folder + "/" + url.path.dropFirst(root.path.count + 1)
        }.sorted()
    }

    static func bytes(_ path: String) throws -> [UInt8] {
        Array(try Data(contentsOf: fuzzDirectory.appendingPathComponent(path)))
    }

    @Test(arguments: inputs(in: "corpus"))
    func seedIsAcceptedAndKeepsTheInvariants(_ path: String) throws {
        let report = FuzzTarget.run(try Self.bytes(path))
        #expect(report.violations == [])
        #expect(report.accepted > 0, "the seed is refused by its parser")
        #expect(path.split(separator: "/")[1] == report.target.rawValue, "the seed's first byte chooses another parser")
    }

    @Test(arguments: inputs(in: "regressions"))
    func regressionKeepsTheInvariants(_ path: String) throws {
        #expect(FuzzTarget.run(try Self.bytes(path)).violations == [])
    }

    /// Each HTTP seed in every read pattern and with both sets of limits, not only its own mode.
    @Test(arguments: inputs(in: "corpus/http"))
    func httpSeedInEveryReadPattern(_ path: String) throws {
        let request = try Self.bytes(path).dropFirst(2)
        for mode in UInt8(0)..<16 {
            #expect(FuzzTarget.http.run([mode] + request).violations == [], "mode \(mode)")
        }
    }

    @Test func everyParserHasSeeds() {
        let seeded = Set(Self.inputs(in: "corpus").map { $0.split(separator: "/")[1] })
        for target in FuzzTarget.allCases {
            #expect(seeded.contains(Substring(target.rawValue)), "no seeds for \(target.rawValue)")
        }
    }

    @Test func everyByteChoosesAParser() {
        for target in FuzzTarget.allCases {
            #expect(FuzzTarget(selector: target.selector) == target)
        }
        #expect(FuzzTarget(selector: 0) == FuzzTarget.allCases[0])
        #expect(FuzzTarget.run([]).violations == [])
    }
}
