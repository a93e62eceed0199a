import RatingRules
import XCTest
@testable import Billing

/// The rerate's changed calls go to the store in batches of 20,000, so memory
/// holds a batch, not the month; a dry run counts them and writes none.
final class ChangeBatcherTests: XCTestCase {
    private func changes(_ n: Int, from first: Int = 0) -> [CallChange] {
        (first ..< first + n).map { i in
            CallChange(uuid: "call-\(i)", start: 0, before: PricedCall(subscriptionId: nil, cost: .zero),
                       after: PricedCall(subscriptionId: nil, cost: Money(units: 1)), match: nil)
        }
    }

    private func runId(_ source: ChangeSource?) -> String? {
        if case .rerate(let id) = source { return id }
        return nil
    }

    /// 19,999 changes wait; the 20,000th makes a batch, written at once, in the order found, under the run.
    func testABatchIsWrittenOnceItHoldsTwentyThousandChanges() throws {
        let store = RecordingStore()
        var batcher = ChangeBatcher(store: store, source: .rerate(runId: "run-1"))
        batcher.add(changes(19_999))
        try batcher.flushIfFull()
        XCTAssertTrue(store.applied.isEmpty, "19,999 changes are not a batch yet")
        batcher.add(changes(1, from: 19_999))
        try batcher.flushIfFull()
        XCTAssertEqual(store.applied.map(\.changes.count), [20_000])
        XCTAssertEqual(store.applied.first?.changes.first?.uuid, "call-0")
        XCTAssertEqual(store.applied.first?.changes.last?.uuid, "call-19999")
        XCTAssertEqual(runId(store.applied.first?.source), "run-1", "the cost history names the rerate run")
        XCTAssertEqual(batcher.pendingCount, 0)
        XCTAssertEqual(batcher.flushed, 20_000)
        try batcher.flushIfFull()
        XCTAssertEqual(store.applied.count, 1, "nothing pending, nothing written")
    }

    /// The last changes, fewer than a batch, are written by the final flush; an empty flush writes nothing.
    func testFlushWritesWhatIsLeftAndCountsEveryChange() throws {
        let store = RecordingStore()
        var batcher = ChangeBatcher(store: store, source: .rerate(runId: "run-2"))
        batcher.add(changes(20_003))
        try batcher.flushIfFull()
        batcher.add(changes(2, from: 20_003))
        try batcher.flush()
        try batcher.flush()
        XCTAssertEqual(store.applied.map(\.changes.count), [20_003, 2], "a batch holds what was pending when it filled")
        XCTAssertEqual(batcher.flushed, 20_005, "the report's calls re-priced")
    }

    /// A dry run has no store: it counts the changes as it goes and keeps no more than a batch either.
    func testADryRunCountsTheChangesAndKeepsNone() throws {
        var batcher = ChangeBatcher(store: nil, source: .rerate(runId: ""))
        batcher.add(changes(20_000))
        try batcher.flushIfFull()
        XCTAssertEqual(batcher.pendingCount, 0)
        batcher.add(changes(5))
        try batcher.flush()
        XCTAssertEqual(batcher.flushed, 20_005)
    }
}
