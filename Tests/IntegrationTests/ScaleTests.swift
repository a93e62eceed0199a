import Billing
import Foundation
import XCTest

/// SPEC section 7 against a real PostgreSQL: several raters on one inbox and
/// database at once store what one serial run stores; a rater killed
/// mid-file leaves nothing; the first reading's spill to disk changes nothing.
final class ScaleTests: XCTestCase {
    /// A dozen files: the October calls of CorrectOverTimeTests cut at random
    /// (some in two files), each with 4,000 synthetic calls of the whole month
    /// besides (so that files hold calls earlier than others' and included
    /// minutes run out across files) and some of the next file's (overlaps).
    private func inbox(_ dir: URL) throws -> URL {
        let folder = dir.appendingPathComponent("inbox")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var seed: UInt64 = 2024
        func next(_ n: Int) -> Int {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return Int((seed >> 33) % UInt64(n))
        }
        var groups = Array(repeating: [String](), count: 12)
        for c in CorrectOverTimeTests.octoberCalls() {
            groups[next(12)].append(c)
            if next(4) == 0 { groups[next(12)].append(c) }
        }
        let bulk = syntheticFreeSWITCH(lines: 12 * 4000, prefix: "bulk").split(separator: "\n").map(String.init)
        for (i, group) in groups.enumerated() {
            var lines = Array(Set(group)).sorted()
            lines += stride(from: i, to: bulk.count, by: 12).map { bulk[$0] }
            lines += stride(from: (i + 1) % 12, to: bulk.count, by: 120).map { bulk[$0] }
            try (lines.joined(separator: "\n") + "\n").write(to: folder.appendingPathComponent(String(format: "%02d.csv", i)),
                                                              atomically: true, encoding: .utf8)
        }
        return folder
    }

    /// The reference: one run over the whole inbox, every file in two passes, the first reading spilling sorted runs of 500 calls.
    private func serialReference(_ inbox: URL, _ dir: URL) throws -> (snapshot: String, duplicates: String?) {
        let reference = try TestDatabase()
        try reference.prepare()
        try CLI.expect(0, ["rate", "--no-single-pass", "--sort-run-calls", "500", "--rejects-dir", dir.appendingPathComponent("serial").path,
                           inbox.path], db: reference)
        try reference.assertMoneyEqualities()
        XCTAssertNotEqual(try reference.scalar("SELECT count(*) FROM cdr_cost_history"), "0", "some file re-priced calls of another")
        return (try reference.ratingSnapshot(), try reference.scalar("SELECT sum(duplicates) FROM cdr_files"))
    }

    func testThreeRatersAtOnceStoreWhatOneSerialRunStores() throws {
        let dir = try scratchFolder(self)
        let inbox = try inbox(dir)
        let expected = try serialReference(inbox, dir)

        // The same inbox, three raters started at once, the first reading in memory (the default).
        let db = try TestDatabase()
        try db.prepare()
        let runs = try (0 ..< 3).map { _ in
            try CLI.start(["rate", "--rejects-dir", dir.appendingPathComponent("rejects").path, inbox.path], db: db)
        }
        var rated = 0
        for (p, _, err) in runs {
            let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            XCTAssertEqual(p.terminationStatus, 0, stderr)
            if stderr.contains(" = stored ") { rated += 1 }
        }
        XCTAssertGreaterThan(rated, 1, "more than one rater rated files")
        XCTAssertEqual(try db.ratingSnapshot(), expected.snapshot)
        try db.assertMoneyEqualities()
        XCTAssertEqual(try db.dump("SELECT count(*), count(DISTINCT sha256), count(*) FILTER (WHERE status = 'rated') FROM cdr_files"), "12|12|12")
        XCTAssertEqual(try db.scalar("SELECT sum(duplicates) FROM cdr_files"), expected.duplicates)
        XCTAssertEqual(try db.scalar("SELECT (SELECT sum(stored) FROM cdr_files) = (SELECT count(*) FROM cdrs)"), "t")
    }

