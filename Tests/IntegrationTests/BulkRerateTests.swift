import Foundation
import XCTest

/// Issue 17 item 1, against a real PostgreSQL: a rerate that changes a large
/// share of a month rewrites the month (a fresh table, indexed after the load,
/// swapped in place of the partition) and gives exactly what the UPDATE path
/// gives; killed anywhere in the rewrite, it leaves nothing, and a rerun is clean.
final class BulkRerateTests: XCTestCase {
    let october = ["rerate", "--from", "2024-10-01", "--to", "2024-12-01"]
    /// A tariff change, a DID assigned since (the unmatched call from +918041000077 is matched anew)
    /// and fewer included minutes for Professional (the periods from the 15th run into November).
    let change = """
        UPDATE rate_plans SET overage_rate_per_minute = 0.75, included_minutes = 450 WHERE name = 'Starter';
        UPDATE rate_plans SET included_minutes = included_minutes - 300 WHERE name = 'Professional';
        INSERT INTO dids (subscription_id, did_number, country, country_code, did_type, status, monthly_rate, assigned_at)
        SELECT id, '+918041000077', 'IN', '+91', 'local', 'assigned', 99.00, start_date FROM subscriptions WHERE subscription_number = 'SUB-10001';
        """

    /// October's calls and some of early November (SUB-10002's periods from the 15th cross the month).
    func callsFile(_ dir: URL) throws -> URL {
        let november = (0 ..< 12).map { i in
            CorrectOverTimeTests.line("nov-\(i)", destination: "+14155550100", account: "ACC-10002",
                                      start: String(format: "2024-11-%02d 10:%02d:00", 1 + i, i), billsec: 3000 + 60 * i)
        }
        let file = dir.appendingPathComponent("calls.csv")
        try ((CorrectOverTimeTests.octoberCalls() + november).joined(separator: "\n") + "\n").write(to: file, atomically: true, encoding: .utf8)
        return file
    }

    func rated(_ file: URL, _ dir: URL) throws -> TestDatabase {
        let db = try TestDatabase()
        try db.prepare()
        try CLI.expect(0, ["rate", "--rejects-dir", dir.path, file.path], db: db)
        try db.connect().execute(script: change)
        return db
    }

    /// Everything a rerate writes, without generated ids and times: the calls (every column but id,
    /// created_at and updated_at), usage rows, balances, and the cost history.
    func everything(_ db: TestDatabase) throws -> String {
        try [
            db.ratingSnapshot(),
            db.dump("""
                SELECT c.uuid, a.account_number, c.retry_count, c.raw_cdr, c.metadata FROM cdrs c LEFT JOIN accounts a ON a.id = c.account_id ORDER BY 1
                """),
            db.dump("""
                SELECT h.cdr_uuid, h.call_start_time, h.old_cost, h.new_cost, o.subscription_number, n.subscription_number,
                       h.old_included_minutes, h.new_included_minutes, h.old_overage_minutes, h.new_overage_minutes, h.reason,
                       h.cdr_file_id IS NULL, h.rerate_run_id = r.id
                FROM cdr_cost_history h LEFT JOIN subscriptions o ON o.id = h.old_subscription_id
                LEFT JOIN subscriptions n ON n.id = h.new_subscription_id LEFT JOIN rerate_runs r ON r.id = h.rerate_run_id
                ORDER BY 1
                """),
            db.dump("SELECT selection, calls_examined, calls_rematched, calls_repriced, periods, cost_before, cost_after, cost_delta FROM rerate_runs"),
        ].joined(separator: "\n---\n")
    }

    /// The month's partition as a reader of the catalog sees it: indexes and constraints (names without
    /// the month), triggers, privileges, and that it is attached.
    func shape(_ db: TestDatabase, _ table: String) throws -> String {
        try db.dump("""
            SELECT 'index', regexp_replace(pg_get_indexdef(indexrelid), 'INDEX \\S+ ON \\S+', 'INDEX ON M') FROM pg_index WHERE indrelid = '\(table)'::regclass
            UNION ALL SELECT 'constraint', contype::text || ' ' || pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = '\(table)'::regclass
            UNION ALL SELECT 'trigger', tgname FROM pg_trigger WHERE tgrelid = '\(table)'::regclass AND NOT tgisinternal
            UNION ALL SELECT 'acl', coalesce(relacl::text, '') FROM pg_class WHERE oid = '\(table)'::regclass
            UNION ALL SELECT 'attached', count(*)::text FROM pg_inherits WHERE inhrelid = '\(table)'::regclass AND inhparent = 'cdrs'::regclass
            ORDER BY 1, 2
            """)
    }

