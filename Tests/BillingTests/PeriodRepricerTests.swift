import RatingRules
import Reports
import XCTest
@testable import Billing

/// Phase 2 of a rerate, one usage period, worked by hand from SPEC sections 3
/// and 3b. The plan: 10 included minutes, 0.50 a minute beyond (unless said).
/// Stored calls are handed over in (start_time, uuid) order, as the cursor reads them.
final class PeriodRepricerTests: XCTestCase {
    private let october = Rerating.period(Rerating.subA, containing: Rerating.ist(2024, 10, 5))

    private func repricer(_ period: TouchedPeriod? = nil, before: UsageRow? = nil, arriving: [RematchedCall] = [],
                          skip: Set<String> = [], repriced: [CDRKey: CallCharge] = [:]) -> PeriodRepricer {
        PeriodRepricer(period ?? october, before: before, arriving: arriving, skip: skip, repriced: repriced, zone: Rerating.zone)
    }

    /// A stored call whose price alone changed is priced by its new charge, in its place: c1 stored as 4 minutes is
    /// 12 now (a new price), so of the 10 included it takes 10 and pays 2 overage = 1.00, and c2 (3 min, stored
    /// included) pays all 3 = 1.50. Both change; the match stays as stored.
    func testAStoredCallRepricedByItsNewChargeTakesItsPlaceInTheAllocation() throws {
        let t = Rerating.ist(2024, 10, 2, 10)
        let stored = [Rerating.stored("c1", at: t, minutes: 4, included: 4, cost: "0"),
                      Rerating.stored("c2", at: t + 3600, minutes: 3, included: 3, cost: "0")]
        var r = repricer(repriced: [CDRKey("c1"): CallCharge.flat(billsec: 12 * 60, rate: Money("0.50")!)])
        var changes: [CallChange] = []
        for call in stored { changes += try r.price(call) }
        XCTAssertTrue(try r.finish().changes.isEmpty)
        XCTAssertEqual(changes.map(\.uuid), ["c1", "c2"])
        XCTAssertEqual(changes.map(\.after.includedMinutes), [10, 0])
        XCTAssertEqual(changes.map(\.after.overageMinutes), [2, 3])
        XCTAssertEqual(changes.map(\.after.cost), [Money("1.00")!, Money("1.50")!])
        XCTAssertTrue(changes.allSatisfy { $0.match == nil })
    }

    /// Included minutes go to the calls in order and the call that crosses the line is split.
    /// c1 4 min: 4 included (6 left); c2 5 min: 5 included (1 left);
    /// c3 3 min: 1 included, 2 overage = 1.00; c4 2 min: 2 overage = 1.00.
    /// c3 and c4 were stored with all their minutes included (as if c2 had come later): they change, c1 and c2 do not.
    func testIncludedMinutesGoInOrderAndTheCallCrossingTheLineIsSplit() throws {
        let t = Rerating.ist(2024, 10, 2, 10)
        let stored = [
            Rerating.stored("c1", at: t, minutes: 4, included: 4, cost: "0"),
            Rerating.stored("c2", at: t + 3600, minutes: 5, included: 5, cost: "0"),
            Rerating.stored("c3", at: t + 7200, minutes: 3, included: 3, cost: "0"),
            Rerating.stored("c4", at: t + 10800, minutes: 2, included: 2, cost: "0"),
        ]
        let before = UsageRow(minutesIncluded: 10, totals: UsageTotals(billedSeconds: 14 * 60, coveredSeconds: 10 * 60, mobileCalls: 4), callCost: .zero)
        var r = repricer(before: before)
        var changes: [CallChange] = []
        for call in stored { changes += try r.price(call) }
        let done = try r.finish()
        XCTAssertTrue(done.changes.isEmpty)

        XCTAssertEqual(changes.map(\.uuid), ["c3", "c4"])
        XCTAssertEqual(changes.map(\.after.includedMinutes), [1, 0])
        XCTAssertEqual(changes.map(\.after.overageMinutes), [2, 2])
        XCTAssertEqual(changes.map(\.after.cost), [Money("1.00")!, Money("1.00")!])
        XCTAssertEqual(changes.map(\.before), [stored[2].priced, stored[3].priced], "the history's old side is the stored price")
        XCTAssertTrue(changes.allSatisfy { $0.match == nil }, "a price change keeps the stored match")

        // The row: 14 minutes used, 4 answered mobile calls, 2.00 of call cost (overage_cost 2.00).
        XCTAssertEqual(done.write?.after, UsageRow(minutesIncluded: 10, totals: UsageTotals(billedSeconds: 14 * 60, coveredSeconds: 10 * 60, mobileCalls: 4),
                                                   callCost: Money("2.00")!))
        XCTAssertEqual(done.write?.debit, Money("2.00")!, "prepaid: debited the growth of overage_cost")
        var line = RerateReport.Period(subscription: "SUB-A", periodStart: "2024-10-01 00:00:00")
        (line.calls, line.chargedMinutes, line.includedMinutes, line.overageMinutes) = (4, 14, 10, 4)
        (line.oldCost, line.newCost) = (.zero, Money("2.00")!)
        XCTAssertEqual(done.line, line)
    }

