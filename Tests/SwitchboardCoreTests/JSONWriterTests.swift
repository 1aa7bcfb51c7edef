import Testing
@testable import SwitchboardCore

@Suite struct JSONWriterTests {
    @Test(arguments: [
        ("plain", "\"plain\""),
        ("", "\"\""),
        ("quote \" backslash \\ slash /", "\"quote \\\" backslash \\\\ slash /\""),
        ("line\nfeed\rtab\tbs\u{8}ff\u{C}", "\"line\\nfeed\\rtab\\tbs\\bff\\f\""),
        ("\u{0}\u{1}\u{1F}\u{7F}", "\"\\u0000\\u0001\\u001f\u{7F}\""),
        ("js \u{2028} and \u{2029} end", "\"js \\u2028 and \\u2029 end\""),
        ("é € 😀 \u{2027}\u{202A}", "\"é € 😀 \u{2027}\u{202A}\""),
        ("a long run of plain ascii text, then \"a quote\" near the end", "\"a long run of plain ascii text, then \\\"a quote\\\" near the end\""),
    ])
    func escapesStrings(input: String, expected: String) throws {
        var writer = JSONWriter()
        writer.value(input)
        #expect(writer.string == expected)
        #expect(try JSONParser().parse(writer.bytes) == .string(input))
    }

