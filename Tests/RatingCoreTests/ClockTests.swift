import XCTest
@testable import RatingRules

final class ClockTests: XCTestCase {
    /// The text written byte by byte is the interpolated text, on either side of every field's width.
    func testTimestampTextIsTheInterpolatedText() {
        func interpolated(_ t: LocalDateTime) -> String {
            func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
            return "\(t.year)-\(two(t.month))-\(two(t.day)) \(two(t.hour)):\(two(t.minute)):\(two(t.second))"
        }
        var epoch: Int64 = -62_135_596_800 // 0001-01-01
        while epoch < 253_402_300_800 + 86_400 * 400 { // past 9999
            let t = LocalDateTime(secondsAsIfUTC: epoch)
            XCTAssertEqual(t.text, interpolated(t))
            XCTAssertEqual(postgresTimestamp(epoch), interpolated(t) + "+00")
            epoch += 7_919_993 // about three months and some seconds: every field's digits come round
        }
        XCTAssertEqual(postgresTimestamp(1_728_000_000), "2024-10-04 00:00:00+00")
    }

    private func parse(_ s: String) -> LocalDateTime? { LocalDateTime(bytes: Array(s.utf8)) }

    // MARK: LocalDateTime parsing

    func testParsesValidTimestamp() {
        let t = parse("2024-10-05 10:07:59")
        XCTAssertEqual(t, LocalDateTime(year: 2024, month: 10, day: 5, hour: 10, minute: 7, second: 59))
        XCTAssertEqual(parse("1970-01-01 00:00:00"), LocalDateTime(year: 1970, month: 1, day: 1))
        XCTAssertEqual(parse("2024-12-31 23:59:59"), LocalDateTime(year: 2024, month: 12, day: 31, hour: 23, minute: 59, second: 59))
    }

    func testParsesISOStyleT() {
        XCTAssertEqual(parse("2024-10-05T10:07:59"), LocalDateTime(year: 2024, month: 10, day: 5, hour: 10, minute: 7, second: 59))
    }

    func testFebruary29() {
        XCTAssertEqual(parse("2024-02-29 12:00:00"), LocalDateTime(year: 2024, month: 2, day: 29, hour: 12))
        XCTAssertEqual(parse("2000-02-29 00:00:00"), LocalDateTime(year: 2000, month: 2, day: 29)) // divisible by 400
        XCTAssertNil(parse("2023-02-29 12:00:00"))
        XCTAssertNil(parse("2100-02-29 00:00:00")) // divisible by 100, not 400
        XCTAssertNil(parse("2024-02-30 00:00:00"))
    }

    func testImpossibleDatesAndTimes() {
        XCTAssertNil(parse("2024-13-01 00:00:00"))
        XCTAssertNil(parse("2024-00-10 00:00:00"))
        XCTAssertNil(parse("2024-04-31 00:00:00"))
        XCTAssertNil(parse("2024-10-00 00:00:00"))
        XCTAssertNil(parse("2024-10-05 24:00:00"))
        XCTAssertNil(parse("2024-10-05 23:60:00"))
        XCTAssertNil(parse("2024-10-05 23:59:60"))
    }

    func testGarbageAndWrongLength() {
        XCTAssertNil(parse(""))
        XCTAssertNil(parse("abcd-ef-gh ij:kl:mn"))
        XCTAssertNil(parse("not a date at all!!"))
        XCTAssertNil(parse("2024-10-05 10:07"))        // 16 characters
        XCTAssertNil(parse("2024-10-5 10:07:59"))      // 18
        XCTAssertNil(parse("2024-10-05 10:07:59 "))    // 20
        XCTAssertNil(parse("2024-10-05 10:07:59.123"))
        XCTAssertNil(parse("2024/10/05 10:07:59"))
        XCTAssertNil(parse("2024-10-05_10:07:59"))
        XCTAssertNil(parse("2024-10-05 10-07-59"))
        XCTAssertNil(parse("+024-10-05 10:07:59"))
        XCTAssertNil(parse("2024-1a-05 10:07:59"))
        XCTAssertNil(parse("1728102479"))
    }

