/// The parsers that take untrusted bytes, each behind one entry point that also checks what must
/// hold whatever the bytes: what the libFuzzer executable (`switchboard-fuzz`, `make fuzz`) calls
/// for every input, and what the regression tests replay the seed corpus and every input that
/// ever broke a parser through (`Tests/Fuzz/`).
///
/// An input's first byte chooses the parser: the letters below, so that seed files read as text
/// (`h` then an HTTP request); any other byte chooses by its value, so every mutation still lands
/// somewhere. The rest of the input is what that parser gets. Signature checks are not fuzzed:
/// the parsers run on what would have passed them, because the parsers are what read the bytes.
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// `HTTPRequestParser`: byte 1 picks the limits and how the rest is split into reads.
    case http
    /// `TwilioWebhookParser` on a form-encoded body.
    case twilioForm = "twilio-form"
    /// `TwilioWebhookParser` on a JSON body.
    case twilioJSON = "twilio-json"
    /// `VonageInbound` from a query, form or JSON body (byte 1), one request per line, long
    /// messages gathered by `VonageConcatAssembler`.
    case vonage
    /// `SMSWebhookParser`, the generic JSON webhook, with the default and a nested field map.
    case webhook
    /// `FormParameters` decoding.
    case form
    /// `LocalMessageDecoder` on a posted JSON message.
    case local
    /// `JSONParser`.
    case json

    /// The first byte of inputs meant for this parser.
    public var selector: UInt8 {
        switch self {
        case .http: UInt8(ascii: "h")
        case .twilioForm: UInt8(ascii: "t")
        case .twilioJSON: UInt8(ascii: "T")
        case .vonage: UInt8(ascii: "v")
        case .webhook: UInt8(ascii: "w")
        case .form: UInt8(ascii: "f")
        case .local: UInt8(ascii: "l")
        case .json: UInt8(ascii: "j")
        }
    }

    public init(selector: UInt8) {
        self = Self.allCases.first { $0.selector == selector } ?? Self.allCases[Int(selector) % Self.allCases.count]
    }

    /// Runs one whole input (selector byte first). An empty input checks nothing.
    public static func run(_ input: [UInt8]) -> FuzzReport {
        guard let selector = input.first else { return FuzzReport(target: .json) }
        let target = FuzzTarget(selector: selector)
        return target.run(Array(input.dropFirst()))
    }

    /// Runs the parser on `payload` (the input without its selector byte).
    public func run(_ payload: [UInt8]) -> FuzzReport {
        var report = FuzzReport(target: self)
        switch self {
        case .http: Self.fuzzHTTP(payload, into: &report)
        case .twilioForm: Self.fuzzTwilio(payload, json: false, into: &report)
        case .twilioJSON: Self.fuzzTwilio(payload, json: true, into: &report)
        case .vonage: Self.fuzzVonage(payload, into: &report)
        case .webhook: Self.fuzzGenericWebhook(payload, into: &report)
        case .form: Self.fuzzForm(payload, into: &report)
        case .local: Self.fuzzLocal(payload, into: &report)
        case .json: Self.fuzzJSON(payload, into: &report)
        }
        return report
    }
}
