import SwitchboardChannels
import SwitchboardCore

extension FuzzTarget {
    // MARK: JSON

    /// A document that parses writes back to one that parses to the same value (compact and
    /// pretty), with the same canonical bytes; a tighter depth limit only ever refuses more; a
    /// refusal points inside the document.
    static func fuzzJSON(_ bytes: [UInt8], into report: inout FuzzReport) {
        let shallow = try? JSONParser(maxDepth: 4).parse(bytes)
        let value: JSONValue
        do {
            value = try JSONParser().parse(bytes)
        } catch {
            report.check((0...bytes.count).contains(error.offset) && error.line >= 1 && error.column >= 1,
                         "error position offset \(error.offset) line \(error.line) column \(error.column) outside a \(bytes.count)-byte document")
            report.check(shallow == nil, "accepted with depth limit 4, refused with 64")
            return
        }
        report.accepted = 1
        report.check(shallow == nil || shallow == value, "depth limit 4 parsed to another value")
        for written in [value.serialized(), value.serialized(pretty: true, sortedKeys: true)] {
            guard let again = try? JSONParser().parse(written) else {
                report.check(false, "written back, the document does not parse: \(String(decoding: written.prefix(200), as: UTF8.self))")
                continue
            }
            report.check(again == value, "written back and parsed again, the value changed")
            report.check(again.canonicalBytes == value.canonicalBytes, "written back and parsed again, the canonical bytes changed")
        }
    }

    // MARK: Local messages

    static let localDecoders = [
        LocalMessageDecoder(adapterID: adapterID, defaultChannel: nil, allowedChannels: Set(Channel.allCases)),
        LocalMessageDecoder(adapterID: adapterID, defaultChannel: .chat, allowedChannels: [.chat, .web]),
    ]

    /// A posted message as the local ingest endpoint decodes it, with and without a default channel.
    static func fuzzLocal(_ bytes: [UInt8], into report: inout FuzzReport) {
        guard let value = try? JSONParser().parse(bytes) else { return }
        for decoder in localDecoders {
            guard case .success(let message) = decoder.decode(value, raw: bytes) else { continue }
            report.accepted += 1
            report.check(decoder.allowedChannels.contains(message.channel), "channel \(message.channel) not allowed")
            report.check(!message.externalID.isEmpty && message.externalID.utf8.count <= LocalMessageDecoder.maxExternalIDBytes,
                         "external id of \(message.externalID.utf8.count) bytes")
            report.check(message.raw == bytes, "raw bytes not kept as received")
            report.check(message.attachments.allSatisfy { $0.size >= 0 }, "an attachment of negative size")
            checkIdentity(message.sender, into: &report)
        }
    }
}
