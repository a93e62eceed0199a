import XCTest
@testable import RatingRules

/// SPEC 3c's pricing rules, each case worked out by hand in its comment.
/// The business zone is Asia/Kolkata; 7 October 2024 is a Monday.
final class TariffPricingTests: XCTestCase {
    let zone = ZoneRules(identifier: "Asia/Kolkata")!

    func d(_ s: String) -> DecimalRate { DecimalRate(s)! }
    func m(_ s: String) -> Money { Money(s)! }
    func at(_ y: Int, _ mo: Int, _ day: Int, _ h: Int, _ mi: Int, _ s: Int = 0) -> Int64 {
        zone.instant(of: LocalDateTime(year: y, month: mo, day: day, hour: h, minute: mi, second: s))
    }

    /// "offpeak * 00:00, peak mon-sat 08:00, offpeak mon-sat 20:00" (SPEC 3c's worked example), and a holiday.
    func bands(holiday: Bool = false) throws -> TimeBands {
        var lines = [BandLine(band: "offpeak", days: try BandDays("*"), start: 0),
                     BandLine(band: "peak", days: try BandDays("mon-sat"), start: 8 * 3600),
                     BandLine(band: "offpeak", days: try BandDays("mon-sat"), start: 20 * 3600)]
        if holiday { lines.append(BandLine(band: "holiday", days: try BandDays("01-26"), start: 0, priority: 20)) }
        return TimeBands(lines)
    }

    /// SPEC 3c's worked example deck.
    func workedDeck(bundle91: Bool = false) throws -> TariffDeck {
        var rows = [
            TariffRow(prefix: "+91", rate: d("0.50")),
            TariffRow(prefix: "+44", band: "peak", rate: d("6.00"), incrementSeconds: 1, connectFee: d("0.50"), inBundle: false),
            TariffRow(prefix: "+44", band: "offpeak", rate: d("4.80"), incrementSeconds: 1, connectFee: d("0.50"), inBundle: false),
            TariffRow(prefix: "+447", rate: d("9.00"), inBundle: false),
            TariffRow(prefix: "+447", fromSecond: 60, rate: d("7.20"), incrementSeconds: 6, inBundle: false),
            TariffRow(prefix: "+1", rate: d("1.20"), incrementSeconds: 30, inBundle: false),
            TariffRow(prefix: "+1", fromSecond: 30, rate: d("1.20"), incrementSeconds: 6, inBundle: false),
            TariffRow(prefix: "*", rate: d("12.00"), inBundle: false),
        ]
        if bundle91 { rows[0] = TariffRow(prefix: "+91", rate: d("0.60"), incrementSeconds: 1) }
        return TariffDeck(name: "demo", rows: rows, bands: try bands())
    }

    /// "+44 1632 960001, Monday 19:59:30, 95 s: peak 30 s = 3.00, offpeak 65 s = 5.20, connect fee 0.50: 8.7000."
    func testACallAcrossABandChangeIsPricedSegmentBySegmentWithOneConnectFee() throws {
        let c = try workedDeck().price(destination: "+441632960001", start: at(2024, 10, 7, 19, 59, 30), seconds: 95, zone: zone)
        XCTAssertEqual(c.prefix, "+44")
        XCTAssertEqual(c.segments.map(\.band), ["peak", "offpeak"])
        XCTAssertEqual(c.segments.map(\.seconds), [30, 65])
        XCTAssertEqual(c.segments.map { $0.cost.rounded(4, .halfUp) }, [m("3.00"), m("5.20")])
        XCTAssertEqual(c.connectFee, d("0.50"))
        XCTAssertEqual(c.cost, m("8.7000"))
        XCTAssertEqual(c.billedSeconds, 95)
    }

    /// "The same number, Sunday 12:00, 60 s: offpeak 4.80 + 0.50 = 5.3000."
    func testSundayIsOffpeakAllDay() throws {
        let c = try workedDeck().price(destination: "+441632960001", start: at(2024, 10, 6, 12, 0), seconds: 60, zone: zone)
        XCTAssertEqual(c.segments.map(\.band), ["offpeak"])
        XCTAssertEqual(c.cost, m("5.3000"))
    }