    /// Imported usage (minutes no stored call accounts for) is used before every call and stays in the totals.
    /// 8 imported minutes (and 2 imported local calls) leave 2 included:
    /// c1 4 min: 2 included, 2 overage = 1.00; c2 3 min: 3 overage = 1.50.
    /// Totals: 8 + 4 + 3 = 15 minutes, 2 local calls (imported), 2 mobile calls; cost 2.50.
    func testImportedUsageIsUsedBeforeEveryCallAndStays() throws {
        let imported = UsageTotals(minutesUsed: 8, localCalls: 2)
        let before = UsageRow(minutesIncluded: 10, imported: imported,
                              totals: UsageTotals(minutesUsed: 8, billedSeconds: 7 * 60, coveredSeconds: 2 * 60, localCalls: 2, mobileCalls: 2), callCost: .zero)
        let t = Rerating.ist(2024, 10, 3, 9)
        var r = repricer(before: before)
        let changes = try r.price(Rerating.stored("c1", at: t, minutes: 4, included: 4, cost: "0"))
            + r.price(Rerating.stored("c2", at: t + 60, minutes: 3, included: 3, cost: "0"))
        let done = try r.finish()

        XCTAssertEqual(changes.map(\.after.includedMinutes), [2, 0])
        XCTAssertEqual(changes.map(\.after.cost), [Money("1.00")!, Money("1.50")!])
        XCTAssertEqual(done.write?.after, UsageRow(minutesIncluded: 10, imported: imported,
                                                   totals: UsageTotals(minutesUsed: 8, billedSeconds: 7 * 60, coveredSeconds: 2 * 60, localCalls: 2, mobileCalls: 2),
                                                   callCost: Money("2.50")!))
        XCTAssertEqual(done.line.includedMinutes, 2)
        XCTAssertEqual(done.line.overageMinutes, 5)
        XCTAssertEqual(done.line.chargedMinutes, 7, "the report counts the calls' minutes, not the imported ones")
    }

