import XCTest
@testable import RatingRules

/// SPEC section 3: included minutes in (start_time, uuid) order over every
/// call the database holds, whenever it arrived. Worked by hand.
final class ChronologicalAllocationTests: XCTestCase {
    let key = UsageKey(subscriptionId: "sub-1", periodStart: 0)
    let half = Money("0.50")!

    private func plan(_ charges: [Charge], included: Int, imported: Int = 0, held: [HeldCall]) -> AllocationPlan {
        MinuteAllocator.plan([key: charges]) { _ in PeriodBasis(included: included, imported: imported, rate: self.half, held: held) }
    }

    func testEarlierCallTakesIncludedMinutesFromStoredCalls() {
        // 10 included at 0.50. Stored, in order: s1 (t=100, 4 min, all included), s2 (200, 5 min, all
        // included), s3 (300, 3 min: the last 1 included, 2 overage, cost 1.00); s4 (400) holds none.
        let s1 = HeldCall(uuid: "s1", start: 100, minutes: 4, includedMinutes: 4, cost: .zero)
        let s2 = HeldCall(uuid: "s2", start: 200, minutes: 5, includedMinutes: 5, cost: .zero)
        let s3 = HeldCall(uuid: "s3", start: 300, minutes: 3, includedMinutes: 1, cost: Money("1.00")!)
        // A late call at t=50 of 3 minutes: n 3 included (7 left), s1 4 (3 left), s2 3 included + 2 overage,
        // s3 all 3 overage.
        let p = plan([Charge(start: 50, uuid: "n", minutes: 3)], included: 10, held: [s3, s1, s2])
        XCTAssertEqual(p.batch[key], BatchMinutes(included: 3, overage: 0, cost: .zero))
        XCTAssertEqual(p.split(key, start: 50, uuid: "n", minutes: 3).included, 3)
        // s2: 2 more overage minutes at 0.50 -> 1.00; s3: 1 more -> 1.00 + 0.50 = 1.50.
        XCTAssertEqual(p.repricings[key], [
            Repricing(before: s2, after: HeldCall(uuid: "s2", start: 200, minutes: 5, includedMinutes: 3, cost: Money("1.00")!)),
            Repricing(before: s3, after: HeldCall(uuid: "s3", start: 300, minutes: 3, includedMinutes: 0, cost: Money("1.50")!)),
        ])
        XCTAssertEqual(p.repricings[key]!.reduce(Money.zero) { $0 + $1.costDelta }, Money("1.50")!)
        // Held afterwards: n, s1, s2 (s3 holds none now). A call after s2 would be all overage.
        XCTAssertEqual(p.held[key]!.map(\.uuid), ["n", "s1", "s2"])
        XCTAssertEqual(p.held[key]!.map(\.includedMinutes), [3, 4, 3])
        XCTAssertTrue(p.split(key, start: 250, uuid: "x", minutes: 2) == (0, 2))
        XCTAssertTrue(p.split(key, start: 150, uuid: "x", minutes: 2) == (2, 0))
    }

    func testLateCallThatCrossesTheLine() {
        // 10 included. Stored: s1 (100, 8 min, all included), s2 (200, 4 min: 2 included, 2 overage, 1.00).
        let s1 = HeldCall(uuid: "s1", start: 100, minutes: 8, includedMinutes: 8, cost: .zero)
        let s2 = HeldCall(uuid: "s2", start: 200, minutes: 4, includedMinutes: 2, cost: Money("1.00")!)
        // A late call at 150 of 3 minutes: s1 8 (2 left), n 2 included + 1 overage (0.50), s2 all overage.
        let p = plan([Charge(start: 150, uuid: "n", minutes: 3)], included: 10, held: [s1, s2])
        XCTAssertEqual(p.batch[key], BatchMinutes(included: 2, overage: 1, cost: Money("0.50")!))
        XCTAssertTrue(p.split(key, start: 150, uuid: "n", minutes: 3) == (2, 1))
        XCTAssertEqual(p.repricings[key]!.map(\.after), [HeldCall(uuid: "s2", start: 200, minutes: 4, includedMinutes: 0, cost: Money("2.00")!)])
        XCTAssertEqual(p.held[key]!.map(\.uuid), ["s1", "n"])
    }

