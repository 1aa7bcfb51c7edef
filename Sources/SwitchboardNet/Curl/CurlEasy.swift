import CCurl

/// One libcurl easy handle, freed in `deinit`.
///
/// Options are set through the typed wrappers in `CCurl/shim.h` (`curl_easy_setopt` is variadic).
/// The C callbacks capture nothing: each finds this object through the `Unmanaged` pointer passed
/// as its user data and calls the Swift handler set on it. The handle is used by one thread at a
/// time (it is not Sendable); `perform()` blocks, so call it from a dedicated thread or serial
/// queue, never from the Swift concurrency pool.
public final class CurlEasy {
    /// What a trace line is: libcurl's own notes, or protocol lines and data in either direction.
    public enum TraceKind: Sendable {
        case text, headerIn, headerOut, dataIn, dataOut, other
    }

    let handle: UnsafeMutableRawPointer
    private let errorBuffer: UnsafeMutablePointer<CChar>
    private var lists: [UnsafeMutablePointer<curl_slist>] = []

    /// Receives response body bytes; return false to abort the transfer.
    public var bodyHandler: ((UnsafeRawBufferPointer) -> Bool)?
    /// Receives response header lines (for IMAP/SMTP: every server line); return false to abort.
    public var headerHandler: ((UnsafeRawBufferPointer) -> Bool)?
    /// Fills the buffer with upload bytes and answers how many (0 at the end). Set it before
    /// `enableUpload(size:)`.
    public var uploadHandler: ((UnsafeMutableRawBufferPointer) -> Int)?
    /// Sees every protocol line (CURLOPT_VERBOSE through CURLOPT_DEBUGFUNCTION): how the SMTP
    /// sender keeps the server's full answer. Set it before `enableTrace()`.
    public var traceHandler: ((TraceKind, UnsafeRawBufferPointer) -> Void)?

    private static let globalInit: CURLcode = curl_global_init(Int(CURL_GLOBAL_ALL))

