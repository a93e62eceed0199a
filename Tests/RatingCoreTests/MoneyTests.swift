import XCTest
@testable import RatingRules

final class MoneyTests: XCTestCase {
    // Money holds ten-thousandths of a rupee.

    func testParsesDecimals() {
        XCTAssertEqual(Money("0.50")?.units, 5_000)
        XCTAssertEqual(Money("349.00")?.units, 3_490_000)
        XCTAssertEqual(Money("0.4")?.units, 4_000)
        XCTAssertEqual(Money("-1.25")?.units, -12_500)
        XCTAssertEqual(Money("12")?.units, 120_000)
        XCTAssertEqual(Money("349.0000")?.units, 3_490_000)
        XCTAssertEqual(Money("0.0001")?.units, 1)
        XCTAssertEqual(Money("4999.00")?.units, 49_990_000)
        XCTAssertEqual(Money("0")?.units, 0)
        XCTAssertEqual(Money("-0.5")?.units, -5_000)
    }

    func testParseToleratesTrailingZerosBeyondFourPlaces() {
        // 1.23450 is exactly 1.2345
        XCTAssertEqual(Money("1.23450")?.units, 12_345)
    }

    func testParseRejectsNonNumbers() {
        XCTAssertNil(Money("abc"))
        XCTAssertNil(Money(""))
        XCTAssertNil(Money("-"))
        XCTAssertNil(Money("."))
        XCTAssertNil(Money("1.2.3"))
        XCTAssertNil(Money("1,000.00"))
        XCTAssertNil(Money("1e3"))
        XCTAssertNil(Money("--1"))
        XCTAssertNil(Money("12a"))
        XCTAssertNil(Money("0x10"))
    }

    func testParseRejectsMoreThanFourDecimalPlaces() {
        XCTAssertNil(Money("1.23456"))
        XCTAssertNil(Money("0.00001"))
    }

    func testTimesMinutes() {
        let rate = Money("0.50")!
        XCTAssertEqual(rate.times(0), Money.zero)
        XCTAssertEqual(rate.times(1).units, 5_000)
        XCTAssertEqual(rate.times(3).units, 15_000)
        XCTAssertEqual(rate.times(3), Money("1.5")!)
        XCTAssertEqual(Money("0.3333")!.times(3), Money("0.9999")!)
        XCTAssertEqual(Money("1.25")!.times(1000), Money("1250")!)
    }

    func testExactArithmetic() {
        // 0.1 + 0.2 is exactly 0.3: no binary floating point.
        XCTAssertEqual(Money("0.1")! + Money("0.2")!, Money("0.3")!)
        XCTAssertEqual(Money("500.00")! - Money("1.00")!, Money("499.00")!)
        var total = Money.zero
        for _ in 0 ..< 10 { total += Money("0.1")! }
        XCTAssertEqual(total, Money("1")!)
        XCTAssertEqual(-Money("2.5")!, Money("-2.5")!)
        XCTAssertTrue(Money("0.4999")! < Money("0.5")!)
        XCTAssertTrue(Money("-1")! < Money.zero)
    }

    func testRoundedToPaiseHalfUp() {
        XCTAssertEqual(Money("0.125")!.roundedToPaise, Money("0.13")!)
        XCTAssertEqual(Money("0.1249")!.roundedToPaise, Money("0.12")!)
        XCTAssertEqual(Money("-0.125")!.roundedToPaise, Money("-0.13")!)
        XCTAssertEqual(Money("-0.1249")!.roundedToPaise, Money("-0.12")!)
        XCTAssertEqual(Money("0.135")!.roundedToPaise, Money("0.14")!)
        XCTAssertEqual(Money("1.005")!.roundedToPaise, Money("1.01")!)
        XCTAssertEqual(Money("0.9999")!.roundedToPaise, Money("1.00")!)
        XCTAssertEqual(Money("0.0049")!.roundedToPaise, Money.zero)
        XCTAssertEqual(Money("0.0050")!.roundedToPaise, Money("0.01")!)
        XCTAssertEqual(Money("2.00")!.roundedToPaise, Money("2.00")!)
        XCTAssertEqual(Money("-2.00")!.roundedToPaise, Money("-2.00")!)
    }

    func testFormatting() {
        XCTAssertEqual(Money("0.50")!.description, "0.5000")
        XCTAssertEqual(Money("349")!.description, "349.0000")
        XCTAssertEqual(Money("-1.25")!.description, "-1.2500")
        XCTAssertEqual(Money("-0.05")!.description, "-0.0500")
        XCTAssertEqual(Money.zero.description, "0.0000")
        XCTAssertEqual(Money(units: 1).description, "0.0001")
        XCTAssertEqual(Money("349.00")!.formatted(decimals: 2), "349.00")
        XCTAssertEqual(Money("0.125")!.roundedToPaise.formatted(decimals: 2), "0.13")
        XCTAssertEqual(Money("-0.125")!.roundedToPaise.formatted(decimals: 2), "-0.13")
        XCTAssertEqual(Money("1")!.formatted(decimals: 2), "1.00")
        XCTAssertEqual(Money("1234567.8")!.formatted(decimals: 4), "1234567.8000")
        XCTAssertEqual("\(Money("0.5")!.times(2))", "1.0000")
    }

    func testFormatParseRoundTrip() {
        for text in ["0.0000", "0.5000", "-1.2500", "349.0000", "4999.9999", "-0.0001"] {
            XCTAssertEqual(Money(text)?.description, text)
        }
    }
}