    func testLaterCallsRepriceNothing() {
        // The nightly case: the new calls come after every stored call.
        let s1 = HeldCall(uuid: "s1", start: 100, minutes: 8, includedMinutes: 8, cost: .zero)
        let p = plan([Charge(start: 500, uuid: "n1", minutes: 3), Charge(start: 600, uuid: "n2", minutes: 1)], included: 10, held: [s1])
        XCTAssertNil(p.repricings[key])
        XCTAssertEqual(p.batch[key], BatchMinutes(included: 2, overage: 2, cost: Money("1.00")!))
    }

    func testMinutesThatRunOutExactlyLeaveTheLaterCallsOverage() {
        // 2 included, the first reading keeps the earliest 2 charged calls: a (t=10) and b (20), 1 minute
        // each, take them all; c (30, 4 minutes) is cut: overage, 2.00.
        var charges = BatchCharges(room: 2 * 60)
        for c in [Charge(start: 30, uuid: "c", minutes: 4), Charge(start: 10, uuid: "a", minutes: 1), Charge(start: 20, uuid: "b", minutes: 1)] {
            charges.add(c)
        }
        charges.seal()
        let p = MinuteAllocator.plan([key: charges]) { _ in PeriodBasis(included: 2, imported: 0, rate: self.half) }
        XCTAssertEqual(p.batch[key], BatchMinutes(included: 2, overage: 4, cost: Money("2.00")!))
        XCTAssertTrue(p.split(key, start: 10, uuid: "a", minutes: 1) == (1, 0))
        XCTAssertTrue(p.split(key, start: 20, uuid: "b", minutes: 1) == (1, 0))
        XCTAssertTrue(p.split(key, start: 30, uuid: "c", minutes: 4) == (0, 4))

        // The same calls late, before a stored call s (t=40) that held both minutes: a and b take them,
        // s pays its 2 minutes now (1.00), and c, though before s, is still all overage.
        let s = HeldCall(uuid: "s", start: 40, minutes: 2, includedMinutes: 2, cost: .zero)
        let late = MinuteAllocator.plan([key: charges]) { _ in PeriodBasis(included: 2, imported: 0, rate: self.half, held: [s]) }
        XCTAssertEqual(late.batch[key], BatchMinutes(included: 2, overage: 4, cost: Money("2.00")!))
        XCTAssertTrue(late.split(key, start: 30, uuid: "c", minutes: 4) == (0, 4))
        XCTAssertTrue(late.split(key, start: 20, uuid: "b", minutes: 1) == (1, 0))
        XCTAssertEqual(late.repricings[key]!.map(\.after.cost), [Money("1.00")!])
    }

    func testTieOnStartTimeIsBrokenByUuidBytes() {
        // Same start: "a" sorts before "b", so the late call "a" takes the minutes "b" held.
        let b = HeldCall(uuid: "b", start: 100, minutes: 2, includedMinutes: 2, cost: .zero)
        let p = plan([Charge(start: 100, uuid: "a", minutes: 2)], included: 2, held: [b])
        XCTAssertEqual(p.batch[key], BatchMinutes(included: 2, overage: 0, cost: .zero))
        XCTAssertEqual(p.repricings[key]!.map(\.after.cost), [Money("1.00")!])
    }

    func testImportedUsageCountsBeforeEveryCall() {
        // SPEC worked example: 500 included, 498 imported; calls of 3 and 1 minutes.
        let p = plan([Charge(start: 10, uuid: "a", minutes: 3), Charge(start: 20, uuid: "b", minutes: 1)], included: 500, imported: 498, held: [])
        XCTAssertTrue(p.split(key, start: 10, uuid: "a", minutes: 3) == (2, 1))
        XCTAssertTrue(p.split(key, start: 20, uuid: "b", minutes: 1) == (0, 1))
        XCTAssertEqual(p.batch[key], BatchMinutes(included: 2, overage: 2, cost: Money("1.00")!))
        // A late call still comes after the imported minutes: 498 imported + s1 (2 held) = 500; n at t=5
        // takes 1 of s1's, s1 keeps 1 and pays 0.50 for the other.
        let s1 = HeldCall(uuid: "s1", start: 100, minutes: 2, includedMinutes: 2, cost: .zero)
        let late = plan([Charge(start: 5, uuid: "n", minutes: 1)], included: 500, imported: 498, held: [s1])
        XCTAssertEqual(late.batch[key], BatchMinutes(included: 1, overage: 0, cost: .zero))
        XCTAssertEqual(late.repricings[key]!.map(\.after), [HeldCall(uuid: "s1", start: 100, minutes: 2, includedMinutes: 1, cost: Money("0.50")!)])
        // More imported than included: every minute is overage.
        let over = plan([Charge(start: 10, uuid: "a", minutes: 3)], included: 500, imported: 520, held: [])
        XCTAssertEqual(over.batch[key], BatchMinutes(included: 0, overage: 3, cost: Money("1.50")!))
        XCTAssertEqual(IncludedMinutes(included: 500, imported: 520).left, 0)
    }

