import RatingRules
import XCTest
@testable import Billing

/// `FileScan` counts calls in arrays indexed by `ordinal`, which restates the
/// enums' declaration order in a switch; the report reads the arrays in
/// `allCases` order. The compiler checks the switch's cases, not its order.
final class FileScanOrdinalTests: XCTestCase {
    func testEveryCallStatusOrdinalIsItsPlaceInAllCases() {
        for (i, status) in CallStatus.allCases.enumerated() { XCTAssertEqual(status.ordinal, i, "\(status)") }
    }

    func testEveryCallTypeOrdinalIsItsPlaceInAllCases() {
        for (i, type) in CallType.allCases.enumerated() { XCTAssertEqual(type.ordinal, i, "\(type)") }
    }
}
