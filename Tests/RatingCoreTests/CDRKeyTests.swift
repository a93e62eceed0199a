import XCTest
@testable import RatingRules

final class CDRKeyTests: XCTestCase {
    func testCanonicalLowercaseUUIDIsPackedAndReadsBack() {
        let text = "a1f0c001-0000-4000-8000-00000000000f"
        guard case .uuid(let hi, let lo) = CDRKey(text) else { return XCTFail("not packed") }
        XCTAssertEqual(hi, 0xa1f0c001_0000_4000)
        XCTAssertEqual(lo, 0x8000_0000_0000_000f)
        XCTAssertEqual(CDRKey(text).text, text)
    }

    func testAnythingElseStaysText() {
        for s in ["A1F0C001-0000-4000-8000-00000000000F", "1728016200.1", "line-sha256:abc", "", "a1f0c001x0000-4000-8000-00000000000f"] {
            XCTAssertEqual(CDRKey(s), .text(s), s)
            XCTAssertEqual(CDRKey(s).text, s)
        }
    }

    /// The order of keys is the byte order of their texts, packed or not ('9' < 'A' < 'a' in ASCII).
    func testOrderIsTheByteOrderOfTheText() {
        var texts = (0 ..< 300).map { _ in UUID().uuidString.lowercased() }
        texts += ["A1F0C001-0000-4000-8000-00000000000F", "1728016200.1", "zzz", "a", "b1f0c001-0000-4000-8000-00000000000"]
        let byKey = texts.sorted { CDRKey($0) < CDRKey($1) }
        let byBytes = texts.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        XCTAssertEqual(byKey, byBytes)
    }

    /// PostgreSQL compares bytes: two spellings of "é" are two uuids.
    func testCanonicallyEquivalentTextsAreDifferentKeys() {
        let composed = CDRKey("caf\u{E9}-1"), decomposed = CDRKey("cafe\u{301}-1")
        XCTAssertNotEqual(composed, decomposed)
        XCTAssertEqual(Set([composed, decomposed]).count, 2)
    }
}