    /// "+44 7700 900123, Tuesday 10:00, 75 s: 0-60 s billed 60 = 9.00, then 15 s billed 18 (6 s pulse) = 2.16: 11.1600."
    /// The longest prefix wins (+447 over +44), and its tier from second 60 has a 6 s pulse.
    func testTheLongestPrefixAndARateTierFromSecond60() throws {
        let c = try workedDeck().price(destination: "+447700900123", start: at(2024, 10, 8, 10, 0), seconds: 75, zone: zone)
        XCTAssertEqual(c.prefix, "+447")
        XCTAssertEqual(c.segments.map(\.tier), [0, 60])
        XCTAssertEqual(c.segments.map(\.billedSeconds), [60, 18])
        XCTAssertEqual(c.cost, m("11.1600"))
    }

    /// "+1 202 555 0123 (30/6), 50 s: 30 s = 0.60, then 20 s billed 24 = 0.48: 1.0800; 10 s: billed 30 s (past the end) = 0.6000."
    func testA30By6PulseBillsPastTheEndOfAShortCall() throws {
        let deck = try workedDeck()
        XCTAssertEqual(try deck.price(destination: "+12025550123", start: at(2024, 10, 8, 10, 0), seconds: 50, zone: zone).cost, m("1.0800"))
        let short = try deck.price(destination: "+12025550123", start: at(2024, 10, 8, 10, 0), seconds: 10, zone: zone)
        XCTAssertEqual(short.billedSeconds, 30)
        XCTAssertEqual(short.cost, m("0.6000"))
    }

    /// "+86 138 0013 8000, 61 s: no prefix, the catch-all: billed 120 s = 24.0000." "+91 98123 45678, 125 s: billed 180 s = 1.5000 (60/60)."
    func testTheCatchAllAndA60By60Call() throws {
        let deck = try workedDeck()
        let china = try deck.price(destination: "+8613800138000", start: at(2024, 10, 8, 10, 0), seconds: 61, zone: zone)
        XCTAssertEqual(china.prefix, "*")
        XCTAssertEqual(china.billedSeconds, 120)
        XCTAssertEqual(china.cost, m("24.0000"))
        let india = try deck.price(destination: "+919812345678", start: at(2024, 10, 8, 10, 0), seconds: 125, zone: zone)
        XCTAssertEqual(india.billedSeconds, 180)
        XCTAssertEqual(india.cost, m("1.5000"))
    }

    /// The bundle example: 2 included minutes = 120 billed seconds; +91 per second at 0.60 a minute, in the bundle.
    /// 10:00 100 s: covered 100, 0.0000; 10:05 50 s: 20 s covered, 30 s at 0.60 a minute: 0.3000;
    /// 10:10 (Tuesday, peak) 60 s to +44, not in the bundle: 6.00 + 0.50 = 6.5000.
    func testIncludedMinutesCoverTheFirstBilledSecondsOfInBundleSegmentsOnly() throws {
        let deck = try workedDeck(bundle91: true)
        var allowance = 120
        let first = try deck.charge(destination: "+919812345678", start: at(2024, 10, 8, 10, 0), seconds: 100, zone: zone, allowance: &allowance)
        XCTAssertEqual(first.cost, m("0.0000"))
        XCTAssertEqual(first.coveredSeconds, 100)
        let second = try deck.charge(destination: "+919812345678", start: at(2024, 10, 8, 10, 5), seconds: 50, zone: zone, allowance: &allowance)
        XCTAssertEqual(second.coveredSeconds, 20)
        XCTAssertEqual(second.cost, m("0.3000"))
        XCTAssertEqual(allowance, 0)
        let uk = try deck.charge(destination: "+441632960001", start: at(2024, 10, 8, 10, 10), seconds: 60, zone: zone, allowance: &allowance)
        XCTAssertEqual(uk.coveredSeconds, 0)
        XCTAssertEqual(uk.cost, m("6.5000"))
        // The period: 210 billed seconds, 90 not covered; cost 0 + 0.30 + 6.50 = 6.80.
        XCTAssertEqual([first, second, uk].map(\.billedSeconds).reduce(0, +), 210)
        XCTAssertEqual([first, second, uk].map { $0.billedSeconds - $0.coveredSeconds }.reduce(0, +), 90)
        XCTAssertEqual([first, second, uk].map(\.cost).reduce(Money.zero, +), m("6.80"))
    }

