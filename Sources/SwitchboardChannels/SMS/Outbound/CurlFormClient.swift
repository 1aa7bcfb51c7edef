import CCurl
import Foundation

/// A blocking HTTPS form POST through libcurl, for the providers' SMS APIs. One easy handle per
/// call (the call rate of an outbox is low; connection reuse is not worth shared state here).
/// Call it from a dedicated thread or serial queue, never from the Swift concurrency pool.
public struct CurlFormClient: Sendable {
    public struct Response: Sendable, Equatable {
        public var status: Int
        /// Header lines of the final response, names lower-cased.
        public var headers: [String: String]
        public var body: [UInt8]
    }

    /// A transport failure (no HTTP answer): DNS, connect, TLS, timeout. Always worth a retry.
    public struct TransportError: Error, Sendable, CustomStringConvertible {
        public var code: Int
        public var message: String
        public var description: String { "curl error \(code): \(message)" }
    }

    public var timeout: Duration
    public var connectTimeout: Duration
    public var userAgent: String

    public init(timeout: Duration = .seconds(30), connectTimeout: Duration = .seconds(10), userAgent: String = "switchboard-sms/1") {
        self.timeout = timeout
        self.connectTimeout = connectTimeout
        self.userAgent = userAgent
    }

    private static let globalInit: Bool = { curl_global_init(3) == CURLE_OK }()  // CURL_GLOBAL_ALL

    final class Sink {
        var body: [UInt8] = []
        var headers: [String: String] = [:]
        let maxBody = 1 << 20
    }

    /// POSTs `form` to `url` with optional Basic credentials.
    public func post(url: String, form: FormParameters, basicAuth: (user: String, password: String)? = nil) throws(TransportError) -> Response {
        _ = Self.globalInit
        guard let handle = curl_easy_init() else { throw TransportError(code: -1, message: "curl_easy_init failed") }
        defer { curl_easy_cleanup(handle) }
        let sink = Sink()
        let opaque = Unmanaged.passRetained(sink)
        defer { opaque.release() }

        _ = sb_curl_setopt_string(handle, CURLOPT_URL, url)
        _ = sb_curl_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
        _ = sb_curl_setopt_long(handle, CURLOPT_POST, 1)
        _ = sb_curl_setopt_string(handle, CURLOPT_COPYPOSTFIELDS, form.encoded)
        _ = sb_curl_setopt_long(handle, CURLOPT_TIMEOUT_MS, Int(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000))
        _ = sb_curl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, Int(connectTimeout.components.seconds * 1000))
        _ = sb_curl_setopt_string(handle, CURLOPT_USERAGENT, userAgent)
        _ = sb_curl_setopt_string(handle, CURLOPT_PROTOCOLS_STR, "http,https")
        if let basicAuth {
            _ = sb_curl_setopt_long(handle, CURLOPT_HTTPAUTH, 1)  // CURLAUTH_BASIC
            _ = sb_curl_setopt_string(handle, CURLOPT_USERNAME, basicAuth.user)
            _ = sb_curl_setopt_string(handle, CURLOPT_PASSWORD, basicAuth.password)
        }
        var list: UnsafeMutablePointer<curl_slist>?
        list = curl_slist_append(list, "Content-Type: application/x-www-form-urlencoded; charset=utf-8")
        list = curl_slist_append(list, "Accept: application/json")
        list = curl_slist_append(list, "Expect:")
        defer { curl_slist_free_all(list) }
        _ = sb_curl_setopt_slist(handle, CURLOPT_HTTPHEADER, list)

        _ = sb_curl_setopt_write_function(handle) { data, size, count, user in
            let sink = Unmanaged<Sink>.fromOpaque(user!).takeUnretainedValue()
            let n = size * count
            if let data, sink.body.count + n <= sink.maxBody {
                sink.body.append(contentsOf: UnsafeRawBufferPointer(start: data, count: n))
            }
            return n
        }
        _ = sb_curl_setopt_pointer(handle, CURLOPT_WRITEDATA, opaque.toOpaque())
        _ = sb_curl_setopt_header_function(handle) { data, size, count, user in
            let sink = Unmanaged<Sink>.fromOpaque(user!).takeUnretainedValue()
            let n = size * count
            guard let data else { return n }
            let line = String(decoding: UnsafeRawBufferPointer(start: data, count: n), as: UTF8.self)
            if line.hasPrefix("HTTP/") { sink.headers = [:] }  // a new response (after 100 Continue or a redirect)
            if let colon = line.firstIndex(of: ":") {
                let name = line[..<colon].lowercased()
                let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
                sink.headers[name] = value
            }
            return n
        }
        _ = sb_curl_setopt_pointer(handle, CURLOPT_HEADERDATA, opaque.toOpaque())

        let rc = curl_easy_perform(handle)
        guard rc == CURLE_OK else {
            throw TransportError(code: Int(rc.rawValue), message: String(cString: curl_easy_strerror(rc)))
        }
        var status = 0
        _ = sb_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        return Response(status: status, headers: sink.headers, body: sink.body)
    }
}