    func testRepricedMinutesTakeTheRateNowAndKeepTheirOldPrice() {
        // s2 paid 1 overage minute at 0.50; the rate is 0.75 now. A late call takes its 2 included
        // minutes: 0.50 + 2 x 0.75 = 2.00 (editing a plan never changes minutes already priced).
        let s2 = HeldCall(uuid: "s2", start: 200, minutes: 3, includedMinutes: 2, cost: Money("0.50")!)
        XCTAssertEqual(Pricing.repriced(s2, included: 0, rate: Money("0.75")!).cost, Money("2.00")!)
    }

    func testARefundNeverMakesACostNegative() {
        // Paid 2 overage minutes at 0.50 (1.00); given 2 included minutes back at a rate of 1.00 now.
        let paid = HeldCall(uuid: "s", start: 0, minutes: 4, includedMinutes: 2, cost: Money("1.00")!)
        XCTAssertEqual(Pricing.repriced(paid, included: 4, rate: Money("1.00")!).cost, .zero)
        XCTAssertEqual(Pricing.repriced(paid, included: 3, rate: Money("0.50")!).cost, Money("0.50")!)
    }

    // MARK: money: SPEC section 3 equalities

    func testPrepaidDebitIsTheGrowthOfTheRoundedOverageCost() {
        let before = UsageRow(minutesIncluded: 500, totals: UsageTotals(minutesUsed: 502), callCost: Money("1.00")!)
        XCTAssertEqual(before.overageCost, Money("1.00")!)
        // + 0.0050 -> 1.0050, rounded half-up 1.01: debit 0.01.
        let after = before.adding(UsageTotals(minutesUsed: 1), cost: Money("0.005")!)
        XCTAssertEqual(after.overageCost, Money("1.01")!)
        XCTAssertEqual(UsageRow.prepaidDebit(from: before, to: after), Money("0.01")!)
        // A re-pricing that lowers the cost is a credit: 3.75 -> 2.00 gives back 1.75.
        let high = UsageRow(minutesIncluded: 500, callCost: Money("3.75")!)
        let low = UsageRow(minutesIncluded: 500, callCost: Money("2.00")!)
        XCTAssertEqual(UsageRow.prepaidDebit(from: high, to: low), Money("-1.75")!)
    }

    func testDebitsAddUpToTheRoundedTotalWhateverTheSteps() {
        // 0.3333 a minute, one minute at a time: 0.33, 0.67, 1.00 rounded; debits 0.33 + 0.34 + 0.33 = 1.00.
        var row = UsageRow(minutesIncluded: 0)
        var debits: [Money] = []
        for _ in 0 ..< 3 {
            let next = row.adding(UsageTotals(minutesUsed: 1), cost: Money("0.3333")!)
            debits.append(UsageRow.prepaidDebit(from: row, to: next))
            row = next
        }
        XCTAssertEqual(debits, [Money("0.33")!, Money("0.34")!, Money("0.33")!])
        XCTAssertEqual(row.callCost, Money("0.9999")!)
        XCTAssertEqual(row.overageCost, Money("1.00")!)
        // 3 x 0.125 = 0.375 -> 0.38 (half up, away from zero).
        XCTAssertEqual(UsageRow(minutesIncluded: 0, callCost: Money("0.375")!).overageCost, Money("0.38")!)
        XCTAssertEqual(UsageRow(minutesIncluded: 0, callCost: Money("0.0040")!).overageCost, .zero)
    }

    // MARK: rerate: a whole period priced again

