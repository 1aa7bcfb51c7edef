import Foundation
@testable import SwitchboardChannels

/// The mail corpus in `Fixtures/mail`, found from this file's path (the fixtures are not bundled
/// as resources: tests run from the source tree).
enum MailFixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/mail")

    static var names: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [])
            .filter { $0.hasSuffix(".eml") }
            .sorted()
    }

    static func bytes(_ name: String) -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: directory.appendingPathComponent(name).path) else {
            fatalError("missing fixture \(name)")
        }
        return [UInt8](data)
    }

    static func parse(_ name: String) throws -> MailMessage {
        try MailParser.parse(bytes(name))
    }
}