    func testSecondsAsIfUTC() {
        XCTAssertEqual(LocalDateTime(year: 1970, month: 1, day: 1).secondsAsIfUTC, 0)
        XCTAssertEqual(LocalDateTime(year: 2024, month: 1, day: 1).secondsAsIfUTC, 1_704_067_200)
        XCTAssertEqual(LocalDateTime(year: 2024, month: 2, day: 29, hour: 23, minute: 59, second: 59).secondsAsIfUTC,
                       TS.utc(2024, 2, 29, 23, 59, 59))
        XCTAssertEqual(LocalDateTime(year: 2000, month: 3, day: 1).secondsAsIfUTC, TS.utc(2000, 3, 1))
        XCTAssertEqual(LocalDateTime(year: 2099, month: 12, day: 31, hour: 12).secondsAsIfUTC, TS.utc(2099, 12, 31, 12))
    }

    func testComparable() {
        XCTAssertLessThan(parse("2024-10-05 10:00:00")!, parse("2024-10-05 10:00:01")!)
        XCTAssertLessThan(parse("2023-12-31 23:59:59")!, parse("2024-01-01 00:00:00")!)
    }

    // MARK: ZoneRules, Asia/Kolkata (+05:30, no DST)

    func testKolkataInstantOfLocal() {
        let z = TS.ist
        XCTAssertEqual(z.identifier, "Asia/Kolkata")
        XCTAssertEqual(z.instant(of: LocalDateTime(year: 2024, month: 10, day: 1, hour: 10)), TS.utc(2024, 10, 1, 4, 30))
        XCTAssertEqual(z.instant(of: LocalDateTime(year: 2024, month: 10, day: 1)), TS.utc(2024, 9, 30, 18, 30))
        XCTAssertEqual(z.instant(of: LocalDateTime(year: 2024, month: 1, day: 1)), 1_704_067_200 - 19_800)
        XCTAssertEqual(z.offset(atUTC: TS.utc(2024, 1, 15)), 19_800)
        XCTAssertEqual(z.offset(atUTC: TS.utc(2024, 7, 15)), 19_800)
    }

    func testKolkataLocalOfInstant() {
        let z = TS.ist
        XCTAssertEqual(z.local(of: TS.utc(2024, 9, 30, 18, 30)), LocalDateTime(year: 2024, month: 10, day: 1))
        XCTAssertEqual(z.local(of: TS.utc(2024, 12, 31, 18, 29, 59)), LocalDateTime(year: 2024, month: 12, day: 31, hour: 23, minute: 59, second: 59))
        XCTAssertEqual(z.local(of: TS.utc(2024, 12, 31, 18, 30)), LocalDateTime(year: 2025, month: 1, day: 1))
    }

    func testKolkataRoundTrip() {
        let z = TS.ist
        let readings = ["1970-01-01 00:00:00", "2024-02-29 23:59:59", "2024-10-05 10:07:00", "2024-12-31 23:30:00",
                        "2030-06-15 05:29:59", "2099-12-31 23:59:59"]
        for r in readings {
            let local = parse(r)!
            XCTAssertEqual(z.local(of: z.instant(of: local)), local, r)
        }
        for epoch: Int64 in [0, 1_704_067_200, 1_728_102_479, 2_000_000_000] {
            XCTAssertEqual(z.instant(of: z.local(of: epoch)), epoch)
        }
    }

    func testUnknownZone() {
        XCTAssertNil(ZoneRules(identifier: "Mars/Olympus_Mons"))
    }

    func testOnlyIANANames() {
        // Abbreviations mean more than one zone (BST: British Summer or Bangladesh Standard Time).
        for abbreviation in ["BST", "IST", "EST", "PST", "CET"] {
            XCTAssertNil(ZoneRules(identifier: abbreviation), abbreviation)
        }
        XCTAssertNotNil(ZoneRules(identifier: "UTC"))
        XCTAssertNotNil(ZoneRules(identifier: "Asia/Kolkata"))
        XCTAssertNotNil(ZoneRules(identifier: "Europe/London"))
    }

    // MARK: ZoneRules, a DST zone