    func testTariffChangeFollowedByRerate() {
        // Starter: 500 included at 0.50. In order: a 498 min (isd), b 3 min (mobile), c 1 min (toll free),
        // d inbound local answered (0 charged), e busy (0).
        let calls: [(Int, CallStatus, CallType)] = [(498, .answered, .isd), (3, .answered, .mobile), (1, .answered, .toll_free),
                                                    (0, .answered, .local), (0, .busy, .mobile)]
        var before = PeriodPricer(plan: TS.starter, imported: UsageTotals())
        let old = calls.map { before.price(chargedMinutes: $0.0, status: $0.1, type: $0.2) }
        // a 498 included; b 2 included + 1 overage = 0.50; c 1 overage = 0.50.
        XCTAssertEqual(old.map(\.cost), [.zero, Money("0.50")!, Money("0.50")!, .zero, .zero])
        XCTAssertEqual(before.row.overageCost, Money("1.00")!)
        // The plan becomes 499 included at 0.75: a 498 included; b 1 included + 2 overage = 1.50; c 0.75.
        let changed = RatePlan(id: "plan-starter", name: "Starter", includedMinutes: 499, overageRatePerMinute: Money("0.75")!)
        var after = PeriodPricer(plan: changed, imported: UsageTotals())
        let new = calls.map { after.price(chargedMinutes: $0.0, status: $0.1, type: $0.2) }
        XCTAssertEqual(new.map(\.included), [498, 1, 0, 0, 0])
        XCTAssertEqual(new.map(\.cost), [.zero, Money("1.50")!, Money("0.75")!, .zero, .zero])
        let row = after.row
        XCTAssertEqual(row.minutesIncluded, 499)
        // 502 minutes billed (30,120 s), 499 of them covered (29,940 s).
        XCTAssertEqual(row.totals, UsageTotals(billedSeconds: 30_120, coveredSeconds: 29_940, localCalls: 1, isdCalls: 1, mobileCalls: 1,
                                               tollFreeCalls: 1))
        XCTAssertEqual(row.minutesUsed, 502)
        XCTAssertEqual(row.minutesOverage, 3)
        XCTAssertEqual(row.overageCost, Money("2.25")!)
        // The prepaid account pays the difference: 2.25 - 1.00.
        XCTAssertEqual(UsageRow.prepaidDebit(from: before.row, to: row), Money("1.25")!)
        // Pricing again at the same tariff changes nothing.
        var again = PeriodPricer(plan: changed, imported: UsageTotals())
        XCTAssertEqual(calls.map { again.price(chargedMinutes: $0.0, status: $0.1, type: $0.2).cost }, new.map(\.cost))
        XCTAssertEqual(again.row, row)
    }

    func testRerateKeepsImportedMinutesFirst() {
        var p = PeriodPricer(plan: TS.starter, imported: UsageTotals(minutesUsed: 498))
        XCTAssertTrue(p.price(chargedMinutes: 3, status: .answered, type: .mobile) == (2, 1, Money("0.50")!))
        XCTAssertEqual(p.row.minutesUsed, 501)
        XCTAssertEqual(p.row.importedMinutes, 498)
    }

    func testRerateKeepsImportedCallsAsTheyAre() {
        // 120 minutes and 2 local, 3 std, 1 isd, 4 mobile, 1 toll-free answered calls imported;
        // then a mobile call, an inbound local one and a busy one.
        let imported = UsageTotals(minutesUsed: 120, localCalls: 2, stdCalls: 3, isdCalls: 1, mobileCalls: 4, tollFreeCalls: 1)
        var p = PeriodPricer(plan: TS.starter, imported: imported)
        _ = p.price(chargedMinutes: 3, status: .answered, type: .mobile)
        _ = p.price(chargedMinutes: 0, status: .answered, type: .local)
        _ = p.price(chargedMinutes: 0, status: .busy, type: .mobile)
        // The imported 120 minutes, and the mobile call's 3 minutes (180 s), covered (380 minutes were left).
        XCTAssertEqual(p.row.totals, UsageTotals(minutesUsed: 120, billedSeconds: 180, coveredSeconds: 180, localCalls: 3, stdCalls: 3, isdCalls: 1, mobileCalls: 5, tollFreeCalls: 1))
        XCTAssertEqual(p.row.imported, imported)
    }
}
