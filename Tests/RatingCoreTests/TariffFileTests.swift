import XCTest
@testable import RatingRules

/// Reading a rows file (SPEC 3c) and comparing two versions' prices, each expectation read off the file by hand.
final class TariffFileTests: XCTestCase {
    func problems(_ text: String) -> [String] {
        do { _ = try TariffFile.rows(text, file: "deck.csv", bands: nil, bandsFile: nil); return [] } catch { return error.lines }
    }

    /// A tier priced twice is named on each repeat with the line of its first, however far apart and in whatever
    /// order the prefixes' rows come; a band whose tiers start after second 0 is named on its first line.
    func testRepeatedTiersAndBandsWithoutSecondZeroAreNamedByLine() {
        let text = """
            prefix,rate,from_second
            +44,6.00,0
            +91,0.50,60
            +44,5.00,60
            +91,0.40,120
            +44,6.00,0
            +33,1.00,0
            +44,7.00,0

            """
        // +44 second 0 on lines 2, 6 and 8: 6 and 8 repeat line 2. +91 starts at 60 (lines 3, 5): named on line 3.
        XCTAssertEqual(problems(text), [
            "deck.csv:3: band * of prefix +91 has no row from second 0: a call's first seconds in it would have no price",
            "deck.csv:6: prefix +44, band *, from_second 0 is priced already on line 2",
            "deck.csv:8: prefix +44, band *, from_second 0 is priced already on line 2",
        ])
    }

    func testAGoodFileKeepsEveryRowInFileOrder() throws {
        let rows = try TariffFile.rows("prefix,rate,from_second\n+91,0.50,60\n+44,6.00,0\n+91,0.60,0\n", file: "deck.csv", bands: nil, bandsFile: nil)
        XCTAssertEqual(rows.map(\.line), [2, 3, 4])
        XCTAssertEqual(rows.map(\.row.prefix), ["+91", "+44", "+91"])
    }

    /// Two versions compare prefix by prefix: the same rows in another order, or a rate written 0.5 for 0.50, are the
    /// same price; another rate or tier is not.
    func testPriceShapesAreEqualExactlyWhenThePrefixesRowsAre() {
        func row(_ prefix: String, _ rate: String, from: Int = 0) -> TariffRow { TariffRow(prefix: prefix, fromSecond: from, rate: DecimalRate(rate)!) }
        var shapes = TariffFile.PriceShapes()
        let old = shapes.byPrefix([row("+91", "0.50"), row("+44", "6.00"), row("+91", "0.40", from: 60), row("+33", "1.00")])
        let new = shapes.byPrefix([row("+91", "0.4", from: 60), row("+44", "6.10"), row("+33", "1.00"), row("+91", "0.5")])
        XCTAssertEqual(Set(old.keys), ["+91", "+44", "+33"])
        XCTAssertEqual(old["+91"], new["+91"], "the same tiers in another order and written with fewer zeros")
        XCTAssertEqual(old["+33"], new["+33"])
        XCTAssertNotEqual(old["+44"], new["+44"], "6.00 against 6.10")
        XCTAssertNotEqual(old["+91"], old["+33"])
    }
}