    /// The pulses of the issue on a 50 s call at 0.60 a minute (a paisa a second):
    /// 60/60 billed 60 = 0.60; 1/1 billed 50 = 0.50; 60/1: the first 60 s billed whole, the call ends inside it: 60 = 0.60;
    /// 30/6: 30 + 20 billed 24 = 54 = 0.54; 45/30: 45 + 5 billed 30 = 75 = 0.75.
    func testPulses60By60And1By1And60By1And30By6And45By30OnA50SecondCall() throws {
        func deck(_ first: Int, _ then: Int) -> TariffDeck {
            TariffDeck(name: "pulse", rows: [TariffRow(prefix: "+91", rate: d("0.60"), incrementSeconds: first),
                                             TariffRow(prefix: "+91", fromSecond: first, rate: d("0.60"), incrementSeconds: then)],
                       bands: TimeBands([]))
        }
        for (first, then, billed, cost) in [(60, 60, 60, "0.60"), (1, 1, 50, "0.50"), (60, 1, 60, "0.60"), (30, 6, 54, "0.54"), (45, 30, 75, "0.75")] {
            let c = try deck(first, then).price(destination: "+919812345678", start: at(2024, 10, 8, 10, 0), seconds: 50, zone: zone)
            XCTAssertEqual(c.billedSeconds, billed, "\(first)/\(then)")
            XCTAssertEqual(c.cost, m(cost), "\(first)/\(then)")
        }
    }

    /// Across midnight into a holiday: Saturday 25 January 2025 23:59:00, 120 s to +44.
    /// 60 s offpeak (after 20:00 Saturday) at 4.80 = 4.80, then from midnight Sunday 26 January, the holiday
    /// (priority 20) at 3.00 a minute: 3.00; with the connect fee 0.50: 8.3000.
    func testACallAcrossMidnightIntoAHoliday() throws {
        let deck = TariffDeck(name: "holiday", rows: [
            TariffRow(prefix: "+44", band: "offpeak", rate: d("4.80"), incrementSeconds: 1, connectFee: d("0.50"), inBundle: false),
            TariffRow(prefix: "+44", band: "peak", rate: d("6.00"), incrementSeconds: 1, connectFee: d("0.50"), inBundle: false),
            TariffRow(prefix: "+44", band: "holiday", rate: d("3.00"), incrementSeconds: 1, connectFee: d("0.50"), inBundle: false),
        ], bands: try bands(holiday: true))
        let c = try deck.price(destination: "+441632960001", start: at(2025, 1, 25, 23, 59), seconds: 120, zone: zone)
        XCTAssertEqual(c.segments.map(\.band), ["offpeak", "holiday"])
        XCTAssertEqual(c.segments.map(\.seconds), [60, 60])
        XCTAssertEqual(c.cost, m("8.3000"))
        // A holiday on a weekday outranks peak: Friday 26 January 2024, 10:00, 60 s: 3.00 + 0.50.
        XCTAssertEqual(try deck.price(destination: "+441632960001", start: at(2024, 1, 26, 10, 0), seconds: 60, zone: zone).cost, m("3.5000"))
    }

