import Foundation
import Testing
@testable import SwitchboardCore

/// Parses `text` expecting failure; returns the error.
private func parseError(_ bytes: [UInt8], maxDepth: Int = 64) -> JSONParseError? {
    do {
        _ = try JSONParser(maxDepth: maxDepth).parse(bytes)
        return nil
    } catch {
        return error
    }
}

private func parseError(_ text: String) -> JSONParseError? { parseError(Array(text.utf8)) }

@Suite struct JSONParserTests {
    @Test(arguments: [
        ("null", JSONValue.null),
        ("true", .bool(true)),
        (" false ", .bool(false)),
        ("0", .int(0)),
        ("-0", .int(0)),
        ("42", .int(42)),
        ("-17", .int(-17)),
        ("1.5", .double(1.5)),
        ("-0.25", .double(-0.25)),
        ("1e3", .double(1000)),
        ("1E+2", .double(100)),
        ("2.5e-3", .double(0.0025)),
        ("\"\"", .string("")),
        ("\"plain\"", .string("plain")),
        ("\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\"", .string("a\"b\\c/d\u{8}\u{C}\n\r\t")),
        ("\"\\u00e9\\u20AC\"", .string("é€")),
        ("\"\\ud83d\\ude00\"", .string("😀")),
        ("\"\\u0000\"", .string("\u{0}")),
        ("\"héllo wörld €😀\"", .string("héllo wörld €😀")),
        ("[]", .array([])),
        ("{}", .object([:])),
        ("[1, \"two\", [3], {\"four\": 4}]", .array([.int(1), .string("two"), .array([.int(3)]), .object(["four": .int(4)])])),
        ("{\"a\": {\"b\": [true, null]}}", .object(["a": .object(["b": .array([.bool(true), .null])])])),
        ("\r\n\t {\"k\" :\n\"v\" } \n", .object(["k": .string("v")])),
    ] as [(String, JSONValue)])
    func parsesValidDocuments(text: String, expected: JSONValue) throws {
        #expect(try JSONParser().parse(text) == expected)
        #expect(try JSONParser().parse(Array(text.utf8)) == expected)
    }

    @Test(arguments: [
        // (document, line, column, reason fragment)
        ("", 1, 1, "the document is empty"),
        ("   ", 1, 4, "the document is empty"),
        ("{\"a\":1,}", 1, 8, "trailing comma"),
        ("{\"a\" 1}", 1, 6, "expected ':' after object key, found '1'"),
        ("[1 2]", 1, 4, "expected ',' or ']' after array element, found '2'"),
        ("{\n  \"a\": 1\n  \"b\": 2\n}", 3, 3, "expected ',' or '}' after object member, found '\"'"),
        ("[1,]", 1, 4, "trailing comma"),
        ("{\"a\":1}x", 1, 8, "unexpected 'x' after the JSON value"),
        ("01", 1, 1, "leading zeros"),
        ("-", 1, 2, "expected a digit after '-'"),
        ("1.", 1, 3, "expected a digit after '.'"),
        ("1e", 1, 3, "expected a digit in the exponent"),
        ("1e400", 1, 1, "too large"),
        ("tru", 1, 1, "invalid literal; expected true"),
        ("nul", 1, 1, "expected null"),
        ("NaN", 1, 1, "expected a value"),
        ("'a'", 1, 1, "strings must use double quotes"),
        ("\"abc", 1, 1, "unterminated string"),
        ("\"a\tb\"", 1, 3, "a tab must be escaped"),
        ("\"a\nb\"", 1, 3, "a line break must be escaped"),
        ("\"\\x\"", 1, 2, "invalid escape '\\x'"),
        ("\"\\u12G4\"", 1, 6, "four hex digits"),
        ("\"\\ud800\"", 1, 2, "lone high surrogate"),
        ("\"\\ud800\\u0041\"", 1, 8, "not a low surrogate"),
        ("\"\\udc00\"", 1, 2, "lone low surrogate"),
        ("{\"a\":1,\"a\":2}", 1, 8, "duplicate key \"a\""),
        ("{1:2}", 1, 2, "expected a key in double quotes"),
        ("[\"é\", x]", 1, 7, "expected a value"),
        ("{\"x\": [1, {\"y\": }]}", 1, 17, "expected a value"),
        ("[", 1, 2, "found the end of the document"),
    ])
    func reportsInvalidDocumentsWithPosition(text: String, line: Int, column: Int, reason: String) throws {
        let error = try #require(parseError(text))
        #expect(error.line == line, "\(error)")
        #expect(error.column == column, "\(error)")
        #expect(error.reason.contains(reason), "\(error)")
    }