    func oid(_ db: TestDatabase, _ table: String) throws -> String? { try db.scalar("SELECT '\(table)'::regclass::oid") }

    func testARewrittenMonthEqualsAnUpdatedOne() throws {
        let dir = try scratchFolder(self)
        let file = try callsFile(dir)
        let bulk = try rated(file, dir), update = try rated(file, dir), staged = try rated(file, dir)
        let ids = "SELECT uuid, id, created_at FROM cdrs ORDER BY 1"
        let (bulkIds, octoberOid, novemberOid) = (try bulk.dump(ids), try oid(bulk, "cdrs_2024_10"), try oid(bulk, "cdrs_2024_11"))
        let updateShape = (try shape(update, "cdrs_2024_10"), try shape(update, "cdrs_2024_11"))

        // Every month that changed is rewritten (share 0); UPDATE batch by batch; UPDATE from the staged changes (share 1).
        let r = try CLI.expect(0, october + ["--rewrite-share", "0"], db: bulk)
        XCTAssertTrue(r.stderr.contains("2024-10:") && r.stderr.contains("the month is written anew"), r.stderr)
        try CLI.expect(0, october + ["--no-rewrite"], db: update)
        let s = try CLI.expect(0, october + ["--rewrite-share", "1"], db: staged)
        XCTAssertTrue(s.stderr.contains("updated in place") && !s.stderr.contains("written anew"), s.stderr)
        for db in [bulk, update, staged] {
            try db.assertMoneyEqualities()
            try CLI.expect(0, ["check"], db: db)
        }
        XCTAssertGreaterThan(Int(try bulk.scalar("SELECT calls_repriced FROM rerate_runs") ?? "0")!, 20)
        XCTAssertEqual(try bulk.scalar("SELECT calls_rematched FROM rerate_runs"), "1")
        XCTAssertEqual(try everything(bulk), try everything(update))
        XCTAssertEqual(try everything(staged), try everything(update))

        // October is a new table under the old names, shaped as before, with the calls' ids and creation times.
        XCTAssertNotEqual(try oid(bulk, "cdrs_2024_10"), octoberOid)
        // November's calls did not change: it is not rewritten.
        XCTAssertEqual(try oid(bulk, "cdrs_2024_11"), novemberOid)
        XCTAssertEqual(try shape(bulk, "cdrs_2024_10"), updateShape.0)
        XCTAssertEqual(try shape(bulk, "cdrs_2024_11"), updateShape.1)
        XCTAssertEqual(try bulk.dump(ids), bulkIds)
        XCTAssertEqual(try bulk.scalar("SELECT count(*) FROM pg_class WHERE relname LIKE 'cdrs%rewrite%'"), "0")
        XCTAssertEqual(try bulk.dump("""
            SELECT DISTINCT left(c.relname, 12) FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid
            WHERE x.indrelid IN ('cdrs_2024_10'::regclass, 'cdrs_2024_11'::regclass) ORDER BY 1
            """), "cdrs_2024_10\ncdrs_2024_11")

        // A second rerate changes nothing, and rewrites nothing.
        let snapshot = try everything(bulk), month = try oid(bulk, "cdrs_2024_10")
        let again = try CLI.expect(0, october + ["--rewrite-share", "0", "--format", "json"], db: bulk)
        XCTAssertTrue(again.stdout.contains("\"calls_repriced\" : 0"), again.stdout)
        XCTAssertEqual(try oid(bulk, "cdrs_2024_10"), month)
        XCTAssertEqual(try bulk.dump("SELECT count(*) FROM cdr_cost_history"), try update.dump("SELECT count(*) FROM cdr_cost_history"))
        XCTAssertEqual(try bulk.ratingSnapshot(), try update.ratingSnapshot())
        XCTAssertEqual(try everything(bulk).split(separator: "\n---\n").prefix(3), snapshot.split(separator: "\n---\n").prefix(3))

        // The uuid registry holds for the new month: the same file again is all duplicates.
        let dup = try CLI.expect(0, ["rate", "--rejects-dir", dir.path, file.path], db: bulk)
        XCTAssertEqual(try bulk.scalar("SELECT count(*) FROM cdrs"), try update.scalar("SELECT count(*) FROM cdrs"), dup.stderr)
        XCTAssertEqual(try bulk.scalar("SELECT count(*) FROM cdr_uuids"), try bulk.scalar("SELECT count(*) FROM cdrs"))
        try CLI.expect(0, ["check"], db: bulk)
    }

