import Testing
import SwitchboardCore
@testable import SwitchboardChannels

@Suite struct SMSSettingsTests {
    func read<T>(_ json: String, _ parse: (ConfigReader) -> T) throws -> (T, [String]) {
        let reader = ConfigReader(root: try JSONParser().parse(json))
        let value = parse(reader)
        reader.reportUnknownKeys()
        return (value, reader.issues.map(\.description))
    }

    @Test func twilioWithEverything() throws {
        let (settings, issues) = try read("""
            {"listener":"web","path":"/sms/twilio","auth_token":"env:TW","shared_key":"file:/etc/sk","shared_key_id":"k1",
             "public_url":"https://support.example.com/sms/twilio","default_region":"gb","max_body":"32KiB",
             "rate_limit":{"per_second":20,"burst":40},"backlog_budget":500,"retry_after":"2s"}
            """, TwilioAdapterSettings.parse)
        #expect(issues.isEmpty, "\(issues)")
        let s = try #require(settings)
        #expect(s.authToken == .environment("TW"))
        #expect(s.sharedKey == .file("/etc/sk"))
        #expect(s.endpoint.defaultRegion == "GB")
        #expect(s.endpoint.maxBody == 32 << 10)
        #expect(s.endpoint.rateLimit == .init(perSecond: 20, burst: 40))
        #expect(s.endpoint.route(adapterID: "x") == "/sms/twilio")
        #expect(s.listenerReferences == [ListenerReference(key: "listener", name: "web", kind: .tcp)])
    }

    @Test func defaultsAndRoute() throws {
        let (settings, issues) = try read(#"{"listener":"web","auth_token":"env:TW"}"#, TwilioAdapterSettings.parse)
        #expect(issues.isEmpty)
        #expect(settings?.endpoint.route(adapterID: "twilio-us") == "/sms/twilio-us")
        #expect(settings?.endpoint.rateLimit == nil)
    }

    @Test func problemsAreReportedAndTheListenerStillChecked() throws {
        let (settings, issues) = try read(#"{"listener":"web","auth_token":"plaintext","path":"sms","public_url":"ftp://x","default_region":"XX"}"#,
                                          TwilioAdapterSettings.parse)
        #expect(settings != nil, "settings with placeholders, so the listener cross-check runs")
        #expect(issues.contains { $0.contains("auth_token") && $0.contains("inline") })
        #expect(issues.contains { $0.hasPrefix("path:") })
        #expect(issues.contains { $0.hasPrefix("public_url:") })
        #expect(issues.contains { $0.hasPrefix("default_region:") })
        #expect(!issues.joined().contains("plaintext"), "an inline secret is never echoed")
    }

    @Test func vonage() throws {
        let (s, issues) = try read(#"{"listener":"web","signature_secret":"env:VS","signature_method":"sha512","concat_timeout":"5m"}"#,
                                   VonageAdapterSettings.parse)
        #expect(issues.isEmpty)
        #expect(s?.signatureMethod == .sha512)
        #expect(s?.concatTimeout == .seconds(300))
        let (none, noneIssues) = try read(#"{"listener":"web","signature_method":"none"}"#, VonageAdapterSettings.parse)
        #expect(noneIssues.isEmpty)
        #expect(none?.signatureMethod == nil && none?.signatureSecret == nil)
        let (_, missing) = try read(#"{"listener":"web"}"#, VonageAdapterSettings.parse)
        #expect(missing.contains { $0.hasPrefix("signature_secret:") })
    }

    @Test func generic() throws {
        let (s, issues) = try read("""
            {"listener":"web","secret":"env:S","previous_secret":"env:S0","signature_header":"X-Hub-Signature-256",
             "signature_prefix":"","signature_encoding":"base64","timestamp_header":"X-Hub-Timestamp","tolerance":"1m",
             "fields":{"id":"message.id","from":"message.from"}}
            """, SMSWebhookSettings.parse)
        #expect(issues.isEmpty, "\(issues)")
        #expect(s?.signaturePrefix == "")
        #expect(s?.signatureEncoding == .base64)
        #expect(s?.fields.id == "message.id")
        #expect(s?.fields.text == "text")
        let (_, bad) = try read(#"{"listener":"web","secret":"env:S","fields":{"idd":"x"},"signature_encoding":"hexx"}"#, SMSWebhookSettings.parse)
        #expect(bad.contains { $0.contains("fields.idd") })
        #expect(bad.contains { $0.hasPrefix("signature_encoding:") })
    }

    @Test func registered() {
        #expect(AdapterRegistry.standard.names.contains("twilio"))
        #expect(AdapterRegistry.standard.names.contains("vonage"))
        #expect(AdapterRegistry.standard.names.contains("sms-webhook"))
        #expect(AdapterRegistry.standard.type(named: "twilio")?.channel == .sms)
    }
}
