import Foundation
import SwitchboardChannels
import SwitchboardCore
import SwitchboardNet

extension FuzzTarget {
    static let adapterID = "fuzz"

    // MARK: Twilio

    /// The body decoded as the Twilio adapter decodes it, then parsed.
    static func fuzzTwilio(_ body: [UInt8], json: Bool, into report: inout FuzzReport) {
        let parameters: FormParameters
        if json {
            guard let value = try? JSONParser().parse(body), let flat = WebhookBody.parameters(fromJSON: value) else { return }
            parameters = flat
        } else {
            parameters = FormParameters(encoded: body)
        }
        guard case .success(let message) = TwilioWebhookParser(adapterID: adapterID, defaultRegion: "US").parse(parameters, raw: body)
        else { return }
        report.accepted += 1
        checkSMS(message, raw: body, maxIDBytes: 64, into: &report)
        report.check(message.attachments.count <= 10, "\(message.attachments.count) attachments, Twilio sends at most 10")
    }

    // MARK: Vonage

    /// The payload's first byte says how each line arrives (its low two bits: GET query, form body,
    /// JSON body, or a form body without a Content-Type and the previous line as the query). Each
    /// line is one webhook; parts of long messages go through one assembler that holds at most
    /// three groups, so eviction, completion and the checkpoint format are all reached.
    static func fuzzVonage(_ payload: [UInt8], into report: inout FuzzReport) {
        guard let mode = payload.first else { return }
        let lines = payload.dropFirst().split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map(Array.init)
        var assembler = VonageConcatAssembler(maxGroups: 3, timeout: .seconds(60))
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        for (index, line) in lines.prefix(64).enumerated() {
            let request = vonageRequest(line, previous: index > 0 ? lines[index - 1] : [], mode: mode & 3)
            guard case .success(let (parameters, raw)) = VonageAdapter.parameters(of: request),
                  case .success(let inbound) = VonageInbound.parse(parameters) else { continue }
            report.accepted += 1
            guard let concat = inbound.concat else {
                checkSMS(inbound.message(adapterID: adapterID, defaultRegion: "GB", raw: raw), raw: raw, maxIDBytes: 64, into: &report)
                continue
            }
            report.check((2...VonageInbound.maxParts).contains(concat.total) && (1...concat.total).contains(concat.part),
                         "part \(concat.part) of \(concat.total) accepted")
            let (result, evicted) = assembler.add(inbound, raw: raw, now: start.addingTimeInterval(Double(index)))
            for group in evicted { checkGroup(group, into: &report) }
            switch result {
            case .pending(let group):
                report.check(!group.isComplete, "a complete group reported as pending")
                checkGroup(group, into: &report)
                checkCheckpoint(group, into: &report)
            case .complete(let group):
                report.check(group.isComplete, "an incomplete group reported as complete")
                checkGroup(group, into: &report)
                assembler.remove(group.key)
            }
            report.check(assembler.groups.count <= assembler.maxGroups, "\(assembler.groups.count) groups waiting, limit \(assembler.maxGroups)")
        }
        for group in assembler.expired(now: start.addingTimeInterval(3600)) { checkGroup(group, into: &report) }
        report.check(assembler.groups.isEmpty, "groups left after all expired")
    }

    /// One line as the request the Vonage adapter would get.
    private static func vonageRequest(_ line: [UInt8], previous: [UInt8], mode: UInt8) -> HTTPRequest {
        let text = String(decoding: line, as: UTF8.self)
        switch mode {
        case 0: return HTTPRequest(method: "GET", target: "/sms/vonage?" + text)
        case 1: return HTTPRequest(method: "POST", target: "/sms/vonage",
                                   headers: ["Content-Type": "application/x-www-form-urlencoded"], body: line)
        case 2: return HTTPRequest(method: "POST", target: "/sms/vonage",
                                   headers: ["Content-Type": "application/json; charset=utf-8"], body: line)
        default: return HTTPRequest(method: "POST", target: "/sms/vonage?" + String(decoding: previous, as: UTF8.self), body: line)
        }
    }

