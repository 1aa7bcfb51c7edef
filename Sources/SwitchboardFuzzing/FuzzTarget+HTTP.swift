import SwitchboardNet

extension FuzzTarget {
    /// Limits small enough that 413, 414 and 431 are reachable with inputs of a few hundred bytes.
    static let tightHTTPLimits = HTTPServerLimits(maxHeaderBytes: 256, maxRequestTargetBytes: 64, maxHeaderCount: 8,
                                                  maxBodyBytes: 128, maxChunkSizeLineBytes: 16)

    /// The payload's first byte is the mode: bit 0 picks the tight limits, the rest seeds the
    /// sizes of the reads the remaining bytes arrive in. The bytes are parsed twice, in one read
    /// and in those pieces, and must give the same events: the parser promises that however the
    /// input is split.
    static func fuzzHTTP(_ payload: [UInt8], into report: inout FuzzReport) {
        guard let mode = payload.first else { return }
        let bytes = Array(payload.dropFirst())
        let limits = mode & 1 == 0 ? HTTPServerLimits() : tightHTTPLimits
        let whole = parseHTTP(bytes, pieces: [bytes.count], limits: limits, into: &report)
        let split = parseHTTP(bytes, pieces: readSizes(total: bytes.count, seed: mode >> 1), limits: limits, into: &report)
        report.check(whole == split, "split reads gave other events than one read: \(brief(split)) instead of \(brief(whole))")
        report.accepted = whole.filter { if case .request = $0 { true } else { false } }.count
    }

    /// Feeds `bytes` in reads of the given sizes and returns every event but `.needMoreData`,
    /// checking after each `next()` what must hold.
    static func parseHTTP(_ bytes: [UInt8], pieces: [Int], limits: HTTPServerLimits,
                          into report: inout FuzzReport) -> [HTTPParseResult] {
        var parser = HTTPRequestParser(limits: limits)
        var events: [HTTPParseResult] = []
        var fed = 0
        var consumed = 0
        var announced: HTTPRequestHead?
        for size in pieces {
            parser.feed(bytes[fed..<(fed + size)])
            fed += size
            while true {
                let event = parser.next()
                let buffered = parser.bufferedByteCount
                report.check((0...fed).contains(buffered), "\(buffered) bytes buffered after \(fed) were fed")
                report.check(fed - buffered >= consumed, "consumed went back from \(consumed) to \(fed - buffered) bytes")
                consumed = fed - buffered
                switch event {
                case .needMoreData:
                    break
                case .head(let head):
                    report.check(announced == nil, "a second head before the first one's request")
                    report.check(head.hasBody, "a head announced for a request without a body")
                    announced = head
                case .request(let request):
                    if let announced {
                        report.check(announced == request.head, "the request's head differs from the head announced before its body")
                    } else {
                        report.check(!request.head.hasBody, "a request with a body came without its head first")
                    }
                    announced = nil
                    if !request.head.isChunked {
                        report.check(request.body.count == request.head.contentLength ?? 0,
                                     "body of \(request.body.count) bytes with Content-Length \(request.head.contentLength.map(String.init) ?? "absent")")
                    }
                    report.check(request.body.count <= limits.maxBodyBytes, "body of \(request.body.count) bytes over the limit of \(limits.maxBodyBytes)")
                case .failure:
                    report.check(parser.hasFailed, "a failure returned, but the parser does not say it failed")
                    report.check(parser.next() == event, "a failed parser answered something else on the next call")
                    events.append(event)
                    return events
                }
                if case .needMoreData = event { break }
                events.append(event)
            }
        }
        return events
    }

    /// Read sizes adding up to `total`, from a small generator seeded by the input: the seed's low
    /// two bits choose how long reads may be (1 byte, up to 3, up to 17 or up to 64).
    static func readSizes(total: Int, seed: UInt8) -> [Int] {
        let longest = [1, 3, 17, 64][Int(seed & 3)]
        var state = UInt32(seed) &* 2_654_435_761 | 1
        var sizes: [Int] = []
        var left = total
        while left > 0 {
            state = state &* 1_664_525 &+ 1_013_904_223
            let size = min(left, 1 + Int(state >> 16) % longest)
            sizes.append(size)
            left -= size
        }
        return sizes
    }

    /// Events in a few words each, for a violation's message.
    private static func brief(_ events: [HTTPParseResult]) -> String {
        let words = events.map { event -> String in
            switch event {
            case .needMoreData: "more"
            case .head(let head): "head \(head.method) \(head.target.prefix(40))"
            case .request(let request): "request \(request.method) \(request.target.prefix(40)) body \(request.body.count)"
            case .failure(let error): "failure \(error)"
            }
        }
        return "[" + words.joined(separator: ", ") + "]"
    }
}