    /// The demo deck (`Seeds/demo-tariff`), with every rate raised by `raise`.
    func demoDeck(raise: Double, in dir: URL) throws -> (deck: String, bands: String) {
        let seeds = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Seeds/demo-tariff")
        let lines = try String(contentsOf: seeds.appendingPathComponent("india-saver.csv"), encoding: .utf8).split(separator: "\n")
        let rate = lines[0].split(separator: ",", omittingEmptySubsequences: false).firstIndex(of: "rate")!
        let raised = [String(lines[0])] + lines.dropFirst().map { line -> String in
            var f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            f[rate] = String(format: "%.2f", Double(f[rate])! + raise)
            return f.joined(separator: ",")
        }
        let deck = dir.appendingPathComponent("deck-\(raise).csv")
        try (raised.joined(separator: "\n") + "\n").write(to: deck, atomically: true, encoding: .utf8)
        return (deck.path, seeds.appendingPathComponent("bands.csv").path)
    }

    /// The month's plans priced by the demo deck from September, the calls rated, then a new version from October:
    /// what `scripts/bench-over-time` re-rates. Every re-priced call is matched anew (its price differs now).
    func ratedUnderATariff(_ file: URL, _ dir: URL) throws -> TestDatabase {
        let db = try TestDatabase()
        try db.prepare()
        let plans = ["Starter", "Professional", "Call Center"].flatMap { ["--plan", $0] }
        let first = try demoDeck(raise: 0, in: dir), second = try demoDeck(raise: 0.05, in: dir)
        try CLI.expect(0, ["tariffs", "import", first.deck, "--tariff", "BENCH", "--effective", "2024-09-01", "--bands", first.bands] + plans, db: db)
        try CLI.expect(0, ["rate", "--rejects-dir", dir.path, file.path], db: db)
        let r = try CLI.expect(0, ["tariffs", "import", second.deck, "--tariff", "BENCH", "--effective", "2024-10-01", "--bands", second.bands], db: db)
        XCTAssertTrue(r.stdout.contains("cdr-rater rerate --from"), r.stdout)
        return db
    }

    func testAMonthRewrittenAfterATariffVersionEqualsAnUpdatedOne() throws {
        let dir = try scratchFolder(self)
        let file = try callsFile(dir)
        let bulk = try ratedUnderATariff(file, dir), update = try ratedUnderATariff(file, dir), killed = try ratedUnderATariff(file, dir)
        let octoberOid = try oid(bulk, "cdrs_2024_10")
        let r = try CLI.expect(0, october + ["--rewrite-share", "0"], db: bulk)
        XCTAssertTrue(r.stderr.contains("2024-10:") && r.stderr.contains("the month is written anew"), r.stderr)
        XCTAssertNotEqual(try oid(bulk, "cdrs_2024_10"), octoberOid)
        try CLI.expect(0, october + ["--no-rewrite"], db: update)
        // Killed once the indexes are built, then run again.
        let k = try CLI.run(october + ["--rewrite-share", "0"], db: killed, environment: ["CDR_RATER_FAIL_POINT": "rerate:rewrite-built"])
        XCTAssertNotEqual(k.status, 0, k.stderr)
        XCTAssertEqual(try killed.scalar("SELECT count(*) FROM rerate_runs"), "0")
        try CLI.expect(0, october + ["--rewrite-share", "0"], db: killed)
        for db in [bulk, update, killed] {
            try db.assertMoneyEqualities()
            try CLI.expect(0, ["check"], db: db)
        }
        XCTAssertGreaterThan(Int(try bulk.scalar("SELECT calls_repriced FROM rerate_runs") ?? "0")!, 20)
        XCTAssertGreaterThan(Int(try bulk.scalar("SELECT count(*) FROM cdr_cost_history") ?? "0")!, 20)
        XCTAssertEqual(try everything(bulk), try everything(update))
        XCTAssertEqual(try everything(killed), try everything(update))
        XCTAssertEqual(try shape(bulk, "cdrs_2024_10"), try shape(update, "cdrs_2024_10"))
    }

