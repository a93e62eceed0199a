import Foundation
import XCTest
@testable import RatingRules
@testable import CDRIngest

/// The first reading's bounded memory: only the calls that can hold included
/// minutes are kept, and uuids are sorted in runs on disk. Worked by hand.
final class BatchChargesTests: XCTestCase {
    let key = UsageKey(subscriptionId: "sub-1", periodStart: 0)
    let half = Money("0.50")!

    /// (start, uuid, minutes), given out of order.
    let calls = [(50, "e", 2), (10, "a", 1), (40, "d", 5), (20, "b", 1), (30, "c", 4), (60, "f", 1)]
        .map { Charge(start: Int64($0.0), uuid: $0.1, minutes: $0.2) }

    // Room is in billed seconds (SPEC 3c: included minutes x 60); the calls are 60 s a minute, all in the bundle.
    // In (start, uuid) order: a 60, b 60, c 240, d 300, e 120, f 60.

    func testKeepsTheEarliestCallsThatFillTheRoomAndTotalsTheRest() {
        // Room 180: a (0 before it), b (60), c (120) can be covered; d has 360 before it.
        var b = BatchCharges(room: 180)
        for c in calls { b.add(c) }
        XCTAssertEqual(b.earliest.map(\.key.text), ["a", "b", "c"])
        XCTAssertEqual(b.laterCalls.calls, 3) // d, e, f
        XCTAssertEqual(b.laterCalls.billedSeconds, 480) // 300 + 120 + 60
    }

    func testPlanFromKeptCallsPricesLaterOnesAsOverage() {
        // Room 300 (5 included, none imported): a 60 + b 60 + c 180 of its 240 covered; c's last 60 s and d 300,
        // e 120, f 60 are overage: 540 s, 9 minutes at 0.50 = 4.50.
        var b = BatchCharges(room: 300)
        for c in calls { b.add(c) }
        let p = MinuteAllocator.plan([key: b]) { _ in PeriodBasis(included: 5, imported: 0, rate: self.half) }
        XCTAssertEqual(p.batch[key], BatchMinutes(coveredSeconds: 300, overageSeconds: 540, cost: Money("4.50")!))
        XCTAssertEqual(p.split(key, calls[4]).covered, 180) // c
        XCTAssertEqual(p.split(key, calls[5]).covered, 0) // f
        XCTAssertEqual(p.split(key, calls[1]).covered, 60) // a
    }

    func testARowWithNoRoomPricesEveryCallAsOverage() {
        // 10 included, 10 imported: nothing left; 840 s, 14 minutes at 0.50 = 7.00.
        var b = BatchCharges(room: 0)
        for c in calls { b.add(c) }
        XCTAssertTrue(b.earliest.isEmpty)
        let p = MinuteAllocator.plan([key: b]) { _ in PeriodBasis(included: 10, imported: 10, rate: self.half) }
        XCTAssertEqual(p.batch[key], BatchMinutes(coveredSeconds: 0, overageSeconds: 840, cost: Money("7.00")!))
        XCTAssertEqual(p.split(key, calls[1]).overage, 60)
    }

    func testSealingChangesNothingAndAddingAfterItStillCounts() {
        var b = BatchCharges(room: 180)
        for c in calls.prefix(4) { b.add(c) } // e, a, d, b
        b.seal()
        XCTAssertEqual(b.earliest.map(\.key.text), ["a", "b", "d"]) // d has 120 before it
        XCTAssertEqual(b.laterCalls.calls, 1) // e
        XCTAssertEqual(b.laterCalls.billedSeconds, 120)
        b.seal()
        XCTAssertEqual(b.laterCalls.calls, 1, "sealing twice cuts nothing twice")
        b.add(calls[4]) // c, 30: earlier than d
        b.add(calls[5]) // f
        XCTAssertEqual(b.earliest.map(\.key.text), ["a", "b", "c"])
        XCTAssertEqual(b.laterCalls.calls, 3) // e, d, f
        XCTAssertEqual(b.laterCalls.billedSeconds, 480)
    }

    func testKeptCallsAreBoundedByTheCallsThatFillTheRoom() {
        // Room 120 s: the first two 60 s calls fill it; the third has 120 before it.
        var b = BatchCharges(room: 120)
        for i in 0 ..< 10_000 { b.add(Charge(start: Int64(10_000 - i), uuid: "u\(i)", minutes: 1)) }
        XCTAssertEqual(b.earliest.map(\.start), [1, 2])
        XCTAssertEqual(b.laterCalls.calls, 9_998)
    }

    func testACallWithNothingInTheBundleIsNeverKeptNorCut() {
        // SPEC 3c: the allowance goes to calls with in_bundle segments; an ISD call priced apart costs its price.
        let isd = Charge(start: 5, key: CDRKey("isd"), price: CallCharge(billedSeconds: 95, bundleSeconds: 0,
                                                                          fullCost: Money("8.70")!, tariff: nil))
        var b = BatchCharges(room: 300)
        b.add(isd)
        for c in calls { b.add(c) }
        XCTAssertEqual(b.earliest.map(\.key.text), ["a", "b", "c"])
        XCTAssertEqual(b.laterCalls.cut, 3, "d, e, f: the ISD call is not one of the cut")
        XCTAssertEqual(b.laterCalls.calls, 4)
        let p = MinuteAllocator.plan([key: b]) { _ in PeriodBasis(included: 5, imported: 0, rate: self.half) }
        XCTAssertEqual(p.split(key, isd).covered, 0)
        XCTAssertEqual(p.split(key, isd).overage, 95)
    }
}

