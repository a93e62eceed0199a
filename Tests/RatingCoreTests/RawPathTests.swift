import Foundation
import XCTest
@testable import RatingRules
@testable import CDRIngest

/// File names as bytes, and how they are shown (`escapedName`).
final class RawPathTests: XCTestCase {
    func testControlCharactersAndBytesThatAreNotUTF8AreEscaped() {
        XCTAssertEqual(escapedName(Array("caf".utf8) + [0xE9] + Array(".csv".utf8)), "caf\\xe9.csv")
        XCTAssertEqual(escapedName("a\nb\r\tc\u{1B}[0m\u{7F}".utf8), "a\\x0ab\\x0d\\x09c\\x1b[0m\\x7f")
        XCTAssertEqual(escapedName("\u{9B}31m \u{202E}gpj.exe \u{2028}".utf8), "\\u{009b}31m \\u{202e}gpj.exe \\u{2028}")
        XCTAssertEqual(escapedName([0xE2, 0x82]), "\\xe2\\x82", "a sequence cut short")
        XCTAssertEqual(escapedName("2024-10-03 Dürer 東京 ☎.csv".utf8), "2024-10-03 Dürer 東京 ☎.csv", "text is text")
    }

    func testEscapingTwiceChangesNothing() {
        let once = escapedName([0x1B, 0xFF, 0x0A] + Array("\\x1b".utf8))
        XCTAssertEqual(escapedName(once.utf8), once)
    }

    func testStandardizedPathsCompareEqual() {
        let cwd = FileManager.default.currentDirectoryPath
        XCTAssertEqual(RawPath("./a//b/../c.csv").standardized, RawPath(cwd + "/a/c.csv").standardized)
        XCTAssertEqual(RawPath("/x/./y/").standardized.bytes, Array("/x/y".utf8))
        XCTAssertEqual(RawPath("/").standardized.bytes, Array("/".utf8))
        XCTAssertEqual(RawPath(bytes: Array("/in/caf".utf8) + [0xE9]).name, "caf\\xe9")
    }
}
