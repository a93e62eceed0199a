import RatingRules
import XCTest
@testable import Billing

/// COPY's binary format, field by field, worked out from the PostgreSQL
/// documentation (big-endian lengths; numeric as base-10000 digits).
final class BinaryCopyEncoderTests: XCTestCase {
    private func field(_ encode: (inout BinaryCopyEncoder) -> Void) -> [UInt8] {
        var e = BinaryCopyEncoder(capacity: 0)
        encode(&e)
        return e.buffer
    }

    func testNumericOfMoney() {
        // 1.2345: 2 digits [1, 2345], weight 0, positive, dscale 4; length 8 + 2 x 2 = 12.
        XCTAssertEqual(field { $0.numeric(Money("1.2345")!) }, [0, 0, 0, 12, 0, 2, 0, 0, 0, 0, 0, 4, 0, 1, 0x09, 0x29])
        // 0: no digits.
        XCTAssertEqual(field { $0.numeric(.zero) }, [0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 4])
        // 0.5: [5000], weight -1.
        XCTAssertEqual(field { $0.numeric(Money("0.50")!) }, [0, 0, 0, 10, 0, 1, 0xFF, 0xFF, 0, 0, 0, 4, 0x13, 0x88])
        // 10000.5: [1, 0, 5000], weight 1.
        XCTAssertEqual(field { $0.numeric(Money("10000.5")!) }, [0, 0, 0, 14, 0, 3, 0, 1, 0, 0, 0, 4, 0, 1, 0, 0, 0x13, 0x88])
        // 3.0000: [3] (the zero digit after it is dropped), weight 0.
        XCTAssertEqual(field { $0.numeric(Money("3")!) }, [0, 0, 0, 10, 0, 1, 0, 0, 0, 0, 0, 4, 0, 3])
    }

    /// A CDR's uuid goes in as its text, written from the key's halves for a canonical one: the same bytes.
    func testACDRKeyIsWrittenAsItsText() {
        for uuid in ["a1f0c001-0000-4000-8000-00000000000f", "ffffffff-ffff-ffff-ffff-ffffffffffff", "Not-A-UUID", "line-sha256:ab"] {
            XCTAssertEqual(field { $0.text(CDRKey(uuid)) }, [0, 0, 0, UInt8(uuid.utf8.count)] + Array(uuid.utf8), uuid)
        }
    }

    func testTimestampUUIDIntegersNullAndRows() {
        // 2000-01-01 00:00:01 UTC is 1,000,000 microseconds after PostgreSQL's epoch.
        XCTAssertEqual(field { $0.timestamptz(946_684_801) }, [0, 0, 0, 8, 0, 0, 0, 0, 0, 0x0F, 0x42, 0x40])
        XCTAssertEqual(field { $0.uuid("00000000-0000-0000-0000-0000000000FF") }, [0, 0, 0, 16] + Array(repeating: 0, count: 15) + [0xFF])
        XCTAssertEqual(field { $0.int4(-2) }, [0, 0, 0, 4, 0xFF, 0xFF, 0xFF, 0xFE])
        XCTAssertEqual(field { $0.text(nil) }, [0xFF, 0xFF, 0xFF, 0xFF])
        // A row: its field count first; an open field gets its length when closed.
        XCTAssertEqual(field {
            $0.beginRow()
            $0.text("ab")
            $0.openField()
            $0.append([1])
            $0.appendJSONString("q\"\\")
            $0.closeField()
            $0.endRow()
        }, [0, 2, 0, 0, 0, 2, 0x61, 0x62, 0, 0, 0, 8, 1, 0x22, 0x71, 0x5C, 0x22, 0x5C, 0x5C, 0x22])
    }
}
