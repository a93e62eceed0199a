import Postgres
import XCTest

/// Interpolated values become parameters, never SQL text.
final class PostgresQueryTests: XCTestCase {
    func testValuesBecomeNumberedParameters() {
        let id: Int64 = 42, name = "a'b.csv", gone: String? = nil
        let q: PostgresQuery = "UPDATE cdr_files SET file_name = \(name), error = \(gone) WHERE id = \(id) AND stored > \(3)"
        XCTAssertEqual(q.sql, "UPDATE cdr_files SET file_name = $1, error = $2 WHERE id = $3 AND stored > $4")
        XCTAssertEqual(q.binds, ["a'b.csv", nil, "42", "3"])
    }

    func testUnescapedTextIsSQL() {
        let zone = "coalesce(x, 'UTC')"
        let q: PostgresQuery = "SELECT \(unescaped: zone), \(true), \(1.5)"
        XCTAssertEqual(q.sql, "SELECT coalesce(x, 'UTC'), $1, $2")
        XCTAssertEqual(q.binds, ["true", "1.5"])
    }

    func testAPlainLiteralHasNoParameters() {
        let q: PostgresQuery = "SELECT 1"
        XCTAssertEqual(q, PostgresQuery(unsafeSQL: "SELECT 1"))
    }

    func testATextArrayIsOneLiteral() {
        let q: PostgresQuery = "SELECT \(["cdrs_2024_01", "a\"b\\c"])::text[]"
        XCTAssertEqual(q.binds, [#"{"cdrs_2024_01","a\"b\\c"}"#])
    }
}