    func testARaterKilledMidFileLeavesNothingAndTheNextRunRatesItsFile() throws {
        let dir = try scratchFolder(self)
        let inbox = try inbox(dir)
        let expected = try serialReference(inbox, dir)

        let db = try TestDatabase()
        try db.prepare()
        let rejects = dir.appendingPathComponent("rejects").path
        // One rater dies (SIGKILL) right after the COPY of its first file, while two others run.
        let killed = try CLI.start(["rate", "--rejects-dir", rejects, inbox.path], db: db, environment: ["CDR_RATER_FAIL_POINT": "rate:copied"])
        let others = try (0 ..< 2).map { _ in try CLI.start(["rate", "--rejects-dir", rejects, inbox.path], db: db) }
        killed.0.waitUntilExit()
        XCTAssertEqual(killed.0.terminationReason, .uncaughtSignal)
        XCTAssertEqual(killed.0.terminationStatus, SIGKILL)
        for (p, _, err) in others {
            let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            XCTAssertEqual(p.terminationStatus, 0, stderr)
        }
        // Nothing partial: every stored call belongs to a file in the ledger.
        XCTAssertEqual(try db.scalar("SELECT (SELECT coalesce(sum(stored), 0) FROM cdr_files) = (SELECT count(*) FROM cdrs)"), "t")
        try db.assertMoneyEqualities()
        // The next run rates what is left (the killed rater's file, unless another took it once it was let go).
        try CLI.expect(0, ["rate", "--rejects-dir", rejects, inbox.path], db: db)
        XCTAssertEqual(try db.ratingSnapshot(), expected.snapshot)
        XCTAssertEqual(try db.dump("SELECT count(*), count(*) FILTER (WHERE status = 'rated') FROM cdr_files"), "12|12")
        try db.assertMoneyEqualities()
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: rejects).filter { $0.hasSuffix(".tmp") }, [],
                       "the killed rater's temporary rejects file is gone")
    }

    func testOnePassStoresWhatTwoPassesStore() throws {
        let dir = try scratchFolder(self)
        let calls = CorrectOverTimeTests.octoberCalls()
        // The first file makes October's partition (the backfill path, in two passes); the second then
        // goes in one pass: the rest of the month latest first, and 3,000 calls of the month in no order
        // (the included minutes go to calls as they are read, to the earliest once the file is planned),
        // one line twice, a rejected line.
        let first = dir.appendingPathComponent("01.csv"), second = dir.appendingPathComponent("02.csv")
        try ((calls.prefix(10) + ["short,line"]).joined(separator: "\n") + "\n").write(to: first, atomically: true, encoding: .utf8)
        let rest = calls.dropFirst(10).sorted { $0.split(separator: ",")[4] > $1.split(separator: ",")[4] }
        let more = syntheticFreeSWITCH(lines: 3_000, prefix: "one").split(separator: "\n").map(String.init)
        try ((rest + more + [rest[5], "not,a,cdr"]).joined(separator: "\n") + "\n").write(to: second, atomically: true, encoding: .utf8)
        func rate(_ extra: [String]) throws -> (TestDatabase, String) {
            let db = try TestDatabase()
            try db.prepare()
            var log = ""
            for file in [first, second] {
                log += try CLI.expect(0, ["rate", "--rejects-dir", dir.appendingPathComponent("r").path] + extra + [file.path], db: db,
                                      environment: ["CDR_RATER_TRACE": "1"]).stderr
            }
            try db.assertMoneyEqualities()
            return (db, log)
        }
        let (one, log) = try rate([])
        XCTAssertEqual(log.components(separatedBy: "one pass: COPY cdrs, after the reading").count - 1, 1, log)
        XCTAssertTrue(log.contains("duplicates 1 + rejected 1"), log)
        // The first file's one pass gave up at its first chunk (no partition yet): its rejected line is logged once.
        XCTAssertEqual(log.components(separatedBy: ": rejected: ").count - 1, 2, log)
        let (two, plain) = try rate(["--no-single-pass"])
        XCTAssertFalse(plain.contains("one pass"), plain)
        XCTAssertEqual(try one.ratingSnapshot(), try two.ratingSnapshot())
        XCTAssertEqual(try one.dump("SELECT file_name, lines, stored, duplicates, rejected, charged_minutes, cost FROM cdr_files ORDER BY 1"),
                       try two.dump("SELECT file_name, lines, stored, duplicates, rejected, charged_minutes, cost FROM cdr_files ORDER BY 1"))
        XCTAssertNotEqual(try one.scalar("SELECT count(*) FROM cdrs WHERE cost > 0 AND metadata->>'included_minutes' <> '0'"), "0",
                          "some call crosses the line")
    }

    func testTheSpillToDiskChangesNoDryRunReport() throws {
        let dir = try scratchFolder(self)
        let inbox = try inbox(dir)
        let db = try TestDatabase()
        try db.prepare()
        let inMemory = try CLI.expect(0, ["rate", "--dry-run", "--format", "csv", inbox.path], db: db)
        let spilled = try CLI.expect(0, ["rate", "--dry-run", "--format", "csv", "--sort-run-calls", "7", inbox.path], db: db)
        XCTAssertEqual(spilled.stdout, inMemory.stdout)
        XCTAssertTrue(inMemory.stdout.contains("ACC-10001") || inMemory.stdout.contains("SUB-10001"), inMemory.stdout)
    }
}

