import Postgres
import XCTest

/// Columns decoded by type, and the errors that name them.
final class PostgresRowTests: XCTestCase {
    let row = PostgresRow(columns: ["name", "lines", "cost", "ended", "ok"], cells: ["a.csv", "12", nil, "1700000000", "t"])

    func testDecodesEachColumnByType() throws {
        let (name, lines, cost, ended, ok) = try row.decode((String, Int, String?, Int64, Bool).self)
        XCTAssertEqual(name, "a.csv")
        XCTAssertEqual(lines, 12)
        XCTAssertNil(cost)
        XCTAssertEqual(ended, 1_700_000_000)
        XCTAssertTrue(ok)
    }

    func testOneColumn() throws {
        XCTAssertEqual(try PostgresRow(columns: ["n"], cells: ["7"]).decode(Int.self), 7)
    }

    func testNullWhereNoneIsAllowedNamesTheColumn() {
        XCTAssertThrowsError(try row.decode((String, Int, String, Int64, Bool).self)) { error in
            let e = error as? PostgresError
            XCTAssertEqual(e?.kind, .decoding)
            XCTAssertEqual(e?.column, "cost")
            XCTAssertEqual(e?.message, "column 3 (cost) cannot be decoded as String: it is NULL")
        }
    }

    func testTextOfAnotherTypeNamesTheColumn() {
        XCTAssertThrowsError(try row.decode((Int, Int, String?, Int64, Bool).self)) { error in
            XCTAssertEqual((error as? PostgresError)?.message, "column 1 (name) cannot be decoded as Int: its text is not one")
        }
    }

    func testTheColumnCountMustMatch() {
        XCTAssertThrowsError(try row.decode((String, Int).self)) {
            XCTAssertEqual(($0 as? PostgresError)?.message, "the row has 5 column(s); 2 were decoded")
        }
        XCTAssertThrowsError(try PostgresRow(columns: ["n"], cells: ["7"]).decode((Int, Int).self)) {
            XCTAssertEqual(($0 as? PostgresError)?.kind, .decoding)
        }
    }
}