final class CallSorterTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("sorter-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try FileManager.default.removeItem(at: directory) }

    private func call(_ uuid: String, line: UInt32, minutes: Int32 = 1) -> ScannedCall {
        ScannedCall(key: CDRKey(uuid), line: line, start: Int64(line) * 60, subscription: Int32(line % 3) - 1,
                    periodStart: line % 2 == 0 ? .min : 1_700_000_000,
                    charge: CallCharge(billedSeconds: Int(minutes) * 60, bundleSeconds: Int(minutes) * 60,
                                       fullCost: Money(units: Int64(minutes) * 5000),
                                       tariff: line % 2 == 0 ? TariffRef(version: 2, prefix: Int32(line), billsec: 61) : nil),
                    status: .answered, type: .std)
    }

    func testSpilledRunsMergeInUuidThenLineOrder() throws {
        let sorter = CallSorter(runLength: 2, directory: directory)
        let u1 = "00000000-0000-4000-8000-000000000001", u2 = "00000000-0000-4000-8000-000000000002"
        let input = [call(u2, line: 1), call("1700000000.7", line: 2), call(u1, line: 3), call(u2, line: 4, minutes: 9),
                     call(u1, line: 5), call("1700000000.10", line: 6)]
        for c in input { try sorter.add(c) }
        XCTAssertEqual(sorter.spilledRuns, 3) // after lines 2, 4 and 6
        var out: [ScannedCall] = []
        try sorter.drain { out.append($0) }
        // Canonical uuids ("0...") sort before text ones ("1..."); "…10" before "…7" byte by byte.
        XCTAssertEqual(out.map(\.line), [3, 5, 1, 4, 6, 2])
        XCTAssertEqual(out, [input[2], input[4], input[0], input[3], input[5], input[1]]) // every field back from disk
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), []) // runs removed
    }

    func testRunsOfUuidsAloneMergeFromTheirRawRecords() throws {
        // Uuid keys only: runs written as packed records and merged as integers. 12 calls in runs of 3:
        // four on disk, none left in memory; then 13, one left in memory.
        for total in [12, 13] {
            let sorter = CallSorter(runLength: 3, directory: directory)
            var input: [ScannedCall] = []
            for i in 0 ..< total {
                let high: Int = (i * 7919) % 5, low: Int = (i * 104_729) % 11
                let uuid = String(format: "%08x-0000-4000-8000-%012x", high, low)
                input.append(call(uuid, line: UInt32(i + 1), minutes: Int32(i % 4 + 1)))
            }
            for c in input { try sorter.add(c) }
            XCTAssertEqual(sorter.spilledRuns, 4)
            var out: [ScannedCall] = []
            try sorter.drain { out.append($0) }
            XCTAssertEqual(out, input.sorted(by: <)) // every field back from disk, in (uuid, line) order
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), [])
        }
    }

    func testADrainThatKeepsGivesTheSameCallsAgain() throws {
        let sorter = CallSorter(runLength: 2, directory: directory)
        let u1 = "00000000-0000-4000-8000-000000000001", u2 = "00000000-0000-4000-8000-000000000002"
        let input = [call(u2, line: 1), call("1700000000.7", line: 2), call(u1, line: 3), call(u2, line: 4, minutes: 9),
                     call(u1, line: 5)]
        for c in input { try sorter.add(c) }
        var first: [ScannedCall] = [], second: [ScannedCall] = []
        try sorter.drain(keep: true) { first.append($0) }
        XCTAssertEqual(first.map(\.line), [3, 5, 1, 4, 2])
        XCTAssertEqual(sorter.count, 5)
        XCTAssertFalse(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty) // the runs stay
        try sorter.drain { second.append($0) }
        XCTAssertEqual(second, first)
        XCTAssertEqual(sorter.count, 0)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), [])
        try sorter.add(call(u1, line: 7))
        try sorter.drain(keep: true) { _ in }
        sorter.removeAll()
        var none = 0
        try sorter.drain { _ in none += 1 }
        XCTAssertEqual(none, 0)
    }

    func testAFileWithinOneRunNeverTouchesTheDisk() throws {
        let sorter = CallSorter(runLength: 10, directory: directory)
        for (i, u) in ["c", "a", "b"].enumerated() { try sorter.add(call(u, line: UInt32(i + 1))) }
        XCTAssertEqual(sorter.spilledRuns, 0)
        var out: [String] = []
        try sorter.drain { out.append($0.key.text) }
        XCTAssertEqual(out, ["a", "b", "c"])
    }

    func testSeenKeysRemembersEarlierFiles() throws {
        let seen = SeenKeys(directory: directory)
        func pass(_ keys: [String]) throws -> [Bool] {
            try seen.startPass()
            let found = try keys.map { try seen.check(CDRKey($0)) }
            try seen.endPass()
            return found
        }
        XCTAssertEqual(try pass(["a", "c"]), [false, false])
        XCTAssertEqual(try pass(["b", "c", "d"]), [false, true, false])
        XCTAssertEqual(try pass(["a", "b", "d", "e"]), [true, true, true, false])
    }

    func testDuplicateLinesKeepRangesNotLines() {
        var d = DuplicateLines()
        for line in (1 ... 100_000).reversed() where line != 50_000 { d.insert(line) }
        d.insert(200_000)
        d.seal()
        XCTAssertEqual(d.count, 100_000)
        XCTAssertEqual(d.rangeCount, 3) // 1...49999, 50001...100000, 200000
        XCTAssertTrue(d.contains(1))
        XCTAssertFalse(d.contains(50_000))
        XCTAssertTrue(d.contains(100_000))
        XCTAssertFalse(d.contains(100_001))
        XCTAssertTrue(d.contains(200_000))
        XCTAssertFalse(d.contains(0))
    }
}