    public init() throws(CurlError) {
        guard Self.globalInit == CURLE_OK else { throw CurlError(Self.globalInit, detail: "curl_global_init failed") }
        guard let handle = curl_easy_init() else { throw CurlError(code: -1, message: "curl_easy_init failed") }
        self.handle = handle
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        _ = sb_curl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer)
        _ = sb_curl_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
        installDataCallbacks()
    }

    deinit {
        curl_easy_cleanup(handle)
        for list in lists { curl_slist_free_all(list) }
        errorBuffer.deallocate()
    }

    private var opaqueSelf: UnsafeMutableRawPointer { Unmanaged.passUnretained(self).toOpaque() }

    /// Body and header bytes always go to this object (never libcurl's default of stdout).
    /// Unretained is safe: callbacks run only inside `perform()`, while the caller holds `self`.
    private func installDataCallbacks() {
        _ = sb_curl_setopt_write_function(handle) { data, size, count, user in
            let easy = Unmanaged<CurlEasy>.fromOpaque(user!).takeUnretainedValue()
            let n = size * count
            guard let handler = easy.bodyHandler else { return n }
            return handler(UnsafeRawBufferPointer(start: data, count: n)) ? n : 0
        }
        _ = sb_curl_setopt_pointer(handle, CURLOPT_WRITEDATA, opaqueSelf)
        _ = sb_curl_setopt_header_function(handle) { data, size, count, user in
            let easy = Unmanaged<CurlEasy>.fromOpaque(user!).takeUnretainedValue()
            let n = size * count
            guard let handler = easy.headerHandler else { return n }
            return handler(UnsafeRawBufferPointer(start: data, count: n)) ? n : 0
        }
        _ = sb_curl_setopt_pointer(handle, CURLOPT_HEADERDATA, opaqueSelf)
    }

    // MARK: Options

    public func set(_ option: CURLoption, _ value: Int) throws(CurlError) {
        try check(sb_curl_setopt_long(handle, option, value), option)
    }

    public func set(_ option: CURLoption, _ value: String) throws(CurlError) {
        try check(sb_curl_setopt_string(handle, option, value), option)  // libcurl copies strings
    }

    public func setLarge(_ option: CURLoption, _ value: Int64) throws(CurlError) {
        try check(sb_curl_setopt_off(handle, option, curl_off_t(value)), option)
    }

    /// A string list option (recipients, extra headers); the list lives as long as the handle.
    public func set(_ option: CURLoption, list values: [String]) throws(CurlError) {
        var list: UnsafeMutablePointer<curl_slist>?
        for value in values { list = curl_slist_append(list, value) }
        if let list { lists.append(list) }
        try check(sb_curl_setopt_slist(handle, option, list), option)
    }

    /// Millisecond timeouts from Durations: connect and the whole `perform()`.
    public func setTimeouts(connect: Duration, total: Duration?) throws(CurlError) {
        try set(CURLOPT_CONNECTTIMEOUT_MS, Self.milliseconds(connect))
        if let total { try set(CURLOPT_TIMEOUT_MS, Self.milliseconds(total)) }
    }

    public func apply(_ tls: CurlTLSOptions) throws(CurlError) {
        try tls.apply(to: self)
    }

    /// Sends `uploadHandler`'s bytes as the request body (SMTP DATA, PUT).
    public func enableUpload(size: Int?) throws(CurlError) {
        _ = sb_curl_setopt_read_function(handle) { buffer, size, count, user in
            let easy = Unmanaged<CurlEasy>.fromOpaque(user!).takeUnretainedValue()
            guard let buffer, let handler = easy.uploadHandler else { return 0 }
            return handler(UnsafeMutableRawBufferPointer(start: buffer, count: size * count))
        }
        try check(sb_curl_setopt_pointer(handle, CURLOPT_READDATA, opaqueSelf), CURLOPT_READDATA)
        try set(CURLOPT_UPLOAD, 1)
        if let size { try setLarge(CURLOPT_INFILESIZE_LARGE, Int64(size)) }
    }

    /// Routes libcurl's protocol trace to `traceHandler` (nothing goes to stderr).
    public func enableTrace() throws(CurlError) {
        _ = sb_curl_setopt_debug_function(handle) { _, type, data, size, user in
            let easy = Unmanaged<CurlEasy>.fromOpaque(user!).takeUnretainedValue()
            let kind: TraceKind
            switch type {
            case CURLINFO_TEXT: kind = .text
            case CURLINFO_HEADER_IN: kind = .headerIn
            case CURLINFO_HEADER_OUT: kind = .headerOut
            case CURLINFO_DATA_IN: kind = .dataIn
            case CURLINFO_DATA_OUT: kind = .dataOut
            default: kind = .other
            }
            easy.traceHandler?(kind, UnsafeRawBufferPointer(start: data, count: size))
            return 0
        }
        try check(sb_curl_setopt_pointer(handle, CURLOPT_DEBUGDATA, opaqueSelf), CURLOPT_DEBUGDATA)
        try set(CURLOPT_VERBOSE, 1)
    }

    // MARK: Running

    /// Runs the transfer (or, with CURLOPT_CONNECT_ONLY, the connection and login phase).
    public func perform() throws(CurlError) {
        errorBuffer[0] = 0
        let rc = curl_easy_perform(handle)
        guard rc == CURLE_OK else { throw CurlError(rc, detail: lastErrorDetail) }
    }

    /// The last response code: HTTP status, or the SMTP/FTP reply code.
    public var responseCode: Int {
        var code = 0
        _ = sb_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &code)
        return code
    }

    /// The connected socket after a CONNECT_ONLY `perform()`, for poll(2).
    public var activeSocket: Int32? {
        var socket: curl_socket_t = -1
        guard sb_curl_getinfo_socket(handle, &socket) == CURLE_OK, socket >= 0 else { return nil }
        return socket
    }

    /// One `curl_easy_send` (CONNECT_ONLY): the code and how many bytes went out.
    public func sendSome(_ bytes: UnsafeRawBufferPointer) -> (CURLcode, Int) {
        var sent = 0
        let rc = curl_easy_send(handle, bytes.baseAddress, bytes.count, &sent)
        return (rc, sent)
    }

    /// One `curl_easy_recv` (CONNECT_ONLY): the code and how many bytes came in (0 with
    /// CURLE_OK: the peer closed the connection).
    public func receiveSome(_ buffer: UnsafeMutableRawBufferPointer) -> (CURLcode, Int) {
        var received = 0
        let rc = curl_easy_recv(handle, buffer.baseAddress, buffer.count, &received)
        return (rc, received)
    }

    var lastErrorDetail: String { String(cString: errorBuffer) }

    private func check(_ rc: CURLcode, _ option: CURLoption) throws(CurlError) {
        guard rc == CURLE_OK else { throw CurlError(rc, detail: "setting option \(option.rawValue)") }
    }

    static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        return max(0, Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000))
    }
}
