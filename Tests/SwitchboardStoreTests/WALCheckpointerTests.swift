import Testing
@testable import SwitchboardStore

@Suite("WAL checkpointer")
struct WALCheckpointerTests {
    @Test("the writer checkpoints itself before the log outgrows the size it is trimmed back to",
          arguments: [1024, 2048, 4096, 8192])   // the store creates 2 KiB pages; older stores have 4 KiB
    func inlineThresholdFitsTheJournalSizeLimit(pageSize: Int) {
        let limit = StoreOptions().logSizeLimit
        let pages = Int(WALCheckpointer.inlinePages(pageSize: pageSize, logSizeLimit: limit))
        let frameBytes = pageSize + 24
        // The threshold leaves room for a batch of 500 frames (about 120 ingested messages) past it.
        // A bigger batch, or commits while a background checkpoint holds the lock, can take the
        // file past the limit: it is then trimmed back when the log restarts (GroupCommitTests).
        #expect((pages + 500) * frameBytes + 32 <= limit)
        // ... and the threshold leaves room for several background checkpoints before it.
        #expect(pages >= Int(WALCheckpointer.backgroundPages) * 2)
    }
}
