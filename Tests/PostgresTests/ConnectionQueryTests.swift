import Foundation
import Postgres
import XCTest

/// `execute` with interpolated parameters and typed rows, against the test server (scripts/test).
final class ConnectionQueryTests: XCTestCase {
    var db: Connection!

    override func setUpWithError() throws {
        let env = ProcessInfo.processInfo.environment
        guard let url = env["CDR_RATER_TEST_ADMIN_URL"], !url.isEmpty else {
            if env["CDR_RATER_TEST_REQUIRE_DB"] == "1" { XCTFail("CDR_RATER_TEST_ADMIN_URL is not set") }
            throw XCTSkip("no test PostgreSQL: run scripts/test")
        }
        db = try Connection(connectionString: url)
    }

    /// XCTest keeps every test case object until the run ends: an open
    /// connection would stay in pg_stat_activity, where other tests look for
    /// cdr-rater sessions.
    override func tearDown() {
        db?.close()
        db = nil
    }

    func testValuesGoAsParametersAndRowsComeBackTyped() throws {
        let name = "it's; DROP TABLE x", lines = 12, none: Int64? = nil
        let rows = try db.execute("""
            SELECT \(name)::text, \(lines)::int + 1, \(none)::bigint, \(true)::boolean
            UNION ALL SELECT 'b', 2, 3, false ORDER BY 2 DESC
            """).decode((String, Int, Int64?, Bool).self)
        XCTAssertEqual(rows.count, 2)
        XCTAssertEqual(rows[0].0, name, "the quote and semicolon came through as data")
        XCTAssertEqual(rows[0].1, 13)
        XCTAssertNil(rows[0].2)
        XCTAssertTrue(rows[0].3)
        XCTAssertEqual(rows[1].2, 3)
    }

    func testATextArrayParameter() throws {
        let n = try db.execute("SELECT cardinality(\(["a", "b\"c", "d\\e"])::text[])").decodeFirst(Int.self)
        XCTAssertEqual(n, 3)
    }

    func testNoRowIsNilAndAWrongTypeNamesTheColumn() throws {
        XCTAssertNil(try db.execute("SELECT 1 WHERE false").decodeFirst(Int.self))
        XCTAssertThrowsError(try db.execute("SELECT 'x' AS word").decodeFirst(Int.self)) {
            XCTAssertEqual(($0 as? PostgresError)?.column, "word")
        }
    }

    func testAScalarIsNilForNoRowAndForNull() throws {
        XCTAssertEqual(try db.execute("SELECT \(41) + 1, 'more'").scalar(Int.self), 42)
        XCTAssertNil(try db.execute("SELECT 1 WHERE false").scalar(Int.self))
        XCTAssertNil(try db.execute("SELECT NULL::int").scalar(Int.self))
    }

    func testTheOldTextParametersStillWork() throws {
        XCTAssertEqual(try db.query("SELECT $1::int * 2", ["21"]).scalar, "42")
    }
}
