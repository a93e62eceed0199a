import XCTest
@testable import RatingRules

/// SPEC 3c, "Included minutes with a tariff", through the one allocation home
/// (`MinuteAllocator`, `ProvisionalPricing`, `PeriodPricer`) with calls priced
/// by a `TariffBook`: the allowance in billed seconds, handed out in
/// (start_time, uuid) order to in-bundle seconds only. Worked by hand.
final class TariffBundleTests: XCTestCase {
    /// The worked deck and the business zone of `TariffPricingTests`.
    let pricing = TariffPricingTests(name: "helpers", testClosure: { _ in })
    let key = UsageKey(subscriptionId: "sub", periodStart: 0)

    func book() throws -> TariffBook {
        TariffBook(versions: [TariffBook.Version(id: 7, tariff: "Worked", effectiveFrom: 0, deck: try pricing.workedDeck(bundle91: true))],
                   zone: pricing.zone)
    }

    func charge(_ book: TariffBook, _ uuid: String, _ destination: String, _ start: Int64, _ seconds: Int) throws -> Charge {
        Charge(start: start, key: CDRKey(uuid), price: try book.charge(tariff: "Worked", destination: destination, start: start, billsec: seconds))
    }

    /// "a plan with 2 included minutes and this deck, its +91 row replaced by the per-second +91 * 0 0.60 60 1 0 true;
    /// in one period, 10:00 a 100 s call to +91 (covered 100 s: 0.0000), 10:05 a 50 s call to +91 (20 s covered,
    /// 30 s at 0.60 per minute: 0.3000), 10:10 (Tuesday, peak) 60 s to +44 (not in the bundle: 6.00 + 0.50 = 6.5000).
    /// minutes_used = ceil(210/60) = 4, minutes_overage = ceil(90/60) = 2, overage_cost 6.80."
    func testTheSpecsBundleExampleInAnyOrderOfArrival() throws {
        let book = try book()
        let a = try charge(book, "a", "+919812345678", pricing.at(2024, 10, 8, 10, 0), 100)
        let b = try charge(book, "b", "+919812345678", pricing.at(2024, 10, 8, 10, 5), 50)
        let uk = try charge(book, "c", "+441632960001", pricing.at(2024, 10, 8, 10, 10), 60)
        XCTAssertEqual([a, b, uk].map { (c: Charge) in c.seconds }, [100, 50, 0], "in-bundle billed seconds")
        let basis = PeriodBasis(included: 2, imported: 0, rate: Money("0.50")!, book: book)
        for order in [[a, b, uk], [uk, b, a]] {
            let plan = MinuteAllocator.plan([key: order]) { _ in basis }
            XCTAssertTrue(inMinutes(plan.price(key, a)) == (1, 0, .zero))
            XCTAssertEqual(plan.price(key, a).covered, 100)
            XCTAssertEqual(plan.price(key, b).covered, 20)
            XCTAssertEqual(plan.price(key, b).cost, Money("0.30")!)
            XCTAssertEqual(plan.price(key, uk).covered, 0)
            XCTAssertEqual(plan.price(key, uk).cost, Money("6.50")!)
            XCTAssertEqual(plan.batch[key], BatchMinutes(coveredSeconds: 120, overageSeconds: 90, cost: Money("6.80")!))
        }
        // The usage row: 210 billed seconds, 120 covered.
        let row = UsageRow(minutesIncluded: 2).adding(UsageTotals(billedSeconds: 210, coveredSeconds: 120), cost: Money("6.80")!)
        XCTAssertEqual([row.minutesUsed, row.minutesOverage], [4, 2])
        XCTAssertEqual(row.overageCost, Money("6.80")!)
        // rerate prices the period the same way.
        var pricer = PeriodPricer(plan: RatePlan(id: "p", name: "Small", includedMinutes: 2, overageRatePerMinute: Money("0.50")!,
                                                 tariff: "Worked"), imported: UsageTotals(), book: book)
        XCTAssertEqual([a, b, uk].map { pricer.price($0, status: .answered, type: .mobile).cost }, [.zero, Money("0.30")!, Money("6.50")!])
        XCTAssertEqual([pricer.row.minutesUsed, pricer.row.minutesOverage], [4, 2])
    }

    /// "a call's covered seconds are the first billed seconds of its in_bundle segments": a stored tariff call
    /// that loses covered seconds to an earlier call is priced again by its version, whole (not at a flat rate).
    func testAStoredTariffCallLosingCoveredSecondsIsPricedAgainByItsVersion() throws {
        let book = try book()
        let b = try charge(book, "b", "+919812345678", pricing.at(2024, 10, 8, 10, 5), 50)
        // b was stored covered whole (50 s); an earlier 100 s call arrives and takes 100 of the 120 s: b keeps 20.
        let held = HeldCall(uuid: "b", start: b.start, price: b.price, coveredSeconds: 50, cost: .zero)
        let early = try charge(book, "a", "+919812345678", pricing.at(2024, 10, 8, 9, 0), 100)
        let plan = MinuteAllocator.plan([key: [early]]) { _ in
            PeriodBasis(included: 2, imported: 0, rate: Money("0.50")!, held: [held], book: book)
        }
        XCTAssertEqual(plan.repricings[key]?.map { (r: Repricing) in r.after.coveredSeconds }, [20])
        XCTAssertEqual(plan.repricings[key]?.map { (r: Repricing) in r.after.cost }, [Money("0.30")!], "30 s at 0.60 a minute")
        XCTAssertEqual(plan.price(key, early).cost, .zero)
    }

    /// The one pass hands included seconds out in line order; a call out of the bundle takes none.
    func testTheOnePassGivesInBundleSecondsOnly() throws {
        let book = try book()
        let uk = try charge(book, "c", "+441632960001", pricing.at(2024, 10, 8, 10, 10), 60)
        let a = try charge(book, "a", "+919812345678", pricing.at(2024, 10, 8, 10, 0), 100)
        var pass = ProvisionalPricing { _ in PeriodBasis(included: 2, imported: 0, rate: Money("0.50")!, book: book) }
        XCTAssertTrue(try pass.take(key, uk) == (0, 60, Money("6.50")!))
        XCTAssertTrue(try pass.take(key, a) == (100, 0, .zero))
        XCTAssertEqual(pass.grants.keys.map(\.text), ["a"])
    }
}