    @Test func errorsCarryThePathOfTheValueBeingRead() throws {
        let nested = try #require(parseError("{\"x\": [1, {\"y\": }]}"))
        #expect(nested.path.description == "x[1].y")
        #expect(nested.description == "expected a value, found '}' (a trailing comma is not allowed) at line 1 column 17 (in x[1].y)")

        let duplicate = try #require(parseError("{\"adapters\": {\"local\": {\"type\": \"local\", \"type\": \"x\"}}}"))
        #expect(duplicate.path.description == "adapters.local.type")
        #expect(duplicate.reason == "duplicate key \"type\"")

        let member = try #require(parseError("{\"adapters\": {\n  \"local\": {\"a\": 1 \"b\": 2}\n}}"))
        #expect(member.description == "expected ',' or '}' after object member, found '\"' at line 2 column 20 (in adapters.local)")
        #expect(member.offset == 34)
    }

    @Test func duplicateKeysAreFoundInLargeObjectsToo() throws {
        var text = "{"
        for index in 0..<40 { text += "\"k\(index)\": \(index), " }
        text += "\"k7\": 0}"
        let error = try #require(parseError(text))
        #expect(error.reason == "duplicate key \"k7\"")
    }

    @Test(arguments: [
        ([0x22, 0xC3, 0x22], 3, "cannot follow 0xC3"),            // lead byte without continuation
        ([0x22, 0xC3], 2, "cut off"),
        ([0x22, 0xC0, 0x80, 0x22], 2, "cannot start a character"),  // overlong NUL
        ([0x22, 0xE0, 0x80, 0x80, 0x22], 3, "cannot follow 0xE0"),  // overlong 3-byte
        ([0x22, 0xED, 0xA0, 0x80, 0x22], 3, "cannot follow 0xED"),  // UTF-16 surrogate D800
        ([0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], 3, "cannot follow 0xF4"),  // above U+10FFFF
        ([0x22, 0xF5, 0x80, 0x80, 0x80, 0x22], 2, "cannot start"),
        ([0x22, 0x80, 0x22], 2, "cannot start a character"),       // lone continuation
        ([0x22, 0xE2, 0x82, 0x41, 0x22], 3, "not a continuation byte"),
        ([0x22, 0x5C, 0x6E, 0xFF, 0x22], 4, "cannot start"),       // after an escape
        ([0xC3, 0xA9], 1, "found byte 0xC3"),                       // outside a string
        ([0xEF, 0xBB, 0xBF, 0x7B, 0x7D], 1, "byte order mark"),
    ] as [([UInt8], Int, String)])
    func rejectsInvalidUTF8(bytes: [UInt8], column: Int, reason: String) throws {
        let error = try #require(parseError(bytes))
        #expect(error.reason.contains(reason), "\(error)")
        #expect(error.column == column, "\(error)")
    }

    @Test func acceptsEveryValidUTF8Length() throws {
        let text = "a é € 𝄞 \u{10FFFF} \u{FFFD}"
        let value = try JSONParser().parse(Array("\"\(text)\"".utf8))
        #expect(value == .string(text))
    }

    @Test func limitsNestingDepth() throws {
        let ok = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        #expect(throws: Never.self) { try JSONParser().parse(ok) }
        let deep = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
        let error = try #require(parseError(deep))
        #expect(error.reason == "nesting is deeper than 64 levels")
        #expect(error.column == 65)

        let objects = String(repeating: "{\"a\":", count: 3) + "1" + String(repeating: "}", count: 3)
        #expect(parseError(Array(objects.utf8), maxDepth: 2)?.path.description == "a.a")
        // A hostile document far deeper than the stack could take fails cleanly.
        let hostile = String(repeating: "[", count: 1_000_000)
        #expect(parseError(hostile)?.reason == "nesting is deeper than 64 levels")
    }

    @Test(arguments: [
        ("9223372036854775807", JSONValue.int(Int64.max)),
        ("-9223372036854775808", .int(Int64.min)),
        ("9223372036854775808", .double(9223372036854775808.0)),
        ("-9223372036854775809", .double(-9223372036854775809.0)),
        ("123456789012345678901234567890", .double(1.2345678901234568e29)),
        ("1234567890123456789", .int(1234567890123456789)),
        ("0.1", .double(0.1)),
        ("0.30000000000000004", .double(0.30000000000000004)),
        ("1e22", .double(1e22)),
        ("1e23", .double(1e23)),
        ("1.7976931348623157e308", .double(1.7976931348623157e308)),
        ("5e-324", .double(.leastNonzeroMagnitude)),
        ("2.2250738585072014e-308", .double(2.2250738585072014e-308)),
        ("1e-400", .double(0)),
        ("3.141592653589793238462643383279", .double(3.141592653589793)),
        ("0.000000000000000000000000000001", .double(1e-30)),
    ] as [(String, JSONValue)])
    func keepsNumbersExactWhereTheyCanBe(text: String, expected: JSONValue) throws {
        #expect(try JSONParser().parse(text) == expected)
    }

