import Foundation
import XCTest

/// Operations (SPEC sections 5 and 6): configuration errors that read well.
final class OperationsTests: XCTestCase {
    func testPasswordsWithSpecialCharactersNeverShow() throws {
        let password = "Summer/2024%off@x:y?z#w 9"
        let fragments = ["Summer", "2024", "%off", "off@", "y?z", "z#w", "w 9"]
        let samples = CLI.projectRoot.appendingPathComponent("samples").path
        let cases: [(String, [String], [String: String])] = [
            ("the issue's URL", ["migrate", "status"], ["DATABASE_URL": "postgresql://u:Summer/2024%off@/db"]),
            ("an unencoded URL", ["migrate", "status"], ["DATABASE_URL": "postgresql://u:\(password)@127.0.0.1:1/db"]),
            ("--database-url", ["rate", "--dry-run", samples, "--database-url", "postgresql://u:\(password)@127.0.0.1:1/db"], [:]),
            ("an encoded URL", ["migrate", "status"],
             ["DATABASE_URL": "postgresql://u:\(password.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)@127.0.0.1:1/db"]),
            ("key=value, quoted", ["migrate", "status"], ["DATABASE_URL": "host=127.0.0.1 port=1 user=u password='\(password)' dbname=db"]),
            ("key=value, unquoted", ["migrate", "status"], ["DATABASE_URL": "host=127.0.0.1 port=1 user=u password=\(password) dbname=db"]),
            ("PGPASSWORD", ["migrate", "status"], ["PGPASSWORD": password, "PGHOST": "127.0.0.1", "PGPORT": "1", "PGUSER": "u"]),
        ]
        for (name, args, environment) in cases {
            let r = try CLI.run(args, db: nil, environment: environment)
            XCTAssertNotEqual(r.status, 0, name)
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, "\(name): one line\n\(r.stderr)")
            for f in fragments {
                XCTAssertFalse(r.stderr.contains(f) || r.stdout.contains(f), "\(name): '\(f)' shows in\n\(r.stderr)\(r.stdout)")
            }
        }
        let unparsable = try CLI.run(["migrate"], db: nil, environment: ["DATABASE_URL": "postgresql://u:Summer/2024%off@/db"])
        XCTAssertEqual(unparsable.status, 2)
        XCTAssertTrue(unparsable.stderr.contains("percent-encode @ / % : ? # and spaces"), unparsable.stderr)
    }

    func testZoneAbbreviationsAreRefused() throws {
        let samples = CLI.projectRoot.appendingPathComponent("samples").path
        for zone in ["BST", "IST"] {
            let r = try CLI.expect(2, ["rate", "--dry-run", "--timezone", zone, samples], db: nil)
            XCTAssertTrue(r.stderr.contains("unknown time zone '\(zone)': use an IANA name"), r.stderr)
        }
    }

    // MARK: the ledger

    func testTruncatedGzipStaysPendingUntilTheCompleteFileIsRated() throws {
        let db = try TestDatabase()
        try db.prepare()
        let dir = try scratchFolder(self)
        let lines = (1 ... 400).map { i in
            CorrectOverTimeTests.line("pending-\(i)", start: "2024-10-05 10:00:00", billsec: 30)
        }.joined(separator: "\n") + "\n"
        let complete = try gzip(lines)
        let file = dir.appendingPathComponent("night.csv.gz")
        try complete.prefix(complete.count * 2 / 3).write(to: file)
        let first = try CLI.expect(1, ["rate", "--rejects-dir", dir.path, file.path], db: db)
        XCTAssertTrue(first.stderr.contains("PARTIAL"), first.stderr)
        // The next night the same truncated file is still there: not green.
        let second = try CLI.expect(1, ["rate", "--rejects-dir", dir.path, file.path], db: db)
        XCTAssertTrue(second.stderr.contains("night.csv.gz: STILL INCOMPLETE"), second.stderr)
        XCTAssertTrue(second.stdout.contains("1 still incomplete"), second.stdout)
        let partial = try CLI.expect(0, ["files", "--status", "partial", "--format", "csv"], db: db)
        XCTAssertEqual(partial.stdout.split(separator: "\n").count, 2, partial.stdout)
        XCTAssertTrue(partial.stdout.contains(",partial,night.csv.gz,"), partial.stdout)
        // The complete file arrives in its place.
        try complete.write(to: file)
        try CLI.expect(0, ["rate", "--rejects-dir", dir.path, file.path], db: db)
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM cdrs"), "400")
        try CLI.expect(0, ["rate", "--rejects-dir", dir.path, file.path], db: db)
        XCTAssertEqual(try db.dump("SELECT status FROM cdr_files ORDER BY finished_at"), "partial\nrated")
    }

    func testAFailedFileIsInTheLedgerAndRatedOnTheNextRun() throws {
        let db = try TestDatabase()
        try db.prepare()
        let dir = try scratchFolder(self)
        let file = dir.appendingPathComponent("calls.csv")
        try (CorrectOverTimeTests.line("f1", start: "2024-10-05 10:00:00", billsec: 90) + "\n").write(to: file, atomically: true, encoding: .utf8)
        let r = try CLI.expect(1, ["rate", "--rejects-dir", dir.path, file.path], db: db,
                               environment: ["CDR_RATER_FAIL_POINT": "rate:before-commit"])
        XCTAssertTrue(r.stderr.contains("calls.csv: FAILED: stopped at fail point"), r.stderr)
        XCTAssertEqual(try db.dump("SELECT status, lines, error LIKE '%nothing from this file was stored' FROM cdr_files"), "failed|0|t")
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM cdrs"), "0")
        let failed = try CLI.expect(0, ["files", "--status", "failed"], db: db)
        XCTAssertTrue(failed.stdout.contains("failed  calls.csv"), failed.stdout)

        try CLI.expect(0, ["rate", "--rejects-dir", dir.path, file.path], db: db)
        XCTAssertEqual(try db.dump("SELECT status, lines, stored, error IS NULL FROM cdr_files"), "rated|1|1|t")
        XCTAssertTrue(try CLI.expect(0, ["files", "--status", "failed"], db: db).stdout.contains("(no files)"))
        try CLI.expect(2, ["files", "--since", "yesterday"], db: db)
    }

    func testLedgerTimesCoverTheRating() throws {
        let db = try TestDatabase()
        try db.prepare()
        let dir = try scratchFolder(self)
        try CLI.expect(0, ["rate", "--rejects-dir", dir.path, CLI.projectRoot.appendingPathComponent("samples").path], db: db)
        // created_at of a file's rows is its transaction's start: the ledger's times are around it,
        // finished_at at the end of the work, not the transaction's start.
        XCTAssertEqual(try db.dump("""
            SELECT f.file_name, f.started_at < min(c.created_at), f.finished_at > max(c.created_at)
            FROM cdr_files f JOIN cdrs c ON c.metadata->>'source' = f.file_name GROUP BY f.file_name, f.started_at, f.finished_at ORDER BY 1
            """), "2024-10-03-freeswitch.csv.gz|t|t\n2024-10-04-asterisk-Master.csv.gz|t|t")
    }

    func testVersion() throws {
        let r = try CLI.expect(0, ["--version"], db: nil)
        XCTAssertTrue(r.stdout.hasPrefix("cdr-rater "), r.stdout)
    }
}
