import Foundation

/// Where a secret (a password, an API token, a webhook signing key) comes from. adapters.json
/// never holds a secret itself, only one of these references:
///
/// - `env:NAME`: the environment variable NAME (for `Environment=` / `EnvironmentFile=`);
/// - `file:/absolute/path`: the file's contents, one trailing newline removed;
/// - `credential:NAME`: the systemd credential NAME, i.e. the file `$CREDENTIALS_DIRECTORY/NAME`
///   (`LoadCredential=NAME:/etc/switchboard/NAME` or `LoadCredentialEncrypted=` in the unit).
///
/// Reading the configuration only checks the form; `resolve(environment:)` fetches the value when
/// the adapter starts, so `check-config` works without the secrets at hand.
public enum SecretReference: Sendable, Hashable, CustomStringConvertible {
    case environment(String)
    case file(String)
    case credential(String)

    /// The message for anything that is not a reference.
    public static let inlineMessage = "secrets must not be inline; use env:NAME, file:PATH or credential:NAME"

    /// Why a text is not a usable reference, without repeating the text (it may be the secret).
    public struct FormError: Error, Sendable, Hashable {
        /// True when the text does not even look like a reference: probably an inline secret.
        public var isInline: Bool
        public var message: String
        public var hint: String?
    }

    public static func parse(_ text: String) -> Result<SecretReference, FormError> {
        if text.hasPrefix("env:") {
            let name = String(text.dropFirst(4))
            guard isEnvironmentName(name) else {
                return .failure(FormError(isInline: false, message: "env: must be followed by an environment variable name",
                                          hint: "letters, digits and '_', not starting with a digit, e.g. env:IMAP_PASSWORD"))
            }
            return .success(.environment(name))
        }
        if text.hasPrefix("file:") {
            let path = String(text.dropFirst(5))
            guard path.hasPrefix("/"), path.count > 1 else {
                return .failure(FormError(isInline: false, message: "file: must be followed by an absolute path",
                                          hint: "e.g. file:/etc/switchboard/imap-password"))
            }
            return .success(.file(path))
        }
        if text.hasPrefix("credential:") {
            let name = String(text.dropFirst(11))
            guard !name.isEmpty, !name.contains("/"), name != ".", name != ".." else {
                return .failure(FormError(isInline: false, message: "credential: must be followed by a systemd credential name",
                                          hint: "the name given to LoadCredential= in the unit, without '/'"))
            }
            return .success(.credential(name))
        }
        return .failure(FormError(isInline: true, message: inlineMessage,
                                  hint: "put the secret in a file or the service environment and refer to it"))
    }

    private static func isEnvironmentName(_ name: String) -> Bool {
        guard let first = name.utf8.first, !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) else { return false }
        return name.utf8.allSatisfy { byte in
            (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "_")
        }
    }

    /// The reference as written in the file (safe to log: it names the secret, it is not the secret).
    public var description: String {
        switch self {
        case .environment(let name): "env:\(name)"
        case .file(let path): "file:\(path)"
        case .credential(let name): "credential:\(name)"
        }
    }

    /// Fetches the secret. `readFile` is injectable for tests; it returns nil when the file cannot
    /// be read. Errors name the reference and the reason, never the value.
    public func resolve(environment: [String: String],
                        readFile: (String) -> [UInt8]? = SecretReference.readFile) throws(SecretResolutionError) -> SecretValue {
        let bytes: [UInt8]
        switch self {
        case .environment(let name):
            guard let value = environment[name] else {
                throw SecretResolutionError(reference: self, reason: "the environment variable \(name) is not set",
                                            hint: "set it with Environment= or EnvironmentFile= in the service unit")
            }
            bytes = Array(value.utf8)
        case .file(let path):
            bytes = try SecretReference.contents(of: path, reference: self, readFile: readFile)
        case .credential(let name):
            guard let directory = environment["CREDENTIALS_DIRECTORY"], !directory.isEmpty else {
                throw SecretResolutionError(reference: self, reason: "CREDENTIALS_DIRECTORY is not set",
                                            hint: "credential: works when systemd starts the daemon with LoadCredential=\(name):PATH; when running by hand use env: or file:")
            }
            bytes = try SecretReference.contents(of: directory + "/" + name, reference: self, readFile: readFile)
        }
        guard !bytes.isEmpty else {
            throw SecretResolutionError(reference: self, reason: "the secret is empty", hint: nil)
        }
        return SecretValue(bytes)
    }

    private static func contents(of path: String, reference: SecretReference,
                                 readFile: (String) -> [UInt8]?) throws(SecretResolutionError) -> [UInt8] {
        guard var bytes = readFile(path) else {
            let exists = FileManager.default.fileExists(atPath: path)
            throw SecretResolutionError(reference: reference,
                                        reason: exists ? "\(path) cannot be read" : "\(path) does not exist",
                                        hint: exists ? "the daemon's user needs read permission on it" : nil)
        }
        if bytes.last == 0x0A { bytes.removeLast() }
        if bytes.last == 0x0D { bytes.removeLast() }
        return bytes
    }

    /// Reads a whole file, or nil when it cannot.
    public static func readFile(_ path: String) -> [UInt8]? {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
              let data = FileManager.default.contents(atPath: path) else { return nil }
        return [UInt8](data)
    }
}

/// Why a secret could not be fetched: the reference, the reason, and what to do. Never the value.
public struct SecretResolutionError: Error, Sendable, Hashable, CustomStringConvertible {
    public var reference: SecretReference
    public var reason: String
    public var hint: String?

    public var description: String {
        var text = "secret \(reference): \(reason)"
        if let hint { text += " (\(hint))" }
        return text
    }
}

/// A resolved secret. It prints as `<redacted>` so that it cannot end up in a log line or an
/// error message by accident; use `bytes` or `string` where the secret is really needed.
public struct SecretValue: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public let bytes: [UInt8]

    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public var string: String { String(decoding: bytes, as: UTF8.self) }

    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
    public var customMirror: Mirror { Mirror(self, children: [:]) }
}
