/// Limits on what one request may make the server hold in memory. Every input has a limit
/// (DESIGN §5): the parser enforces these and answers with the status named on each field.
public struct HTTPServerLimits: Sendable, Equatable {
    /// Request line plus header lines (and, separately, chunked trailers), CRLFs included. Over → 431.
    public var maxHeaderBytes: Int
    /// The request target (path and query) as sent. Over → 414.
    public var maxRequestTargetBytes: Int
    /// Header field lines in one request. Over → 431.
    public var maxHeaderCount: Int
    /// The body after chunked decoding. Over → 413, before the body is read when Content-Length says so.
    public var maxBodyBytes: Int
    /// One chunk-size line of a chunked body, extensions included. Over → 400.
    public var maxChunkSizeLineBytes: Int

    public init(maxHeaderBytes: Int = 16 * 1024,
                maxRequestTargetBytes: Int = 8 * 1024,
                maxHeaderCount: Int = 100,
                maxBodyBytes: Int = 1024 * 1024,
                maxChunkSizeLineBytes: Int = 1024) {
        self.maxHeaderBytes = maxHeaderBytes
        self.maxRequestTargetBytes = maxRequestTargetBytes
        self.maxHeaderCount = maxHeaderCount
        self.maxBodyBytes = maxBodyBytes
        self.maxChunkSizeLineBytes = maxChunkSizeLineBytes
    }
}
