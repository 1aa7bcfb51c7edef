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
        // The log holds the threshold plus the batch that crossed it (a few hundred frames at most).
        #expect((pages + 500) * frameBytes + 32 <= limit)
        // ... and the threshold leaves room for several background checkpoints before it.
        #expect(pages >= Int(WALCheckpointer.backgroundPages) * 2)
    }
}
