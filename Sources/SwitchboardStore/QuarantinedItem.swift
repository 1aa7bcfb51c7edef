import Foundation

/// Input an adapter could not turn into a message (a malformed mail, a webhook body that does
/// not parse), kept with its error and raw bytes so that it never blocks the adapter and an admin
/// can look at it later.
public struct QuarantinedItem: Sendable, Hashable {
    public var id: String
    public var adapterID: String
    public var receivedAt: Date
    /// A short stable code from the adapter (`mime.header-too-long`, `json.syntax`).
    public var errorCode: String
    public var errorMessage: String
    public var raw: [UInt8]

    public init(id: String, adapterID: String, receivedAt: Date, errorCode: String, errorMessage: String, raw: [UInt8]) {
        self.id = id
        self.adapterID = adapterID
        self.receivedAt = receivedAt
        self.errorCode = errorCode
        self.errorMessage = errorMessage
        self.raw = raw
    }
}