    /// A group's parts are numbered within its total, its text and stored message can be built.
    private static func checkGroup(_ group: VonageConcatAssembler.Group, into report: inout FuzzReport) {
        report.check(!group.parts.isEmpty && group.parts.count <= group.total, "a group of \(group.total) holds \(group.parts.count) parts")
        report.check(group.parts.keys.allSatisfy { (1...group.total).contains($0) }, "a part numbered outside 1...\(group.total)")
        report.check(group.isComplete == group.missing.isEmpty, "complete and missing parts disagree")
        let message = group.message(adapterID: adapterID, defaultRegion: "GB")
        report.check(group.partIDs.contains(message.externalID), "the message id is not one of its parts' ids")
        report.check((try? JSONParser().parse(message.raw)) != nil, "the reassembled raw record is not JSON")
        checkSMS(message, raw: message.raw, maxIDBytes: 64, into: &report)
    }

    /// A waiting group read back from its checkpoint has the same parts; a delivered one, its ids.
    private static func checkCheckpoint(_ group: VonageConcatAssembler.Group, into report: inout FuzzReport) {
        if case .waiting(let restored) = VonageConcatAssembler.decode(VonageConcatAssembler.encode(group)) {
            report.check(restored.key == group.key && restored.total == group.total && restored.parts == group.parts,
                         "a waiting group read back from its checkpoint differs")
        } else {
            report.check(false, "a waiting group's checkpoint does not read back")
        }
        let done = VonageConcatAssembler.decode(VonageConcatAssembler.encodeDone(group, messageID: "msg_fuzz"))
        report.check(done == .done(partIDs: Set(group.partIDs)), "a delivered group's record does not read back its part ids")
    }

    // MARK: Generic JSON webhook

    static let nestedFields: SMSWebhookParser.FieldMap = {
        var fields = SMSWebhookParser.FieldMap()
        fields.id = "message.id"
        fields.from = "message.from.number"
        fields.to = "message.to"
        fields.text = "message.body"
        fields.sentAt = "message.time"
        fields.media = "message.media"
        return fields
    }()

    /// The body through the default field map and a nested one.
    static func fuzzGenericWebhook(_ body: [UInt8], into report: inout FuzzReport) {
        for fields in [SMSWebhookParser.FieldMap(), nestedFields] {
            let parser = SMSWebhookParser(adapterID: adapterID, defaultRegion: "DE", fields: fields)
            guard case .success(let message) = parser.parse(body) else { continue }
            report.accepted += 1
            checkSMS(message, raw: body, maxIDBytes: 200, into: &report)
            report.check(message.attachments.count <= 20, "\(message.attachments.count) attachments")
        }
    }

    // MARK: Form parameters

    /// Decoding keeps order and repeats; encoding what was decoded decodes to the same pairs.
    static func fuzzForm(_ bytes: [UInt8], into report: inout FuzzReport) {
        let parameters = FormParameters(encoded: bytes)
        report.accepted = parameters.count
        let separators = bytes.reduce(0) { $0 + ($1 == UInt8(ascii: "&") ? 1 : 0) }
        report.check(parameters.count <= separators + 1, "\(parameters.count) pairs from \(separators) separators")
        report.check(FormParameters(encoded: parameters.encoded) == parameters, "encoding the pairs again does not decode to the same pairs")
        for pair in parameters {
            report.check(parameters[pair.name] == parameters.values(for: pair.name).first, "lookup and values(for:) disagree")
        }
    }

    // MARK: What every accepted SMS must be

    static func checkSMS(_ message: InboundMessage, raw: [UInt8], maxIDBytes: Int, into report: inout FuzzReport) {
        report.check(message.channel == .sms && message.adapterID == adapterID, "channel or adapter not as configured")
        report.check(!message.externalID.isEmpty && message.externalID.utf8.count <= maxIDBytes,
                     "external id of \(message.externalID.utf8.count) bytes")
        report.check(message.raw == raw, "raw bytes not kept as received")
        checkIdentity(message.sender, into: &report)
    }

    /// The sender is already in normal form: normalizing it again changes nothing.
    static func checkIdentity(_ identity: Identity, into report: inout FuzzReport) {
        let again = Identity.normalized(kind: identity.kind, value: identity.value)
        report.check(again == .success(identity), "sender \(identity.kind) '\(identity.value.prefix(80))' is not normalized")
    }
}