    @Test func objectsKeepDocumentOrderAndLookUpByKey() throws {
        let value = try JSONParser().parse("{\"z\": 1, \"a\": 2, \"m\": {\"x\": \"y\"}}")
        #expect(value.objectValue?.keys == ["z", "a", "m"])
        #expect(value["a"] == .int(2))
        #expect(value["m"]?["x"]?.stringValue == "y")
        #expect(value["missing"] == nil)
        #expect(value[0] == nil)
        #expect(try JSONParser().parse("[10, 20]")[1]?.intValue == 20)

        var large = "{"
        for index in 0..<50 { large += "\"key\(index)\": \(index)," }
        large += "\"last\": true}"
        let big = try JSONParser().parse(large)
        #expect(big["key37"]?.intValue == 37)
        #expect(big["last"]?.boolValue == true)
        #expect(big.objectValue?.count == 51)
    }

    @Test func objectEqualityIgnoresOrder() throws {
        let first = try JSONParser().parse("{\"a\": 1, \"b\": [1, 2]}")
        let second = try JSONParser().parse("{\"b\": [1, 2], \"a\": 1}")
        #expect(first == second)
        #expect(first.hashValue == second.hashValue)
        #expect(first != (try JSONParser().parse("{\"a\": 1, \"b\": [2, 1]}")))
    }

    @Test func objectsCanBeEdited() {
        var object: JSONObject = ["a": 1]
        object["b"] = "two"
        object["a"] = 3
        #expect(object.keys == ["a", "b"])
        #expect(object["a"] == .int(3))
        object["a"] = nil
        #expect(object.keys == ["b"])
        for index in 0..<20 { object["k\(index)"] = .int(Int64(index)) }
        #expect(object["k19"] == .int(19))
        #expect(object.removeValue(forKey: "k3") == .int(3))
        #expect(object["k4"] == .int(4))
        #expect(object.count == 20)
    }

    @Test func typedAccessors() throws {
        let value = try JSONParser().parse("{\"s\": \"x\", \"i\": 7, \"d\": 7.0, \"f\": 7.5, \"b\": false, \"n\": null, \"a\": [1]}")
        #expect(value["s"]?.stringValue == "x")
        #expect(value["i"]?.intValue == 7)
        #expect(value["d"]?.intValue == 7)
        #expect(value["f"]?.intValue == nil)
        #expect(value["f"]?.doubleValue == 7.5)
        #expect(value["b"]?.boolValue == false)
        #expect(value["n"]?.isNull == true)
        #expect(value["a"]?.arrayValue == [.int(1)])
        #expect(value["s"]?.intValue == nil)
        #expect(value["i"]?.typeName == "a number")
    }

    /// Random mutations of a valid document: the parser either fails cleanly or returns a value
    /// that survives a round trip through the writer.
    @Test func survivesRandomMutations() throws {
        let seed = Array("{\"id\":\"m-1\",\"text\":\"h\\u00e9llo \\\"x\\\"\",\"n\":[1,-2.5e3,true,null],\"o\":{\"k\":\"€\"}}".utf8)
        var generator = SplitMix64(seed: 0x5EED)
        let alphabet: [UInt8] = Array("{}[]\",:\\u0123456789.eE+-tfnrl ".utf8) + [0x00, 0x0A, 0x80, 0xC3, 0xE2, 0xED, 0xF0, 0xFF]
        for _ in 0..<3000 {
            var bytes = seed
            for _ in 0..<Int(generator.next() % 4 + 1) {
                let position = Int(generator.next() % UInt64(bytes.count))
                switch generator.next() % 3 {
                case 0: bytes[position] = alphabet[Int(generator.next() % UInt64(alphabet.count))]
                case 1: bytes.remove(at: position)
                default: bytes.insert(alphabet[Int(generator.next() % UInt64(alphabet.count))], at: position)
                }
                if bytes.isEmpty { bytes = [0x20] }
            }
            do {
                let value = try JSONParser().parse(bytes)
                #expect(try JSONParser().parse(value.serialized()) == value)
            } catch {
                #expect(error.offset <= bytes.count)
                #expect(error.line >= 1 && error.column >= 1)
            }
        }
    }
}

/// A small deterministic generator for repeatable random tests.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
