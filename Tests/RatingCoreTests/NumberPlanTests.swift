import XCTest
@testable import RatingRules

final class NumberPlanTests: XCTestCase {
    func testDropsSpacesDashesParens() {
        XCTAssertEqual(NumberPlan.normalize("98123 45678"), "+919812345678")
        XCTAssertEqual(NumberPlan.normalize("981-234-5678"), "+919812345678")
        XCTAssertEqual(NumberPlan.normalize("(981) 234-5678"), "+919812345678")
        XCTAssertEqual(NumberPlan.normalize(" 98123 45678 "), "+919812345678")
        XCTAssertEqual(NumberPlan.normalize("+1 (415) 555-0100"), "+14155550100")
    }

    func testDoubleZeroBecomesPlus() {
        XCTAssertEqual(NumberPlan.normalize("0014155550100"), "+14155550100")
        XCTAssertEqual(NumberPlan.normalize("00971 50 123 4567"), "+971501234567")
        XCTAssertEqual(NumberPlan.normalize("0091 98123 45678"), "+919812345678")
        XCTAssertEqual(NumberPlan.normalize("0044-20-7946-0958"), "+442079460958")
    }

    func testTenDigitsStartingSixToNineIsIndianMobile() {
        XCTAssertEqual(NumberPlan.normalize("9812345678"), "+919812345678")
        XCTAssertEqual(NumberPlan.normalize("8123456789"), "+918123456789")
        XCTAssertEqual(NumberPlan.normalize("7012345678"), "+917012345678")
        XCTAssertEqual(NumberPlan.normalize("6000000000"), "+916000000000")
        // 10 digits starting 1-5 is none of the rules: unchanged.
        XCTAssertEqual(NumberPlan.normalize("5812345678"), "5812345678")
        XCTAssertEqual(NumberPlan.normalize("2212345678"), "2212345678")
    }

    func testZeroPlusTenDigits() {
        XCTAssertEqual(NumberPlan.normalize("01123456789"), "+911123456789")
        XCTAssertEqual(NumberPlan.normalize("011 2345 6789"), "+911123456789")
        XCTAssertEqual(NumberPlan.normalize("09812345678"), "+919812345678")
        XCTAssertEqual(NumberPlan.normalize("022-2233-4455"), "+912222334455")
    }

    func testNinetyOnePlusTenDigits() {
        XCTAssertEqual(NumberPlan.normalize("919812345678"), "+919812345678")
        XCTAssertEqual(NumberPlan.normalize("91 11 2345 6789"), "+911123456789")
    }

    func testTollFree() {
        XCTAssertEqual(NumberPlan.normalize("1800 123 4567"), "+9118001234567")
        XCTAssertEqual(NumberPlan.normalize("18001234567"), "+9118001234567")
        XCTAssertEqual(NumberPlan.normalize("1860-500-1234"), "+9118605001234")
        XCTAssertEqual(NumberPlan.normalize("1800-12-3456"), "+911800123456")
        XCTAssertEqual(NumberPlan.normalize("1800123456"), "+911800123456")
    }

    func testShortNumbersAndExtensionsUnchanged() {
        XCTAssertEqual(NumberPlan.normalize("100"), "100")
        XCTAssertEqual(NumberPlan.normalize("112"), "112")
        XCTAssertEqual(NumberPlan.normalize("4501"), "4501")
        XCTAssertEqual(NumberPlan.normalize("2001"), "2001")
        XCTAssertEqual(NumberPlan.normalize("*99#"), "*99#")
        XCTAssertEqual(NumberPlan.normalize("anonymous"), "anonymous")
        XCTAssertEqual(NumberPlan.normalize(""), "")
        XCTAssertEqual(NumberPlan.normalize("12345678901"), "12345678901")
    }

    func testAlreadyInternationalUnchanged() {
        XCTAssertEqual(NumberPlan.normalize("+919812345678"), "+919812345678")
        XCTAssertEqual(NumberPlan.normalize("+91 98123 45678"), "+919812345678")
        XCTAssertEqual(NumberPlan.normalize("+9118001234567"), "+9118001234567")
        XCTAssertEqual(NumberPlan.normalize("+14155550100"), "+14155550100")
    }

    func testNormalizeIsIdempotent() {
        for raw in ["98123 45678", "01123456789", "919812345678", "1800 123 4567", "0014155550100", "100", "+971501234567"] {
            let once = NumberPlan.normalize(raw)
            XCTAssertEqual(NumberPlan.normalize(once), once, raw)
        }
    }

    func testOutboundTollFree() {
        XCTAssertEqual(NumberPlan.outboundCallType("+9118001234567"), .toll_free)
        XCTAssertEqual(NumberPlan.outboundCallType("+9118605001234"), .toll_free)
        XCTAssertEqual(NumberPlan.outboundCallType("+911800123456"), .toll_free)
    }

    func testOutboundISD() {
        XCTAssertEqual(NumberPlan.outboundCallType("+14155550100"), .isd)
        XCTAssertEqual(NumberPlan.outboundCallType("+971501234567"), .isd)
        XCTAssertEqual(NumberPlan.outboundCallType("+442079460958"), .isd)
        XCTAssertEqual(NumberPlan.outboundCallType("+9771234567"), .isd) // Nepal, +977: not +91
    }