    /// A call matched anew (stored unmatched, its caller since a DID of the subscription) arrives among the stored calls.
    /// s1 02 Oct 4 min: 4 included (6 left); arriving a 03 Oct 3 min: 3 included (3 left);
    /// s2 04 Oct 5 min: 3 included, 2 overage = 1.00; s3 06 Oct 3 min: 3 overage = 1.50.
    /// s2 and s3 had been priced without a (0 and 1.00); a is priced for the first time, with its new match.
    func testACallMatchedAnewArrivesAmongTheStoredCallsInChargeOrder() throws {
        let sub = Rerating.subA
        let a = Rerating.arriving(Rerating.record("a", at: Rerating.ist(2024, 10, 3, 10), account: "ACC-A", billsec: 150))
        var r = repricer(arriving: [a])
        let s1 = Rerating.stored("s1", at: Rerating.ist(2024, 10, 2, 10), minutes: 4, included: 4, cost: "0")
        let s2 = Rerating.stored("s2", at: Rerating.ist(2024, 10, 4, 10), minutes: 5, included: 5, cost: "0")
        let s3 = Rerating.stored("s3", at: Rerating.ist(2024, 10, 6, 10), minutes: 3, included: 1, cost: "1.00")

        XCTAssertTrue(try r.price(s1).isEmpty, "s1 comes before a: unchanged")
        let atS2 = try r.price(s2)
        XCTAssertEqual(atS2.map(\.uuid), ["a", "s2"], "a is priced before s2, the first stored call after it")
        guard atS2.count == 2 else { return }
        XCTAssertEqual(atS2[0].after, PricedCall(subscriptionId: sub.id, cost: .zero, periodStart: october.key.periodStart,
                                                 chargedMinutes: 3, includedMinutes: 3))
        XCTAssertEqual(atS2[0].match, CallMatch(a.call), "the arriving call is written with its new match")
        XCTAssertEqual(atS2[0].before, a.before)
        XCTAssertEqual(atS2[1].after.includedMinutes, 3)
        XCTAssertEqual(atS2[1].after.cost, Money("1.00")!)
        let atS3 = try r.price(s3)
        XCTAssertEqual(atS3.map(\.uuid), ["s3"])
        XCTAssertEqual(atS3.first?.after.cost, Money("1.50")!)
        let done = try r.finish()
        XCTAssertTrue(done.changes.isEmpty)
        XCTAssertEqual(done.line.calls, 4)
        XCTAssertEqual(done.write?.after.totals, UsageTotals(billedSeconds: 15 * 60, coveredSeconds: 10 * 60, mobileCalls: 4))
        XCTAssertEqual(done.write?.after.callCost, Money("2.50")!)
    }

    /// On the same start time, uuids go in byte order: "Z-arrived" (0x5A) before "a-stored" (0x61) before "b-arrived" (0x62),
    /// where a case-blind order would put Z last. Z 8 min: 8 included (2 left); a-stored 5 min: 2 included, 3 overage = 1.50;
    /// b 4 min: 4 overage = 2.00, priced once no stored call is left.
    func testOnTheSameStartTimeUUIDsGoInByteOrder() throws {
        let t = Rerating.ist(2024, 10, 10, 12)
        let arriving = [Rerating.arriving(Rerating.record("Z-arrived", at: t, account: "ACC-A", billsec: 480)),
                        Rerating.arriving(Rerating.record("b-arrived", at: t, account: "ACC-A", billsec: 240))]
        var r = repricer(arriving: arriving)
        let atStored = try r.price(Rerating.stored("a-stored", at: t, minutes: 5, included: 5, cost: "0"))
        XCTAssertEqual(atStored.map(\.uuid), ["Z-arrived", "a-stored"])
        XCTAssertEqual(atStored.map(\.after.includedMinutes), [8, 2])
        XCTAssertEqual(atStored.last?.after.cost, Money("1.50")!)
        let done = try r.finish()
        XCTAssertEqual(done.changes.map(\.uuid), ["b-arrived"])
        XCTAssertEqual(done.changes.first?.after.cost, Money("2.00")!)
        XCTAssertEqual(done.changes.first?.after.includedMinutes, 0)
    }

