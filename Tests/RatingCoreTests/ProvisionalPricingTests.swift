import XCTest
@testable import RatingRules

/// The single pass's pricing before the file is whole: a row's free included
/// minutes in line order. Worked by hand; compared with the chronological plan.
final class ProvisionalPricingTests: XCTestCase {
    let key = UsageKey(subscriptionId: "sub-1", periodStart: 0)
    let other = UsageKey(subscriptionId: "sub-2", periodStart: 0)
    let half = Money("0.50")!

    func testFreeMinutesGoInLineOrderAfterTheHeldCalls() throws {
        // 10 included, 1 imported: 9 before any call. s1 holds 4: 5 free.
        let s1 = HeldCall(uuid: "s1", start: 100, minutes: 4, includedMinutes: 4, cost: .zero)
        var asked: [UsageKey] = []
        var pricing = ProvisionalPricing { k in
            asked.append(k)
            return PeriodBasis(included: 10, imported: 1, rate: self.half, held: [s1])
        }
        // a (3 min): 3 included, 2 free left; b (3 min): 2 included + 1 overage (0.50); c (2 min): all overage (1.00).
        let a = Charge(start: 500, uuid: "a", minutes: 3), b = Charge(start: 400, uuid: "b", minutes: 3)
        let c = Charge(start: 300, uuid: "c", minutes: 2)
        XCTAssertTrue(inMinutes(try pricing.take(key, a)) == (3, 0, .zero))
        XCTAssertTrue(inMinutes(try pricing.take(key, b)) == (2, 1, half))
        XCTAssertTrue(inMinutes(try pricing.take(key, c)) == (0, 2, Money("1.00")!))
        XCTAssertEqual(asked, [key], "the row is read once")
        XCTAssertEqual(Set(pricing.grants.keys), [CDRKey("a"), CDRKey("b")])
        XCTAssertEqual(pricing.grants[CDRKey("b")]?.included, 2)
        // `price` repeats what `take` said, for any call of a row it saw.
        XCTAssertTrue(inMinutes(pricing.price(key, b)!) == (2, 1, half))
        XCTAssertTrue(inMinutes(pricing.price(key, c)!) == (0, 2, Money("1.00")!))
        XCTAssertNil(pricing.price(other, c))

        // The chronological plan of the same calls differs: c (300) is earliest and takes 2, b 3, a none.
        let final = MinuteAllocator.plan([key: [a, b, c]]) { _ in PeriodBasis(included: 10, imported: 1, rate: self.half, held: [s1]) }
        XCTAssertTrue(inMinutes(final.price(key, c)) == (2, 0, .zero))
        XCTAssertTrue(inMinutes(final.price(key, b)) == (3, 0, .zero))
        XCTAssertTrue(inMinutes(final.price(key, a)) == (0, 3, Money("1.50")!))
        // Same minutes and money in total: 5 included, 3 overage, 1.50.
    }

    func testARowWithNoRoomPricesEveryMinuteAsOverage() throws {
        // 5 included, 7 imported: nothing left; and a row whose held calls hold all it has.
        var pricing = ProvisionalPricing { k in
            k == self.key ? PeriodBasis(included: 5, imported: 7, rate: self.half)
                : PeriodBasis(included: 3, imported: 0, rate: self.half,
                              held: [HeldCall(uuid: "s", start: 0, minutes: 3, includedMinutes: 3, cost: .zero)])
        }
        XCTAssertTrue(inMinutes(try pricing.take(key, Charge(start: 1, uuid: "a", minutes: 4))) == (0, 4, Money("2.00")!))
        XCTAssertTrue(inMinutes(try pricing.take(other, Charge(start: 1, uuid: "b", minutes: 1))) == (0, 1, half))
        XCTAssertTrue(pricing.grants.isEmpty)
    }

    func testCallsInOrderAfterTheStoredOnesArePricedAsTheFinalPlanPricesThem() throws {
        // The nightly case: s1 (100) holds 8 of 10; new calls at 500 (3 min) and 600 (1 min).
        let s1 = HeldCall(uuid: "s1", start: 100, minutes: 8, includedMinutes: 8, cost: .zero)
        let basis = { (_: UsageKey) in PeriodBasis(included: 10, imported: 0, rate: self.half, held: [s1]) }
        var pricing = ProvisionalPricing(basis: basis)
        let calls = [Charge(start: 500, uuid: "n1", minutes: 3), Charge(start: 600, uuid: "n2", minutes: 1)]
        let final = MinuteAllocator.plan([key: calls], basis: basis)
        for c in calls {
            let streamed = try pricing.take(key, c), planned = final.price(key, c)
            XCTAssertTrue(inMinutes(streamed) == inMinutes(planned), "\(c.key.text): \(streamed) vs \(planned)")
        }
        // n1: 2 included + 1 overage (0.50); n2: all overage (0.50).
        XCTAssertTrue(inMinutes(pricing.price(key, calls[0])!) == (2, 1, half))
    }
}
