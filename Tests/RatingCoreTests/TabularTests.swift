import Foundation
import XCTest
@testable import Reports

final class TabularTests: XCTestCase {
    let sample = Tabular(columns: ["name", "n", "note"], rows: [["a, b", "12", "say \"hi\""], ["c", "3", ""], ["line\nbreak", "456", "x"]])

    func testCSVQuotesOnlyTheCellsThatNeedIt() {
        XCTAssertEqual(sample.csv(), "name,n,note\n\"a, b\",12,\"say \"\"hi\"\"\"\nc,3,\n\"line\nbreak\",456,x\n")
        XCTAssertEqual(Tabular.csvCell("cr\rhere"), "\"cr\rhere\"")
    }

    func testTableAlignsAndLeavesNoTrailingSpace() {
        let t = Tabular(columns: ["name", "n", "note"], rows: [["ab", "12", ""], ["c", "3", "x"]])
        XCTAssertEqual(t.tableLines(alignment: { $0 == 1 ? .right : .left }), ["name   n  note", "ab    12", "c      3  x"])
        XCTAssertEqual(t.tableLines(separator: " ", minimumWidths: [5]), ["name  n  note", "ab    12", "c     3  x"])
    }

    /// `partitions list` printed fixed widths, one space apart; with them as minimums the lines are the same.
    func testFixedWidthListingIsAsBefore() {
        let rows = [["2024-10", "cdrs_2024_10", "2024-10-01", "2024-11-01", "1234", "attached"],
                    ["2024-11", "cdrs_2024_11", "", "", "-", "archived (detached)"]]
        let before = ["month    table          from        to          rows (estimate)  state"] + rows.map { r in
            zip(r, [8, 14, 11, 11, 16]).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: " ") + " " + r[5]
        }
        let t = Tabular(columns: ["month", "table", "from", "to", "rows (estimate)", "state"], rows: rows)
        XCTAssertEqual(t.tableLines(separator: " ", minimumWidths: [8, 14, 11, 11, 16]), before)
    }

    func testJSONIsAnArrayOfObjectsByColumn() {
        XCTAssertEqual(Tabular(columns: ["b", "a"], rows: [["1", "x/y"]]).json(), "[\n  {\n    \"a\" : \"x\\/y\",\n    \"b\" : \"1\"\n  }\n]\n")
        XCTAssertEqual(Tabular(columns: ["a"], rows: []).json(), "[\n\n]\n")
    }

    /// The reports' JSON was JSONSerialization's: the writer must give the same bytes.
    func testJSONValueWritesAsJSONSerializationDoes() throws {
        let tricky = "x/y \"q\" \\ \n \r \t \u{08} \u{0C} \u{01} \u{1F} \u{7F} é 😀 \u{2028} \u{FEFF}"
        let keys = ["B", "a", "_", "é", "Z1", "z", "aa", "a_b", "a-b", "a10", "a9", "A2", "period_start", "periods", "sha256", "s_a"]
        let value: JSONValue = [
            "s": .string(tricky), "n": -3, "big": .int(Int.max), "t": true, "f": false, "null": .null,
            "empty_array": [], "empty_object": [:], "nested": [["a": 1], ["b": ["c": [], "d": [:]]], "x"],
            "keys": .object(Dictionary(uniqueKeysWithValues: keys.map { ($0, JSONValue.int($0.count)) })),
        ]
        let foundation: Any = [
            "s": tricky, "n": -3, "big": Int.max, "t": true, "f": false, "null": NSNull(),
            "empty_array": [Any](), "empty_object": [String: Any](),
            "nested": [["a": 1], ["b": ["c": [Any](), "d": [String: Any]()]], "x"] as [Any],
            "keys": Dictionary(uniqueKeysWithValues: keys.map { ($0, $0.count) }),
        ] as [String: Any]
        let pairs: [(JSONValue, Any)] = [(value, foundation), ([], [Any]()), ([[:]], [[String: Any]()])]
        for (mine, theirs) in pairs {
            let data = try JSONSerialization.data(withJSONObject: theirs, options: [.prettyPrinted, .sortedKeys])
            XCTAssertEqual(mine.prettyPrinted, String(decoding: data, as: UTF8.self))
        }
    }
}