    /// A tier that starts inside an increment: 1.20 a minute in 60 s pulses from second 0, 0.60 a minute in 6 s pulses
    /// from second 30. A 50 s call: the first segment runs to the tier start (30 s) and is billed 60: 1.20, which is past
    /// the end: 1.2000. A 70 s call: then from second 60 the tier reached is 30's: 10 s billed 12 at 0.60 = 0.12: 1.3200.
    func testATierChangeInsideAnIncrementStartsWhereTheBilledSegmentEnded() throws {
        let deck = TariffDeck(name: "tiers", rows: [TariffRow(prefix: "+91", rate: d("1.20")),
                                                    TariffRow(prefix: "+91", fromSecond: 30, rate: d("0.60"), incrementSeconds: 6)],
                              bands: TimeBands([]))
        let short = try deck.price(destination: "+919812345678", start: at(2024, 10, 8, 10, 0), seconds: 50, zone: zone)
        XCTAssertEqual(short.segments.map(\.billedSeconds), [60])
        XCTAssertEqual(short.cost, m("1.2000"))
        let long = try deck.price(destination: "+919812345678", start: at(2024, 10, 8, 10, 0), seconds: 70, zone: zone)
        XCTAssertEqual(long.segments.map(\.start), [0, 60])
        XCTAssertEqual(long.segments.map(\.tier), [0, 30])
        XCTAssertEqual(long.cost, m("1.3200"))
    }

    /// "Total ... rounded by the rule of the rows used with the most decimals ..., then capped at the smallest max_cost."
    /// 7 s at 0.50 a minute, per second, is exactly 3.5/60 = 0.058333...: half-up to 4 places 0.0583, up to 2 places 0.06,
    /// down to 2 places 0.05; capped at 0.05 it is 0.05 whatever the rounding.
    func testTheTotalIsRoundedOnceByItsRuleThenCapped() throws {
        func cost(_ rounding: Rounding, _ decimals: Int, cap: String? = nil) throws -> Money {
            var row = TariffRow(prefix: "+91", rate: d("0.50"), incrementSeconds: 1)
            (row.rounding, row.decimals, row.maxCost) = (rounding, decimals, cap.map(d))
            return try TariffDeck(name: "r", rows: [row], bands: TimeBands([]))
                .price(destination: "+919812345678", start: at(2024, 10, 8, 10, 0), seconds: 7, zone: zone).cost
        }
        XCTAssertEqual(try cost(.halfUp, 4), m("0.0583"))
        XCTAssertEqual(try cost(.up, 2), m("0.06"))
        XCTAssertEqual(try cost(.down, 2), m("0.05"))
        XCTAssertEqual(try cost(.up, 2, cap: "0.05"), m("0.05"))
    }

    /// "else the call has no price": a deck without a catch-all, and a band gap ("nothing is silently free").
    func testNoPriceWithoutAPrefixOrABandInForce() throws {
        let deck = TariffDeck(name: "gap", rows: [TariffRow(prefix: "+44", band: "peak", rate: d("6.00"))], bands: try bands())
        XCTAssertThrowsError(try deck.price(destination: "+8613800138000", start: at(2024, 10, 8, 10, 0), seconds: 60, zone: zone))
        // +44 has only peak rows, so among its bands peak runs from 08:00 to midnight (offpeak, not named, does not end it):
        // a call at 19:59 Monday is priced through 20:00. One at 23:59:30 of 90 s: its first 30 s are billed 60 (the row's
        // 60 s pulse), so its next segment starts at 00:00:30 Tuesday, where none is in force.
        XCTAssertEqual(try deck.price(destination: "+441632960001", start: at(2024, 10, 7, 19, 59), seconds: 120, zone: zone).segments.map(\.band),
                       ["peak"])
        XCTAssertThrowsError(try deck.price(destination: "+441632960001", start: at(2024, 10, 7, 23, 59, 30), seconds: 90, zone: zone)) { e in
            XCTAssertTrue("\(e)".contains("no band of +44 is in force"), "\(e)")
        }
        XCTAssertThrowsError(try deck.price(destination: "+441632960001", start: at(2024, 10, 6, 12, 0), seconds: 60, zone: zone),
                             "Sunday: peak is not in force, and +44 has no other band")
    }