    /// The escaping done byte by byte, to compare the writer's word-at-a-time shortcut with.
    static func escapedByBytes(_ string: String) -> String {
        var out = "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{8}": out += "\\b"
            case "\u{C}": out += "\\f"
            case "\u{2028}": out += "\\u2028"
            case "\u{2029}": out += "\\u2029"
            case _ where scalar.value < 0x20: out += "\\u00" + (scalar.value < 0x10 ? "0" : "") + String(scalar.value, radix: 16)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// Every length around the word size (0 to 40 bytes), with one byte that needs escaping (or
    /// is non-ASCII) at every position, or none: the shortcut reads padded and overlapping words.
    @Test(arguments: ["", "\"", "\\", "\n", "\u{1}", "\u{1F}", "\u{7F}", "é", "\u{2028}", "\u{2029}", "\u{2027}", "😀"])
    func escapesAtEveryPositionOfEveryShortLength(special: String) throws {
        for length in 0...40 {
            for position in 0...length {
                let plain = String(repeating: "a", count: length)
                let text = String(plain.prefix(position)) + special + String(plain.dropFirst(position))
                var writer = JSONWriter()
                writer.value(text)
                #expect(writer.string == Self.escapedByBytes(text), "\(text.debugDescription)")
                #expect(try JSONParser().parse(writer.bytes) == .string(text))
            }
        }
        let long = String(repeating: "plain and simple ", count: 300) + special
        var writer = JSONWriter()
        writer.key(long)
        #expect(writer.string == Self.escapedByBytes(long) + ":")
    }

    @Test func staticKeysAreWrittenAsStringKeys() {
        var byString = JSONWriter()
        var byStatic = JSONWriter()
        byString.object { w in
            w.field("decided_by", "model"); w.field("n", 3); w.field("public", false); w.field("score", 0.25)
            w.key("list"); w.beginArray(); w.endArray(); w.key(""); w.nullValue()
        }
        byStatic.object { w in
            w.field(static: "decided_by", "model"); w.field(static: "n", 3); w.field(static: "public", false)
            w.field(static: "score", 0.25)
            w.key(static: "list"); w.beginArray(); w.endArray(); w.key(static: ""); w.nullValue()
        }
        #expect(byStatic.string == byString.string)
        #expect(byStatic.string == #"{"decided_by":"model","n":3,"public":false,"score":0.25,"list":[],"":null}"#)
    }

    /// `value(_: Double)` writes through `Double.write(to:)`: the same digits as `description`.
    @Test func doublesAreWrittenAsTheirDescription() {
        var random = SystemRandomNumberGenerator()
        var values: [Double] = [0, -0.0, 1e15, -1e15, 1e15 + 1, 1e16, 0.1, 1.0 / 3, 4.010610994087095e-05, 9.025136647869658e-06,
                                Double.leastNormalMagnitude, Double.leastNonzeroMagnitude, Double.greatestFiniteMagnitude,
                                -Double.greatestFiniteMagnitude, 0.9999336924040266]
        for _ in 0..<5_000 { values.append(Double(bitPattern: random.next())) }
        for _ in 0..<1_000 { values.append(Double.random(in: -1...1, using: &random)) }
        for value in values where value.isFinite && !(value == value.rounded(.towardZero) && abs(value) < 1e15) {
            var writer = JSONWriter()
            writer.value(value)
            #expect(writer.string == value.description, "\(value.bitPattern)")
        }
    }

    @Test func placesCommasAndKeys() {
        var writer = JSONWriter()
        writer.object { w in
            w.field("id", "msg_1")
            w.field("duplicate", false)
            w.field("count", 3)
            w.field("score", 0.5)
            w.fieldIfPresent("absent", nil as String?)
            w.fieldIfPresent("present", "yes")
            w.field("tags", array: { w in
                w.value("a")
                w.value(Int64(-9_223_372_036_854_775_808))
                w.nullValue()
                w.object { _ in }
            })
            w.field("nested", object: { w in w.field("x", JSONValue.array([1, 2])) })
        }
        #expect(writer.string == #"{"id":"msg_1","duplicate":false,"count":3,"score":0.5,"present":"yes","tags":["a",-9223372036854775808,null,{}],"nested":{"x":[1,2]}}"#)
        writer.reset()
        writer.value(true)
        #expect(writer.string == "true")
    }

    @Test(arguments: [
        (1.0, "1.0"), (0.1, "0.1"), (-2.5, "-2.5"), (1e300, "1e+300"), (Double.leastNonzeroMagnitude, "5e-324"),
        (123456789.0, "123456789.0"), (Double.nan, "null"), (Double.infinity, "null"),
    ])
    func writesDoublesThatReadBack(value: Double, expected: String) throws {
        var writer = JSONWriter()
        writer.value(value)
        #expect(writer.string == expected)
        if value.isFinite { #expect(try JSONParser().parse(writer.bytes) == .double(value)) }
    }

    @Test(arguments: [
        "null", "true", "0", "-1", "9223372036854775807", "1.5", "1e+300", "\"x\\u2028y\"",
        "[]", "{}", "[1,[2,[3,{}]]]", "{\"b\":1,\"a\":{\"d\":[true,false,null],\"c\":\"\\n\"}}",
        "{\"text\":\"h\u{e9}llo \\\"w\\\" \\\\ \\u0001 😀\",\"n\":-0.000123}",
    ])
    func roundTripsThroughTheWriter(text: String) throws {
        let value = try JSONParser().parse(text)
        #expect(try JSONParser().parse(value.serialized()) == value)
        #expect(try JSONParser().parse(value.serialized(pretty: true, sortedKeys: true)) == value)
        #expect(value.compactString == (try JSONParser().parse(value.compactString)).compactString)
    }

    @Test func compactKeepsOrderAndPrettySortsKeys() throws {
        let value = try JSONParser().parse("{\"b\": 1, \"a\": {\"y\": [1, 2], \"x\": []}, \"é\": {}}")
        #expect(value.compactString == #"{"b":1,"a":{"y":[1,2],"x":[]},"é":{}}"#)
        #expect(value.prettyString == """
        {
          "a": {
            "x": [],
            "y": [
              1,
              2
            ]
          },
          "b": 1,
          "é": {}
        }
        """)
    }

    @Test func canonicalBytesIgnoreOrderAndSpacing() throws {
        let first = try JSONParser().parse("{\"type\": \"local\", \"max_body\": \"1MiB\"}")
        let second = try JSONParser().parse("{\n  \"max_body\" : \"1MiB\",\n  \"type\":\"local\"\n}")
        #expect(first.canonicalBytes == second.canonicalBytes)
        #expect(String(decoding: first.canonicalBytes, as: UTF8.self) == #"{"max_body":"1MiB","type":"local"}"#)
    }

    @Test func pathsPrintTheWayAdminsNavigate() {
        let path = JSONPath([.key("adapters"), .key("support-mail"), .key("interval")])
        #expect(path.description == "adapters.support-mail.interval")
        #expect(JSONPath([.key("listeners"), .key("web"), .key("trusted_proxies"), .index(2)]).description == "listeners.web.trusted_proxies[2]")
        #expect(JSONPath([.key("adapters"), .key("my adapter"), .key("type")]).description == "adapters[\"my adapter\"].type")
        #expect(JSONPath([.key("a.b")]).description == "[\"a.b\"]")
        #expect(JSONPath.root.description == "(top level)")
    }
}
