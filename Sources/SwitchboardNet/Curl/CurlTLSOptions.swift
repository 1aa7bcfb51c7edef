import CCurl

/// How a libcurl connection checks the server's certificate. Checks are on unless an admin
/// turns them off explicitly; whoever does so logs it (`insecureSkipVerify` is a loud setting).
public struct CurlTLSOptions: Sendable, Hashable {
    /// A PEM file of CA certificates to trust instead of the system's (a private CA, a test
    /// server's self-signed certificate). nil uses the system store.
    public var caFile: String?
    /// Skips the certificate and host name checks: anyone on the path can read and change the
    /// traffic. For a lab only.
    public var insecureSkipVerify: Bool

    public init(caFile: String? = nil, insecureSkipVerify: Bool = false) {
        self.caFile = caFile
        self.insecureSkipVerify = insecureSkipVerify
    }

    public static let verified = CurlTLSOptions()

    func apply(to easy: CurlEasy) throws(CurlError) {
        if let caFile { try easy.set(CURLOPT_CAINFO, caFile) }
        try easy.set(CURLOPT_SSL_VERIFYPEER, insecureSkipVerify ? 0 : 1)
        try easy.set(CURLOPT_SSL_VERIFYHOST, insecureSkipVerify ? 0 : 2)
    }
}