    /// Prefixes priced alike share one array of rows in the deck (a carrier's 50,000 prefixes have a few dozen
    /// prices), yet each keeps its own prefix and destination; a prefix whose rows name two destinations shows the
    /// first segment's row's. By hand: +9198 and +9197 at 0.60 per 60 s, 60 s: 0.6000 each. +44 Monday 10:00, 60 s:
    /// peak 6.0000 "UK peak"; Sunday 12:00: offpeak 4.8000 "UK offpeak"; Monday 19:59:30, 95 s: peak 30 s billed 60
    /// (6.00), then offpeak 35 s billed 60 (4.80): 10.8000, shown as "UK peak".
    func testPrefixesPricedAlikeKeepTheirOwnPrefixAndDestination() throws {
        func row(_ prefix: String, _ destination: String, band: String = TimeBands.always, _ rate: String) -> TariffRow {
            var r = TariffRow(prefix: prefix, band: band, rate: d(rate))
            r.destination = destination
            return r
        }
        // The file interleaves the prefixes' rows.
        let deck = TariffDeck(name: "alike", rows: [row("+44", "UK peak", band: "peak", "6.00"), row("+9198", "IN Mobile 98", "0.60"),
                                                    row("+44", "UK offpeak", band: "offpeak", "4.80"), row("+9197", "IN Mobile 97", "0.60")],
                              bands: try bands())
        for (number, prefix, destination) in [("+919812345678", "+9198", "IN Mobile 98"), ("+919712345678", "+9197", "IN Mobile 97")] {
            let c = try deck.price(destination: number, start: at(2024, 10, 7, 10, 0), seconds: 60, zone: zone)
            XCTAssertEqual([c.prefix, c.destination], [prefix, destination])
            XCTAssertEqual(c.cost, m("0.6000"))
        }
        let peak = try deck.price(destination: "+441632960001", start: at(2024, 10, 7, 10, 0), seconds: 60, zone: zone)
        XCTAssertEqual([peak.destination, "\(peak.cost)"], ["UK peak", "6.0000"])
        let offpeak = try deck.price(destination: "+441632960001", start: at(2024, 10, 6, 12, 0), seconds: 60, zone: zone)
        XCTAssertEqual([offpeak.destination, "\(offpeak.cost)"], ["UK offpeak", "4.8000"])
        let across = try deck.price(destination: "+441632960001", start: at(2024, 10, 7, 19, 59, 30), seconds: 95, zone: zone)
        XCTAssertEqual(across.segments.map(\.band), ["peak", "offpeak"])
        XCTAssertEqual(across.segments.map(\.billedSeconds), [60, 60])
        XCTAssertEqual([across.destination, "\(across.cost)"], ["UK peak", "10.8000"])
    }

    /// Bands resolve among the bands a prefix's rows name: equal priority, the later start wins; a higher priority
    /// starting later ends a lower one; the band * is below every other.
    func testBandResolution() throws {
        let b = try bands(holiday: true)
        let monday = LocalDateTime(year: 2024, month: 10, day: 7, hour: 7, minute: 59, second: 59)
        XCTAssertEqual(b.inForce(among: ["peak", "offpeak"], at: monday), "offpeak")
        XCTAssertEqual(b.secondsToNextChange(among: ["peak", "offpeak"], at: monday), 1)
        XCTAssertEqual(b.inForce(among: ["peak"], at: monday), nil, "among peak alone nothing is in force before 08:00")
        XCTAssertEqual(b.inForce(among: ["peak", "*"], at: monday), "*")
        XCTAssertEqual(b.inForce(among: ["peak", "*"], at: LocalDateTime(year: 2024, month: 10, day: 7, hour: 9)), "peak")
        XCTAssertEqual(b.inForce(among: ["peak", "offpeak", "holiday"], at: LocalDateTime(year: 2024, month: 1, day: 26, hour: 9)), "holiday")
        XCTAssertEqual(LocalDateTime(year: 2024, month: 10, day: 7).weekday, 1, "7 October 2024 is a Monday")
        XCTAssertThrowsError(try BandDays("mon-funday"))
        XCTAssertTrue(try BandDays("sat;sun;2024-12-25").contains(LocalDateTime(year: 2024, month: 12, day: 25)))
    }
}