    func testAKilledRewriteLeavesNothingAndARerunIsClean() throws {
        let dir = try scratchFolder(self)
        let file = try callsFile(dir)
        let clean = try rated(file, dir)
        try CLI.expect(0, october + ["--no-rewrite"], db: clean)
        for point in ["rerate:rewrite-loaded", "rerate:rewrite-built", "rerate:rewrite-swapped"] {
            let killed = try rated(file, dir)
            let before = try everything(killed), month = try oid(killed, "cdrs_2024_10")
            let r = try CLI.run(october + ["--rewrite-share", "0"], db: killed, environment: ["CDR_RATER_FAIL_POINT": point])
            XCTAssertEqual(r.status, SIGKILL, "\(point): died by the fail point\n\(r.stderr)")
            XCTAssertTrue(try waitUntil { try killed.scalar("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'cdr-rater' AND pid <> pg_backend_pid()") == "0" })
            XCTAssertEqual(try everything(killed), before, point)
            XCTAssertEqual(try oid(killed, "cdrs_2024_10"), month, point)
            XCTAssertEqual(try killed.dump("""
                SELECT (SELECT count(*) FROM rerate_runs), (SELECT count(*) FROM cdr_cost_history), (SELECT count(*) FROM pg_class WHERE relname LIKE 'cdrs%rewrite%')
                """), "0|0|0", point)
            try killed.assertMoneyEqualities()
            try CLI.expect(0, ["check"], db: killed)

            try CLI.expect(0, october + ["--rewrite-share", "0"], db: killed)
            try killed.assertMoneyEqualities()
            try CLI.expect(0, ["check"], db: killed)
            XCTAssertNotEqual(try oid(killed, "cdrs_2024_10"), month, point)
            XCTAssertEqual(try everything(killed), try everything(clean), point)
        }
    }

    /// A nightly role that owns nothing rewrites a month too; the month stays the owner's, keeps what the
    /// role was granted, and what a reporting role was granted on the month itself.
    func testANightlyRoleRewritesAMonthAndTheGrantsStay() throws {
        let dir = try scratchFolder(self)
        let db = try rated(try callsFile(dir), dir)
        let nightly = try TestRole(self, db: db), reader = try TestRole(self, db: db)
        try CLI.expect(0, ["grants", "--role", nightly.name, "--apply"], db: db)
        try db.connect().execute(script: "GRANT SELECT ON cdrs_2024_10 TO \"\(reader.name)\"")
        let privileges = """
            SELECT has_table_privilege('\(nightly.name)', 'cdrs_2024_10', 'SELECT, INSERT, UPDATE'),
                   has_table_privilege('\(reader.name)', 'cdrs_2024_10', 'SELECT'), has_table_privilege('\(reader.name)', 'cdrs_2024_10', 'UPDATE'),
                   pg_get_userbyid(relowner) FROM pg_class WHERE oid = 'cdrs_2024_10'::regclass
            """
        let before = try db.dump(privileges), month = try oid(db, "cdrs_2024_10")
        XCTAssertEqual(before, "t|t|f|cdr_rater")
        let r = try CLI.run(october + ["--rewrite-share", "0"], db: nil, environment: ["DATABASE_URL": nightly.url])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("the month is written anew"), r.stderr)
        XCTAssertNotEqual(try oid(db, "cdrs_2024_10"), month)
        XCTAssertEqual(try db.dump(privileges), before)
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM pg_class WHERE relowner = (SELECT oid FROM pg_roles WHERE rolname = '\(nightly.name)')"), "0")
        try db.assertMoneyEqualities()
        let check = try CLI.run(["check"], db: nil, environment: ["DATABASE_URL": nightly.url])
        XCTAssertEqual(check.status, 0, check.stderr)
    }
}