/// Monthly partitions of cdrs: the migration moves the rows, `partitions`
/// makes, detaches and attaches months, the bulk backfill path stores what
/// incremental COPY stores, and the application's queries stay index-backed.
final class PartitionTests: XCTestCase {
    func testTheMigrationMovesStoredCallsBothWays() throws {
        let db = try TestDatabase()
        try db.prepare()
        let dir = try scratchFolder(self)
        try CLI.expect(0, ["rate", "--rejects-dir", dir.path, CLI.projectRoot.appendingPathComponent("samples").path], db: db)
        let before = try db.ratingSnapshot()
        try CLI.expect(0, ["migrate", "down", "--steps", String(try migrationsSince("20241201000007-partition-cdrs-by-month"))], db: db)
        XCTAssertEqual(try db.scalar("SELECT relkind FROM pg_class WHERE relname = 'cdrs'"), "r", "one plain table again")
        XCTAssertEqual(try db.ratingSnapshot(), before)
        try CLI.expect(0, ["migrate"], db: db)
        XCTAssertEqual(try db.scalar("SELECT relkind FROM pg_class WHERE relname = 'cdrs'"), "p", "partitioned")
        XCTAssertEqual(try db.ratingSnapshot(), before)
        XCTAssertEqual(try db.dump("SELECT (SELECT count(*) FROM cdr_uuids), (SELECT count(*) FROM cdrs_2024_10)"), "29|29")
        // A uuid stored in one month cannot be stored again in another, whoever writes it.
        XCTAssertThrowsError(try db.connect().execute(script: """
            SELECT cdrs_ensure_month('2024-11-01');
            INSERT INTO cdrs (uuid, caller_id, destination, start_time, call_direction, call_type, call_status)
            SELECT uuid, caller_id, destination, start_time + interval '40 days', call_direction, call_type, call_status FROM cdrs LIMIT 1
            """)) { XCTAssertTrue("\($0)".contains("cdr_uuids_pkey"), "\($0)") }
        // Nor by writing to a month's table directly.
        XCTAssertThrowsError(try db.connect().execute(script: """
            SELECT cdrs_ensure_month('2024-11-01');
            INSERT INTO cdrs_2024_11 (uuid, caller_id, destination, start_time, call_direction, call_type, call_status)
            SELECT uuid, caller_id, destination, start_time + interval '40 days', call_direction, call_type, call_status FROM cdrs LIMIT 1
            """)) { XCTAssertTrue("\($0)".contains("cdr_uuids_pkey"), "\($0)") }
    }