    func testNewYorkOffsetJanuaryVersusJuly() {
        let z = ZoneRules(identifier: "America/New_York")!
        XCTAssertEqual(z.offset(atUTC: TS.utc(2024, 1, 15, 17)), -5 * 3600)
        XCTAssertEqual(z.offset(atUTC: TS.utc(2024, 7, 15, 16)), -4 * 3600)
        XCTAssertEqual(z.instant(of: LocalDateTime(year: 2024, month: 1, day: 15, hour: 12)), TS.utc(2024, 1, 15, 17))
        XCTAssertEqual(z.instant(of: LocalDateTime(year: 2024, month: 7, day: 15, hour: 12)), TS.utc(2024, 7, 15, 16))
        XCTAssertEqual(z.local(of: TS.utc(2024, 1, 15, 17)), LocalDateTime(year: 2024, month: 1, day: 15, hour: 12))
        XCTAssertEqual(z.local(of: TS.utc(2024, 7, 15, 16)), LocalDateTime(year: 2024, month: 7, day: 15, hour: 12))
    }

    func testNewYorkTransitionInstants() {
        let z = ZoneRules(identifier: "America/New_York")!
        // 2024-03-10 02:00 EST = 07:00 UTC: clocks jump to 03:00 EDT.
        XCTAssertEqual(z.local(of: TS.utc(2024, 3, 10, 6, 59, 59)), LocalDateTime(year: 2024, month: 3, day: 10, hour: 1, minute: 59, second: 59))
        XCTAssertEqual(z.local(of: TS.utc(2024, 3, 10, 7)), LocalDateTime(year: 2024, month: 3, day: 10, hour: 3))
        // 2024-11-03 02:00 EDT = 06:00 UTC: clocks fall back to 01:00 EST.
        XCTAssertEqual(z.local(of: TS.utc(2024, 11, 3, 5, 30)), LocalDateTime(year: 2024, month: 11, day: 3, hour: 1, minute: 30))
        XCTAssertEqual(z.local(of: TS.utc(2024, 11, 3, 6, 30)), LocalDateTime(year: 2024, month: 11, day: 3, hour: 1, minute: 30))
    }

    func testNewYorkOverlapEarlierOffsetWins() {
        // 01:30 on 2024-11-03 happens twice; the earlier offset (EDT, -4) gives 05:30 UTC.
        let z = ZoneRules(identifier: "America/New_York")!
        XCTAssertEqual(z.instant(of: LocalDateTime(year: 2024, month: 11, day: 3, hour: 1, minute: 30)), TS.utc(2024, 11, 3, 5, 30))
    }

    func testNewYorkGapEarlierOffsetWins() {
        // 02:30 on 2024-03-10 does not exist. ZoneRules.instant(of:) documents
        // "In a DST gap or overlap the earlier offset's reading wins": read with
        // the earlier offset (EST, -5) that is 07:30 UTC (= 03:30 EDT).
        let z = ZoneRules(identifier: "America/New_York")!
        XCTAssertEqual(z.instant(of: LocalDateTime(year: 2024, month: 3, day: 10, hour: 2, minute: 30)), TS.utc(2024, 3, 10, 7, 30))
    }

    func testStandardOffsetChangeWithoutDST() {
        // Pyongyang moved from +09:00 to +08:30 on 2015-08-15 and back to +09:00 on 2018-05-05 (no DST involved).
        guard let z = ZoneRules(identifier: "Asia/Pyongyang") else { return }
        XCTAssertEqual(z.offset(atUTC: TS.utc(2014, 6, 1)), 9 * 3600)
        XCTAssertEqual(z.offset(atUTC: TS.utc(2016, 6, 1)), 8 * 3600 + 1800)
        XCTAssertEqual(z.offset(atUTC: TS.utc(2019, 6, 1)), 9 * 3600)
    }

    // MARK: postgresTimestamp

    func testPostgresTimestamp() {
        XCTAssertEqual(postgresTimestamp(TS.utc(2024, 10, 5, 4, 30)), "2024-10-05 04:30:00+00")
        XCTAssertEqual(postgresTimestamp(0), "1970-01-01 00:00:00+00")
        XCTAssertEqual(postgresTimestamp(TS.ist(2024, 10, 1)), "2024-09-30 18:30:00+00")
    }
}
