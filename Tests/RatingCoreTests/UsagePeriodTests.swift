import XCTest
@testable import RatingRules

final class UsagePeriodTests: XCTestCase {
    let z = TS.ist

    func testWorkedExamplePeriod() {
        // Subscription started 2024-10-01 00:00 IST: the period is 2024-10-01 00:00 to 2024-11-01 00:00 IST.
        let anchor = TS.ist(2024, 10, 1)
        let expected = UsagePeriod(start: TS.ist(2024, 10, 1), end: TS.ist(2024, 11, 1))
        for call in [TS.ist(2024, 10, 1), TS.ist(2024, 10, 5, 10), TS.ist(2024, 10, 5, 10, 9), TS.ist(2024, 10, 31, 23, 59, 59)] {
            XCTAssertEqual(UsagePeriod.containing(call, anchor: anchor, zone: z), expected)
        }
        // Same instants in UTC, written by hand: 2024-09-30 18:30 UTC .. 2024-10-31 18:30 UTC.
        XCTAssertEqual(expected.start, TS.utc(2024, 9, 30, 18, 30))
        XCTAssertEqual(expected.end, TS.utc(2024, 10, 31, 18, 30))
    }

    func testClampToMonthEnd() {
        // Started 2024-01-31 10:00 IST: periods start 2024-01-31, 2024-02-29, 2024-03-31, 2024-04-30 (10:00 each).
        let anchor = TS.ist(2024, 1, 31, 10)
        let starts = [TS.ist(2024, 1, 31, 10), TS.ist(2024, 2, 29, 10), TS.ist(2024, 3, 31, 10),
                      TS.ist(2024, 4, 30, 10), TS.ist(2024, 5, 31, 10)]
        for i in 0 ..< starts.count - 1 {
            let p = UsagePeriod.containing(starts[i], anchor: anchor, zone: z)
            XCTAssertEqual(p, UsagePeriod(start: starts[i], end: starts[i + 1]), "period \(i)")
            let mid = UsagePeriod.containing(starts[i] + 86_400 * 3, anchor: anchor, zone: z)
            XCTAssertEqual(mid, p, "a call three days in, period \(i)")
        }
        // the anchor keeps its day: after a short month it goes back to the 31st
        XCTAssertEqual(UsagePeriod.containing(TS.ist(2024, 2, 29, 10), anchor: anchor, zone: z).end, TS.ist(2024, 3, 31, 10))
        // 2023 is not a leap year: February period starts on the 28th
        let anchor2023 = TS.ist(2023, 1, 31, 10)
        XCTAssertEqual(UsagePeriod.containing(TS.ist(2023, 3, 1), anchor: anchor2023, zone: z),
                       UsagePeriod(start: TS.ist(2023, 2, 28, 10), end: TS.ist(2023, 3, 31, 10)))
    }

    func testCallExactlyAtPeriodStartBelongsToNewPeriod() {
        let anchor = TS.ist(2024, 1, 31, 10)
        let p = UsagePeriod.containing(TS.ist(2024, 2, 29, 10), anchor: anchor, zone: z)
        XCTAssertEqual(p.start, TS.ist(2024, 2, 29, 10))
        XCTAssertEqual(p.end, TS.ist(2024, 3, 31, 10))
    }

    func testCallOneSecondBeforePeriodStartBelongsToPrevious() {
        let anchor = TS.ist(2024, 1, 31, 10)
        let p = UsagePeriod.containing(TS.ist(2024, 2, 29, 9, 59, 59), anchor: anchor, zone: z)
        XCTAssertEqual(p, UsagePeriod(start: TS.ist(2024, 1, 31, 10), end: TS.ist(2024, 2, 29, 10)))
        let q = UsagePeriod.containing(TS.ist(2024, 11, 1) - 1, anchor: TS.ist(2024, 10, 1), zone: z)
        XCTAssertEqual(q.start, TS.ist(2024, 10, 1))
        let r = UsagePeriod.containing(TS.ist(2024, 11, 1), anchor: TS.ist(2024, 10, 1), zone: z)
        XCTAssertEqual(r, UsagePeriod(start: TS.ist(2024, 11, 1), end: TS.ist(2024, 12, 1)))
    }

    func testTimeOfDayMatters() {
        // anchored at 10:00: 2024-11-01 09:59 is still in the October period
        let anchor = TS.ist(2024, 10, 1, 10)
        XCTAssertEqual(UsagePeriod.containing(TS.ist(2024, 11, 1, 9, 59), anchor: anchor, zone: z),
                       UsagePeriod(start: TS.ist(2024, 10, 1, 10), end: TS.ist(2024, 11, 1, 10)))
        // and on the 1st of October before 10:00 the call is before the anchor: the previous month
        XCTAssertEqual(UsagePeriod.containing(TS.ist(2024, 10, 1, 9), anchor: anchor, zone: z),
                       UsagePeriod(start: TS.ist(2024, 9, 1, 10), end: TS.ist(2024, 10, 1, 10)))
    }

    func testYearRolloverAndFarFuture() {
        let anchor = TS.ist(2024, 12, 15, 8, 15)
        XCTAssertEqual(UsagePeriod.containing(TS.ist(2025, 1, 20), anchor: anchor, zone: z),
                       UsagePeriod(start: TS.ist(2025, 1, 15, 8, 15), end: TS.ist(2025, 2, 15, 8, 15)))
        XCTAssertEqual(UsagePeriod.containing(TS.ist(2026, 12, 15, 8, 14, 59), anchor: anchor, zone: z),
                       UsagePeriod(start: TS.ist(2026, 11, 15, 8, 15), end: TS.ist(2026, 12, 15, 8, 15)))
    }

    func testPeriodsAreContiguousAndContainTheCall() {
        let anchor = TS.ist(2024, 1, 31, 23, 59, 59)
        var t = anchor
        var previous: UsagePeriod?
        while t < TS.ist(2025, 6, 1) {
            let p = UsagePeriod.containing(t, anchor: anchor, zone: z)
            XCTAssertLessThanOrEqual(p.start, t)
            XCTAssertLessThan(t, p.end)
            if let prev = previous, prev != p { XCTAssertEqual(prev.end, p.start) }
            previous = p
            t += 86_400 / 2 + 17
        }
    }

    func testMonthlyPeriodsFollowWallClockInDSTZone() {
        // Anchored 2024-01-15 12:00 in New York (EST): the July period starts 12:00 EDT = 16:00 UTC.
        let ny = ZoneRules(identifier: "America/New_York")!
        let anchor = TS.utc(2024, 1, 15, 17)
        XCTAssertEqual(UsagePeriod.containing(TS.utc(2024, 7, 20), anchor: anchor, zone: ny),
                       UsagePeriod(start: TS.utc(2024, 7, 15, 16), end: TS.utc(2024, 8, 15, 16)))
        XCTAssertEqual(UsagePeriod.containing(TS.utc(2024, 3, 1), anchor: anchor, zone: ny),
                       UsagePeriod(start: TS.utc(2024, 2, 15, 17), end: TS.utc(2024, 3, 15, 16)))
    }
}