    func testEnsureIsIdempotentAndDetachedMonthsAreRefused() throws {
        let db = try TestDatabase()
        try db.prepare()
        let made = try CLI.expect(0, ["partitions", "ensure", "--ahead", "2"], db: db)
        XCTAssertTrue(made.stdout.contains("made cdrs_"), made.stdout)
        let list = try CLI.expect(0, ["partitions", "list"], db: db).stdout
        let again = try CLI.expect(0, ["partitions", "ensure", "--ahead", "2"], db: db)
        XCTAssertTrue(again.stdout.contains("all 3 month(s) were there already"), again.stdout)
        XCTAssertEqual(try CLI.expect(0, ["partitions", "list"], db: db).stdout, list)
        XCTAssertEqual(list.components(separatedBy: "attached").count - 1, 3, list)

        let dir = try scratchFolder(self)
        let samples = CLI.projectRoot.appendingPathComponent("samples")
        try CLI.expect(0, ["rate", "--rejects-dir", dir.path, samples.appendingPathComponent("2024-10-03-freeswitch.csv.gz").path], db: db)
        let detached = try CLI.expect(0, ["partitions", "detach", "2024-10"], db: db)
        XCTAssertTrue(detached.stdout.contains("cdrs_2024_10"), detached.stdout)
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM cdrs"), "0")
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM cdrs_2024_10"), "10", "the table stays, outside cdrs")
        // A file of an archived month fails, and so does a rerate of it; nothing is written.
        let refused = try CLI.run(["rate", "--rejects-dir", dir.path, samples.appendingPathComponent("2024-10-04-asterisk-Master.csv.gz").path], db: db)
        XCTAssertEqual(refused.status, 1, refused.stderr)
        XCTAssertTrue(refused.stderr.contains("archived") && refused.stderr.contains("partitions attach 2024-10"), refused.stderr)
        let rerate = try CLI.run(["rerate", "--from", "2024-10-01", "--to", "2024-11-01"], db: db)
        XCTAssertEqual(rerate.status, 1, rerate.stderr)
        XCTAssertTrue(rerate.stderr.contains("archived"), rerate.stderr)
        try CLI.expect(0, ["partitions", "attach", "2024-10"], db: db)
        try CLI.expect(0, ["rate", "--rejects-dir", dir.path, samples.path], db: db)
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM cdrs"), "29")
        try db.assertMoneyEqualities()
        XCTAssertEqual(try CLI.run(["partitions", "detach", "1999-01"], db: db).status, 1)
        XCTAssertEqual(try CLI.run(["partitions", "detach", "October"], db: db).status, 2)
    }