    /// A new rate alone: c1 stays included (no change); c2, 8 minutes of which 6 included, keeps its split and
    /// its match, and its 2 overage minutes now cost 2 x 0.75 = 1.50 instead of 1.00. The row goes 1.00 -> 1.50.
    func testAPriceOnlyChangeKeepsTheMatchAndTheMinutes() throws {
        let dearer = Rerating.subA(Rerating.plan(rate: "0.75"))
        let t = Rerating.ist(2024, 10, 7, 8)
        let before = UsageRow(minutesIncluded: 10, totals: UsageTotals(billedSeconds: 12 * 60, coveredSeconds: 10 * 60, mobileCalls: 2), callCost: Money("1.00")!)
        var r = repricer(Rerating.period(dearer, containing: t), before: before)
        let c1 = try r.price(Rerating.stored("c1", at: t, minutes: 4, included: 4, cost: "0"))
        let c2 = try r.price(Rerating.stored("c2", at: t + 60, minutes: 8, included: 6, cost: "1.00"))
        let done = try r.finish()

        XCTAssertTrue(c1.isEmpty, "a call whose price did not change is not written")
        XCTAssertEqual(c2.count, 1)
        XCTAssertNil(c2.first?.match)
        XCTAssertEqual(c2.first?.after, PricedCall(subscriptionId: "sub-a", cost: Money("1.50")!, periodStart: Rerating.ist(2024, 10, 1),
                                                   chargedMinutes: 8, includedMinutes: 6))
        XCTAssertEqual(done.write?.after.callCost, Money("1.50")!)
        XCTAssertEqual(done.write?.debit, Money("0.50")!, "the prepaid balance moves by the difference only")
        XCTAssertEqual(done.line.oldCost, Money("1.00")!)
        XCTAssertEqual(done.line.newCost, Money("1.50")!)
    }

    /// A rerate that changes no price changes nothing: no call, no usage row.
    func testAPeriodPricedAsStoredChangesNothing() throws {
        let t = Rerating.ist(2024, 10, 8)
        let before = UsageRow(minutesIncluded: 10, totals: UsageTotals(billedSeconds: 12 * 60, coveredSeconds: 10 * 60, mobileCalls: 2), callCost: Money("1.00")!)
        var r = repricer(before: before)
        let changes = try r.price(Rerating.stored("c1", at: t, minutes: 4, included: 4, cost: "0"))
            + r.price(Rerating.stored("c2", at: t + 60, minutes: 8, included: 6, cost: "1.00"))
        let done = try r.finish()
        XCTAssertTrue(changes.isEmpty)
        XCTAssertNil(done.write)
        XCTAssertEqual(done.line.calls, 2)
    }

    /// A stored call matched anew is priced where it arrives, not where it is stored: it takes no minutes here.
    /// Without s1's 9 minutes, s2's 3 minutes are all included.
    func testACallMatchedAnewIsNotPricedWhereItIsStored() throws {
        let t = Rerating.ist(2024, 10, 9)
        let s1 = Rerating.stored("s1", at: t, minutes: 9, included: 9, cost: "0")
        let s2 = Rerating.stored("s2", at: t + 60, minutes: 3, included: 1, cost: "1.00")
        var r = repricer(skip: ["s1"])
        XCTAssertFalse(r.prices(s1))
        XCTAssertTrue(r.prices(s2))
        XCTAssertTrue(try r.price(s1).isEmpty)
        let changes = try r.price(s2)
        XCTAssertEqual(changes.first?.after.includedMinutes, 3)
        XCTAssertEqual(changes.first?.after.cost, .zero)
        XCTAssertEqual(try r.finish().line.calls, 1)
    }

    /// A cost that cdrs.cost (numeric(10,4)) cannot hold fails the rerate, which then writes nothing.
    func testACostBeyondWhatCdrsCostHoldsIsRefused() {
        let steep = Rerating.subA(Rerating.plan(included: 0, rate: "999999"))
        let t = Rerating.ist(2024, 10, 11)
        var r = repricer(Rerating.period(steep, containing: t))
        // 2 overage minutes x 999999 = 1999998 > 999999.9999.
        XCTAssertThrowsError(try r.price(Rerating.stored("big", at: t, minutes: 2, included: 0, cost: "0"))) {
            XCTAssertTrue("\($0)".contains("call big would cost 1999998.0000"), "\($0)")
        }
    }
}