    func testOutboundMobile() {
        XCTAssertEqual(NumberPlan.outboundCallType("+919812345678"), .mobile)
        XCTAssertEqual(NumberPlan.outboundCallType("+916000000000"), .mobile)
        XCTAssertEqual(NumberPlan.outboundCallType("+917012345678"), .mobile)
    }

    func testOutboundSTD() {
        XCTAssertEqual(NumberPlan.outboundCallType("+911123456789"), .std)
        XCTAssertEqual(NumberPlan.outboundCallType("+912222334455"), .std)
        XCTAssertEqual(NumberPlan.outboundCallType("+914428123456"), .std)
        // +91 and not 10 digits starting 6-9
        XCTAssertEqual(NumberPlan.outboundCallType("+9198123456789"), .std)
        XCTAssertEqual(NumberPlan.outboundCallType("+91981234567"), .std)
    }

    func testOutboundLocal() {
        XCTAssertEqual(NumberPlan.outboundCallType("100"), .local)
        XCTAssertEqual(NumberPlan.outboundCallType("4501"), .local)
        XCTAssertEqual(NumberPlan.outboundCallType("5812345678"), .local)
        XCTAssertEqual(NumberPlan.outboundCallType("*99#"), .local)
    }

    func testNormalizeThenClassify() {
        XCTAssertEqual(NumberPlan.outboundCallType(NumberPlan.normalize("9812345678")), .mobile)
        XCTAssertEqual(NumberPlan.outboundCallType(NumberPlan.normalize("1800 123 4567")), .toll_free)
        XCTAssertEqual(NumberPlan.outboundCallType(NumberPlan.normalize("011-2345-6789")), .std)
        XCTAssertEqual(NumberPlan.outboundCallType(NumberPlan.normalize("0014155550100")), .isd)
        XCTAssertEqual(NumberPlan.outboundCallType(NumberPlan.normalize("2001")), .local)
    }

    /// The byte path `normalize` takes for printable ASCII gives what String's tests give, on every shape it
    /// branches on (prefixes 00, +, 0, 91, 1800, 1860, 6-9; lengths 9 to 13; strip characters; CR and non-ASCII fall back).
    func testTheBytePathAgreesWithTheCharacterPath() {
        var generator = SystemRandomNumberGenerator()
        let pieces = ["0", "00", "+", "91", "1800", "1860", "9", "6", "5", "1", " ", "-", "(", ")", "\t", "a", "#", "*", "é", "\r", "\r\n", "0\u{301}", ""]
        var checked = 0
        for length in 0 ... 14 {
            for _ in 0 ..< 400 {
                var s = ""
                while s.utf8.count < length { s += pieces.randomElement(using: &generator)! }
                if Bool.random(using: &generator) { s += String(repeating: "7", count: Int.random(in: 0 ... 12, using: &generator)) }
                XCTAssertEqual(NumberPlan.normalize(s), NumberPlan.normalizeByCharacters(s), "\(s.debugDescription)")
                checked += 1
            }
        }
        for s in ["", " ", "00", "0", "+", "9812345678", "09812345678", "919812345678", "18001234567", "1860123456", "1800 123 4567",
                  "00 44 20 7946 0958", "5812345678", "98123456789", "+91 98123 45678", "12\r", "9812345678\u{301}"] {
            XCTAssertEqual(NumberPlan.normalize(s), NumberPlan.normalizeByCharacters(s), "\(s.debugDescription)")
        }
        XCTAssertGreaterThan(checked, 5000)
    }

    /// The byte path of `outboundCallType` (ASCII numbers) gives what String's prefix tests give, on every prefix it
    /// branches on (+911800, +911860, +91 and 10 digits from 6, +91 otherwise, +, none), normalised or not, and non-ASCII falls back.
    func testTheCallTypeBytePathAgreesWithTheCharacterPath() {
        var generator = SystemRandomNumberGenerator()
        let pieces = ["+", "+91", "+911800", "+911860", "91", "1800", "9", "6", "5", "0", "1", "8", " ", "-", "a", "#", "é", "1\u{301}", ""]
        var checked = 0
        for length in 0 ... 16 {
            for _ in 0 ..< 300 {
                var s = ""
                while s.utf8.count < length { s += pieces.randomElement(using: &generator)! }
                if Bool.random(using: &generator) { s += String(repeating: "7", count: Int.random(in: 0 ... 12, using: &generator)) }
                for number in [s, NumberPlan.normalize(s)] {
                    XCTAssertEqual(NumberPlan.outboundCallType(number), NumberPlan.outboundCallTypeByCharacters(number), "\(number.debugDescription)")
                    checked += 1
                }
            }
        }
        for s in ["", "+", "+91", "+911800", "+9118001234567", "+9118601234567", "+919812345678", "+915812345678", "+91981234567a",
                  "+9198123456789", "+14155550100", "4501", "+91\u{301}9812345678", "+919812345678\u{301}"] {
            XCTAssertEqual(NumberPlan.outboundCallType(s), NumberPlan.outboundCallTypeByCharacters(s), "\(s.debugDescription)")
        }
        XCTAssertGreaterThan(checked, 9000)
    }
}