    func testTheBulkPathStoresWhatIncrementalCopyStores() throws {
        let dir = try scratchFolder(self)
        let inbox = dir.appendingPathComponent("inbox")
        try FileManager.default.createDirectory(at: inbox, withIntermediateDirectories: true)
        // Three files of October: the first goes the bulk path (no partition yet), the others into it.
        let lines = syntheticFreeSWITCH(lines: 9_000, prefix: "bulk").split(separator: "\n")
        for k in 0 ..< 3 {
            try (lines.enumerated().filter { $0.offset % 3 == k }.map { String($0.element) }.joined(separator: "\n") + "\n")
                .write(to: inbox.appendingPathComponent("\(k).csv"), atomically: true, encoding: .utf8)
        }
        func rate(_ extra: [String]) throws -> (TestDatabase, String) {
            let db = try TestDatabase()
            try db.prepare()
            let r = try CLI.expect(0, ["rate", "--rejects-dir", dir.appendingPathComponent("r").path] + extra + [inbox.path], db: db)
            try db.assertMoneyEqualities()
            return (db, r.stderr)
        }
        let (bulk, log) = try rate([])
        XCTAssertEqual(log.components(separatedBy: "the backfill path").count - 1, 1, log)
        let (incremental, plain) = try rate(["--no-bulk-load"])
        XCTAssertFalse(plain.contains("the backfill path"), plain)
        XCTAssertEqual(try bulk.ratingSnapshot(), try incremental.ratingSnapshot())
        let indexes = "SELECT count(*) FROM pg_index WHERE indrelid = 'cdrs_2024_10'::regclass"
        XCTAssertEqual(try bulk.scalar(indexes), try incremental.scalar(indexes))
        XCTAssertEqual(try bulk.dump("SELECT contype, count(*) FROM pg_constraint WHERE conrelid = 'cdrs_2024_10'::regclass GROUP BY 1 ORDER BY 1"),
                       try incremental.dump("SELECT contype, count(*) FROM pg_constraint WHERE conrelid = 'cdrs_2024_10'::regclass GROUP BY 1 ORDER BY 1"))
        XCTAssertEqual(try bulk.scalar("SELECT count(*) FROM cdr_uuids"), "9000")
        // A kill -9 in the middle of the bulk path leaves no table behind; the next run loads it again.
        let killed = try TestDatabase()
        try killed.prepare()
        let first = inbox.appendingPathComponent("0.csv").path
        let r = try CLI.run(["rate", "--rejects-dir", dir.appendingPathComponent("k").path, first], db: killed,
                            environment: ["CDR_RATER_FAIL_POINT": "rate:copied"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertEqual(try killed.scalar("SELECT to_regclass('cdrs_2024_10') IS NULL"), "t")
        try CLI.expect(0, ["rate", "--rejects-dir", dir.appendingPathComponent("k").path, first], db: killed)
        XCTAssertEqual(try killed.scalar("SELECT count(*) FROM cdrs_2024_10"), "3000")
    }

    /// A month that has no planner statistics yet (just loaded, autovacuum not round) gets those of its
    /// uuid column in the transaction that UPDATEs a late file's re-priced calls into it (20241201000015):
    /// without them the UPDATE joined its few changes by a scan of the whole month.
    func testAMonthWithoutStatisticsGetsThemBeforeALateFilesChangesGoIn() throws {
        let db = try TestDatabase()
        try db.prepare()
        let dir = try scratchFolder(self)
        let late = dir.appendingPathComponent("20-oct.csv"), early = dir.appendingPathComponent("02-oct.csv")
        try (CorrectOverTimeTests.line("b1", start: "2024-10-20 10:00:00", billsec: 300 * 60) + "\n"
             + CorrectOverTimeTests.line("b2", start: "2024-10-20 11:00:00", billsec: 250 * 60) + "\n")
            .write(to: late, atomically: true, encoding: .utf8)
        try CLI.expect(0, ["rate", "--rejects-dir", dir.path, late.path], db: db)
        // As autovacuum may have left it: no statistics, and none to come during the test.
        try db.connect().execute(script: "ALTER TABLE cdrs_2024_10 SET (autovacuum_enabled = false)")
        try TestRole.superuserConnection(db).execute(script: "DELETE FROM pg_statistic WHERE starelid = 'cdrs_2024_10'::regclass")
        let statistics = "SELECT coalesce(string_agg(n_distinct::text, ','), 'none') FROM pg_stats WHERE tablename = 'cdrs_2024_10' AND attname = 'uuid'"
        XCTAssertEqual(try db.scalar(statistics), "none")
        // 2 October, rated after: b2 loses included minutes to a1, so it is UPDATEd; the month is analyzed first.
        try (CorrectOverTimeTests.line("a1", start: "2024-10-02 09:00:00", billsec: 100 * 60) + "\n").write(to: early, atomically: true, encoding: .utf8)
        let r = try CLI.expect(0, ["rate", "--rejects-dir", dir.path, early.path], db: db)
        XCTAssertTrue(r.stderr.contains("1 stored call(s) re-priced"), r.stderr)
        XCTAssertEqual(try db.scalar(statistics), "-1", "the uuid is unique: the planner then joins a few changes through its index")
        XCTAssertEqual(try db.dump("SELECT uuid, cost FROM cdrs ORDER BY uuid"), "a1|0.0000\nb1|0.0000\nb2|75.0000")
        // A month with statistics is left as it is; a span with no partition is nothing to do.
        XCTAssertEqual(try db.scalar("SELECT cdrs_analyze_months('2024-10-01', '2024-10-31')"), "0")
        XCTAssertEqual(try db.scalar("SELECT cdrs_analyze_months('2031-01-01', '2031-03-01')"), "0")
    }

    func testTheApplicationsQueriesStayIndexBacked() throws {
        let db = try TestDatabase()
        try db.prepare()
        let dir = try scratchFolder(self)
        try CLI.expect(0, ["rate", "--rejects-dir", dir.path, CLI.projectRoot.appendingPathComponent("samples").path], db: db)
        let conn = try db.connect()
        try conn.execute(script: "SET enable_seqscan = off")
        for query in ["SELECT * FROM cdrs WHERE uuid = 'a1f0c001-0000-4000-8000-000000000001'",
                      "SELECT * FROM cdrs WHERE subscription_id = (SELECT id FROM subscriptions LIMIT 1)",
                      "SELECT * FROM cdrs WHERE start_time >= '2024-10-03' AND start_time < '2024-10-04'"] {
            let plan = try conn.query("EXPLAIN " + query).rows.map { $0[0] ?? "" }.joined(separator: "\n")
            XCTAssertTrue(plan.contains("Index Scan") || plan.contains("Bitmap Index Scan"), plan)
            XCTAssertFalse(plan.contains("Seq Scan"), plan)
        }
    }

    /// The seed's queries by processing_status and call_type go through the partial indexes that replaced
    /// its full btrees (20241201000014), in a month made by the bulk path and in one made by `partitions ensure`.
    func testTheEnumQueriesUseThePartialIndexes() throws {
        let db = try TestDatabase()
        try db.prepare()
        let dir = try scratchFolder(self)
        try CLI.expect(0, ["rate", "--rejects-dir", dir.path, CLI.projectRoot.appendingPathComponent("samples").path], db: db)
        try CLI.expect(0, ["partitions", "ensure", "--ahead", "1"], db: db)
        let conn = try db.connect()
        try conn.execute(script: "SET enable_seqscan = off; SET enable_bitmapscan = off")
        for month in ["cdrs_2024_10", try db.scalar("SELECT max(c.relname) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                                                    + "WHERE i.inhparent = 'cdrs'::regclass") ?? ""] {
            XCTAssertEqual(try db.scalar("SELECT count(*) FROM pg_index WHERE indrelid = '\(month)'::regclass "
                                         + "AND pg_get_indexdef(indexrelid) ~ 'btree \\((processing_status|call_type)\\)$'"), "0",
                           "\(month) has no full btree on either enum")
        }
        for (query, parent) in [("processing_status = 'failed'", "cdrs_unprocessed"),
                                ("processing_status IN ('pending', 'retrying')", "cdrs_unprocessed"),
                                ("call_type = 'isd'", "cdrs_isd_toll_free"),
                                ("call_type = 'toll_free'", "cdrs_isd_toll_free")] {
            let children = try conn.query("SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                                          + "WHERE i.inhparent = '\(parent)'::regclass").rows.compactMap { $0[0] ?? nil }
            XCTAssertGreaterThanOrEqual(children.count, 2, parent)
            let plan = try conn.query("EXPLAIN SELECT * FROM cdrs WHERE " + query).rows.map { $0[0] ?? "" }.joined(separator: "\n")
            XCTAssertTrue(children.contains { plan.contains("Index Scan using \($0) ") }, plan)
            XCTAssertFalse(plan.contains("Seq Scan") || plan.contains("Filter"), plan)
        }
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM cdrs WHERE processing_status = 'failed'"),
                       try db.scalar("SELECT count(*) FROM cdrs WHERE processing_status::text = 'failed'"))
    }
}
