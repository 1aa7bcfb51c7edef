import Foundation
import Testing
@testable import SwitchboardChannels

/// Switchboard's MIME reading against Python's standard `email` package (policy.default), over
/// the fixture corpus and 200 generated mails (`scripts/mime-differential.py`, fixed seed).
///
/// Compared after white-space normalization: decoded subject, sender address and name, the
/// text/plain body (when Python finds one), the decoded HTML body, and attachment names, types
/// and sizes. Every remaining difference must be in `MIMEDifferentialTests.listed` with the
/// reason Switchboard's answer is the better one (the same table is in the Email README); a
/// listed difference that no longer occurs fails too, so the table stays true. Generated mail
/// must agree completely. Skipped when `python3` is not installed.
@Suite struct MIMEDifferentialTests {
    /// fixture → field → why Switchboard's answer is better.
    static let listed: [String: [String: String]] = [
        "05-apple-text-image-text.eml": [
            "text": "Apple Mail's text, image, text: the text after the image is the customer's too; Python's get_body() returns the first part only",
            "attachments": "so the second inline text part is text, not a nameless text/plain attachment",
        ],
        "20-mailing-list.eml": [
            "text": "a list footer added as a second inline text part belongs to the text, as every mail client shows it",
            "attachments": "so the footer is not a nameless text/plain attachment",
        ],
        "23-no-boundary-param.eml": [
            "attachments": "the boundary is guessed from the first --line, giving the text and data.json; Python sees one opaque multipart/mixed leaf and no text",
        ],
        "27-mislabelled-latin1.eml": [
            "subject": "8-bit header bytes that are not UTF-8 are read as Latin-1 (windows-1252), not replaced by U+FFFD",
            "from_name": "the same for the display name",
            "text": "a body labelled utf-8 without a single valid multi-byte sequence is mislabelled Latin-1 and read as such",
        ],
        "28-raw-utf8-headers.eml": [
            "from_name": "raw UTF-8 in an address header (RFC 6532) is read as UTF-8; Python's policy.default replaces it in display names",
        ],
        "36-raw-latin1-headers.eml": [
            "subject": "8-bit header bytes that are not UTF-8 are read as Latin-1 (windows-1252), not replaced by U+FFFD",
            "text": "an unlabelled 8-bit body is read as UTF-8 when valid, else windows-1252; Python decodes it as ASCII with U+FFFD",
        ],
    ]

    static let python: String? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/python3"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }()

    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../scripts/mime-differential.py").standardizedFileURL.path

    struct Difference: CustomStringConvertible {
        var file: String
        var field: String
        var ours: String
        var python: String
        var description: String { "\(file) \(field): switchboard=\(ours.debugDescription) python=\(python.debugDescription)" }
    }

    @Test(.enabled(if: python != nil, "python3 is not installed"), .timeLimit(.minutes(1)))
    func agreesWithPythonEmail() throws {
        let generated = FileManager.default.temporaryDirectory.appendingPathComponent("mime-differential-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: generated) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.python!)
        process.arguments = [Self.script, "--generate", "200", "--seed", "2045", "--out", generated.path, MailFixtures.directory.path]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let files = try #require(json["files"] as? [[String: Any]])
        #expect(files.count == MailFixtures.names.count + 200)

        var differences: [Difference] = []
        for entry in files {
            let path = try #require(entry["path"] as? String)
            let file = URL(fileURLWithPath: path).lastPathComponent
            if let error = entry["error"] as? String {
                Issue.record("python could not read \(file): \(error)")
                continue
            }
            let raw = [UInt8](try #require(FileManager.default.contents(atPath: path)))
            let mail = try MailParser.parse(raw)
            differences += Self.compare(file: file, mail: mail, python: entry)
        }

        var seen: [String: Set<String>] = [:]
        for difference in differences {
            seen[difference.file, default: []].insert(difference.field)
            if Self.listed[difference.file]?[difference.field] == nil {
                Issue.record("unlisted difference: \(difference)")
            } else {
                print("listed difference: \(difference)")
            }
        }
        for (file, fields) in Self.listed {
            for field in fields.keys where seen[file]?.contains(field) != true {
                Issue.record("listed difference no longer occurs: \(file) \(field); remove it from the table and the README")
            }
        }
    }

    static func normalized(_ text: String?) -> String {
        (text ?? "").split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    static func compare(file: String, mail: MailMessage, python entry: [String: Any]) -> [Difference] {
        var differences: [Difference] = []
        func check(_ field: String, _ ours: String?, _ theirs: Any?) {
            let left = normalized(ours)
            let right = normalized(theirs as? String)
            if left != right { differences.append(Difference(file: file, field: field, ours: left, python: right)) }
        }
        check("subject", mail.subject, entry["subject"])
        check("from_address", mail.from?.address, entry["from_address"])
        check("from_name", mail.from?.name, entry["from_name"])
        if let text = entry["text"] as? String {
            check("text", mail.textSource == .plain ? mail.text : "", text)
        }
        check("html", mail.html, entry["html"])
        let theirs = (entry["attachments"] as? [[String: Any]] ?? []).map { attachment -> String in
            let size = (attachment["size"] as? Int).map(String.init) ?? "-"
            return "\(attachment["name"] as? String ?? "")|\(attachment["type"] as? String ?? "")|\(size)"
        }
        let ours = zip(mail.attachments, theirs).map { attachment, python -> String in
            let size = python.hasSuffix("|-") ? "-" : String(attachment.size)
            return "\(attachment.name ?? "")|\(attachment.contentType)|\(size)"
        } + mail.attachments.dropFirst(theirs.count).map { "\($0.name ?? "")|\($0.contentType)|\($0.size)" }
        if ours != theirs {
            differences.append(Difference(file: file, field: "attachments", ours: ours.joined(separator: "; "),
                                          python: theirs.joined(separator: "; ")))
        }
        return differences
    }
}
