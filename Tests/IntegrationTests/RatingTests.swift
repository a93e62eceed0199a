import Foundation
import XCTest

/// `cdr-rater rate` against a real PostgreSQL (issue: rating pipeline).
/// Expected values are worked out by hand in samples/README.md.
final class RatingTests: XCTestCase {
    let samples = CLI.projectRoot.appendingPathComponent("samples")
    var freeswitch: String { samples.appendingPathComponent("2024-10-03-freeswitch.csv.gz").path }
    var asterisk: String { samples.appendingPathComponent("2024-10-04-asterisk-Master.csv.gz").path }

    func testSamplesRateExactlyAsWorkedOut() throws {
        let db = try TestDatabase()
        try db.prepare()
        let rejects = try scratchFolder(self)
        let r = try CLI.expect(0, ["rate", "--format", "csv", "--rejects-dir", rejects.path, samples.path], db: db)
        XCTAssertEqual(r.stdout, try String(contentsOf: samples.appendingPathComponent("expected/report.csv"), encoding: .utf8))
        XCTAssertTrue(r.stderr.contains("2024-10-03-freeswitch.csv.gz:11: rejected: wrong number of fields"), r.stderr)
        XCTAssertTrue(r.stderr.contains("2024-10-04-asterisk-Master.csv.gz:7: rejected: start time '04/10/2024 09:30'"), r.stderr)

        XCTAssertEqual(try db.dump("SELECT account_number, balance FROM accounts ORDER BY 1"),
                       "ACC-10001|498.00\nACC-10002|2000.00\nACC-10003|0.00\nACC-10004|985.80\nACC-10005|0.00")
        XCTAssertEqual(try db.dump("""
            SELECT s.subscription_number, u.billing_period_start AT TIME ZONE 'Asia/Kolkata', u.billing_period_end AT TIME ZONE 'Asia/Kolkata',
                   minutes_included, minutes_used, minutes_overage, overage_cost, local_calls, std_calls, isd_calls, mobile_calls,
                   u.metadata->>'toll_free_calls'
            FROM subscription_usage u JOIN subscriptions s ON s.id = u.subscription_id ORDER BY 1
            """), """
            SUB-10001|2024-10-01 00:00:00|2024-11-01 00:00:00|500|504|4|2.00|1|0|1|2|1
            SUB-10002|2024-09-15 09:30:00|2024-10-15 09:30:00|2000|3|0|0.00|0|1|0|2|0
            SUB-10003|2024-09-30 10:00:00|2024-10-31 10:00:00|10000|13|0|0.00|0|0|1|0|1
            SUB-10004|2024-10-01 00:00:00|2024-11-01 00:00:00|100|106|6|14.20|1|1|2|1|1
            SUB-10005|2024-09-20 12:00:00|2024-10-20 12:00:00|60|65|5|16.92|0|1|1|2|1
            """)
        XCTAssertEqual(try db.dump("""
            SELECT right(uuid, 2), call_direction, call_type, call_status, cost, metadata->>'included_minutes', metadata->>'overage_minutes'
            FROM cdrs WHERE uuid LIKE 'a1f0c001%' ORDER BY uuid
            """), """
            01|outbound|isd|answered|0.0000|498|0
            02|outbound|mobile|answered|0.5000|2|1
            03|outbound|toll_free|answered|0.5000|0|1
            04|inbound|local|answered|0.0000|0|0
            05|outbound|mobile|busy|0.0000|0|0
            06|outbound|std|answered|0.0000|2|0
            07|outbound|mobile|no_answer|0.0000|0|0
            08|inbound|toll_free|answered|0.0000|10|0
            09|outbound|mobile|cancelled|0.0000|0|0
            10|outbound|mobile|answered|0.0000|NULL|NULL
            """)
        XCTAssertEqual(try db.dump("SELECT processing_status, subscription_id IS NULL, processing_error LIKE 'no subscription in force%' FROM cdrs WHERE uuid LIKE 'a1f0c001-%010'"),
                       "failed|t|t")
        XCTAssertEqual(try db.dump("SELECT caller_id, destination FROM cdrs WHERE uuid IN ('a1f0c001-0000-4000-8000-000000000004', '1728016200.1') ORDER BY 1"),
                       "+911246000001|+442079460000\n+919845012345|+918041000001")
        try db.assertMoneyEqualities()
        // The third sample, priced by the demo tariffs (samples/expected/README.md): each call's cost and billed
        // and covered seconds, and what priced it; the +86 call has no price and is stored as unmatched.
        XCTAssertEqual(try db.dump("""
            SELECT right(uuid, 2), call_direction, call_type, call_status, cost, processing_status, coalesce(metadata->>'prefix', '-'),
                   coalesce(metadata->>'bands', '-'), coalesce(metadata->>'billed_seconds', '-'), coalesce(metadata->>'covered_seconds', '-')
            FROM cdrs WHERE uuid LIKE 'a1f0c005%' ORDER BY uuid
            """), """
            01|outbound|mobile|answered|0.0000|processed|+919|*|5880|5880
            02|outbound|std|answered|0.6000|processed|+91|*|180|120
            03|outbound|toll_free|answered|0.5000|processed|+911800|*|60|0
            04|inbound|local|answered|0.0000|processed|-|-|0|0
            05|outbound|isd|answered|2.4000|processed|+1|*|120|0
            06|outbound|isd|answered|0.0000|failed|-|-|-|-
            07|outbound|isd|answered|10.7000|processed|+44|peak,offpeak|120|0
            08|outbound|mobile|answered|0.0000|processed|+919|*|3575|3575
            09|outbound|std|answered|0.2200|processed|+91|*|47|25
            10|outbound|mobile|answered|0.0583|processed|+919|*|7|0
            11|outbound|mobile|no_answer|0.0000|processed|-|-|0|0
            12|inbound|toll_free|answered|1.0417|processed|+911800|*|125|0
            13|outbound|isd|answered|15.6000|processed|+971|*|120|0
            """)
        XCTAssertEqual(try db.dump("SELECT subscription_id IS NULL, processing_error LIKE 'no price for +861065529988 in tariff India Saver%' FROM cdrs WHERE uuid LIKE 'a1f0c005%06'"),
                       "t|t")
        // Sum of cdrs.cost over a period = minutes_overage x rate, for the plans without a tariff (one rate).
        // A tariff plan's cost is the sum of its calls' prices: the equality of SPEC 3c, checked by assertMoneyEqualities.
        XCTAssertEqual(try db.scalar("""
            SELECT bool_and(total = u.minutes_overage * p.overage_rate_per_minute) FROM subscription_usage u
            JOIN subscriptions s ON s.id = u.subscription_id JOIN rate_plans p ON p.id = s.rate_plan_id
            JOIN LATERAL (SELECT coalesce(sum(cost), 0) AS total FROM cdrs c WHERE c.subscription_id = u.subscription_id
                          AND c.start_time >= u.billing_period_start AND c.start_time < u.billing_period_end) t ON true
            WHERE p.tariff_id IS NULL
            """), "t")
        XCTAssertEqual(try db.dump("SELECT file_name, status, lines, stored, unmatched, duplicates, rejected, cost FROM cdr_files ORDER BY 1"), """
            2024-10-03-freeswitch.csv.gz|rated|12|10|1|1|1|1.0000
            2024-10-04-asterisk-Master.csv.gz|rated|7|6|0|0|1|1.0000
            2024-10-05-india-saver-freeswitch.csv.gz|rated|13|13|1|0|0|31.1200
            """)
        // Row ids are version 7 UUIDs that rise file after file (the primary key is appended to).
        XCTAssertEqual(try db.scalar("SELECT bool_and(substr(id::text, 15, 1) = '7' AND substr(id::text, 20, 1) IN ('8', '9', 'a', 'b')) FROM cdrs"), "t")
        XCTAssertEqual(try db.scalar("""
            SELECT max(id::text) FILTER (WHERE metadata->>'source' = '2024-10-03-freeswitch.csv.gz') < min(id::text) FILTER (WHERE metadata->>'source' LIKE '%asterisk%')
               AND max(id::text) FILTER (WHERE metadata->>'source' LIKE '%asterisk%') < min(id::text) FILTER (WHERE metadata->>'source' LIKE '%india-saver%') FROM cdrs
            """), "t")
        let rejectFiles = try FileManager.default.contentsOfDirectory(atPath: rejects.path)
        XCTAssertEqual(rejectFiles.count, 2)
        let fsRejects = try String(contentsOf: rejects.appendingPathComponent(rejectFiles.sorted()[0]), encoding: .utf8)
        XCTAssertTrue(fsRejects.hasPrefix("line,reason,raw\n11,\"wrong number of fields: 6, a freeswitch record has 15\",\"\"\"Broken\"\""), fsRejects)
    }

    /// SPEC section 3's worked example: the FreeSWITCH sample alone.
    func testWorkedExampleBalanceAndUsage() throws {
        let db = try TestDatabase()
        try db.prepare()
        try CLI.expect(0, ["rate", "--rejects-dir", try scratchFolder(self).path, freeswitch], db: db)
        XCTAssertEqual(try db.dump("SELECT minutes_used, minutes_overage, overage_cost, mobile_calls, local_calls, u.metadata->>'toll_free_calls' FROM subscription_usage u JOIN subscriptions s ON s.id = u.subscription_id WHERE subscription_number = 'SUB-10001'"),
                       "502|2|1.00|1|1|1")
        XCTAssertEqual(try db.scalar("SELECT balance FROM accounts WHERE account_number = 'ACC-10001'"), "499.00")
        try db.assertMoneyEqualities()
    }

    func testSameFileRenamedCopyAndOverlapsAreCountedOnce() throws {
        let db = try TestDatabase()
        try db.prepare()
        let dir = try scratchFolder(self)
        try CLI.expect(0, ["rate", "--rejects-dir", dir.path, freeswitch], db: db)
        let after = try db.ratingSnapshot()

        let again = try CLI.expect(0, ["rate", "--rejects-dir", dir.path, freeswitch], db: db)
        XCTAssertTrue(again.stderr.contains("skipped"), again.stderr)
        let copy = dir.appendingPathComponent("renamed-copy.gz")
        try FileManager.default.copyItem(atPath: freeswitch, toPath: copy.path)
        try CLI.expect(0, ["rate", "--rejects-dir", dir.path, copy.path], db: db)
        XCTAssertEqual(try db.ratingSnapshot(), after)
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM cdr_files"), "1")

        // Two files sharing lines 3...6 of the sample: each CDR once.
        let lines = try sampleLines("2024-10-03-freeswitch.csv.gz")
        let a = dir.appendingPathComponent("a.csv"), b = dir.appendingPathComponent("b.csv")
        let fresh = lines.prefix(10).map { $0.replacingOccurrences(of: "a1f0c001-", with: "b2f0c002-") }
        try (fresh[0 ..< 6].joined(separator: "\n") + "\n").write(to: a, atomically: true, encoding: .utf8)
        try (fresh[2 ..< 10].joined(separator: "\n") + "\n").write(to: b, atomically: true, encoding: .utf8)
        let r = try CLI.expect(0, ["rate", "--format", "json", "--rejects-dir", dir.path, b.path, a.path], db: db)
        let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        XCTAssertEqual(json["lines"] as? Int, 14)
        XCTAssertEqual(json["stored"] as? Int, 10)
        XCTAssertEqual(json["duplicates"] as? Int, 4)
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM cdrs WHERE uuid LIKE 'b2f0c002-%'"), "10")
    }

    func testWorkersChunksAndFileOrderDoNotChangeTheResult() throws {
        let dir = try scratchFolder(self)
        let big = dir.appendingPathComponent("synthetic.csv")
        try syntheticFreeSWITCH(lines: 6000, prefix: "w").write(to: big, atomically: true, encoding: .utf8)
        let one = try TestDatabase(), many = try TestDatabase()
        try one.prepare()
        try many.prepare()
        try CLI.expect(0, ["rate", "--workers", "1", "--chunk-lines", "100000", "--rejects-dir", dir.path, freeswitch, asterisk, big.path], db: one)
        try CLI.expect(0, ["rate", "--workers", "4", "--chunk-lines", "7", "--rejects-dir", dir.path, big.path, asterisk, freeswitch], db: many)
        let snapshot = try one.ratingSnapshot()
        XCTAssertGreaterThan(snapshot.count, 100_000)
        XCTAssertEqual(try many.ratingSnapshot(), snapshot)
    }

    func testDryRunWritesNothing() throws {
        let db = try TestDatabase()
        try db.prepare()
        let before = try db.ratingSnapshot()
        let dir = try scratchFolder(self)
        let rejects = dir.appendingPathComponent("rejects")
        let r = try CLI.expect(0, ["rate", "--dry-run", "--format", "csv", "--rejects-dir", rejects.path, samples.path], db: db, cwd: dir)
        XCTAssertEqual(r.stdout, try String(contentsOf: samples.appendingPathComponent("expected/report.csv"), encoding: .utf8))
        XCTAssertTrue(r.stderr.contains("dry run"), r.stderr)
        XCTAssertEqual(try db.ratingSnapshot(), before)
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM cdr_files"), "0")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), [])
        let table = try CLI.expect(0, ["rate", "--dry-run", samples.path], db: db, cwd: dir)
        XCTAssertTrue(table.stdout.contains("DRY RUN"), table.stdout)
        // It says what a run would do, never that it did.
        XCTAssertTrue(table.stdout.contains("files: 3 (3 would be rated,"), table.stdout)
        XCTAssertTrue(table.stdout.contains("lines: 32 = 29 would be stored + 1 duplicates + 2 rejected"), table.stdout)
        XCTAssertTrue(table.stderr.contains("lines 32 = would be stored 29"), table.stderr)
        XCTAssertFalse(table.stdout.contains("cdr_cost_history") || table.stdout.contains(" rated,\n"), table.stdout)
    }

    /// A dry run looks its uuids up beside the reading (the second connection, in the run's snapshot):
    /// the calls stored already are its duplicates, as when looked up in line, and nothing is written.
    func testADryRunCountsStoredCallsAsDuplicates() throws {
        let db = try TestDatabase()
        try db.prepare()
        let dir = try scratchFolder(self)
        let stored = dir.appendingPathComponent("stored.csv"), mixed = dir.appendingPathComponent("mixed.csv")
        let old = syntheticFreeSWITCH(lines: 20_000, prefix: "s").split(separator: "\n")
        let new = syntheticFreeSWITCH(lines: 13_000, prefix: "t").split(separator: "\n")
        try (old.joined(separator: "\n") + "\n").write(to: stored, atomically: true, encoding: .utf8)
        try CLI.expect(0, ["rate", "--rejects-dir", dir.path, stored.path], db: db)
        let before = try db.ratingSnapshot()
        // Stored lines among new ones, and one of them twice.
        let lines = Array(new[..<6_500]) + Array(old[..<7_000]) + Array(new[6_500...]) + [old[3]]
        try (lines.joined(separator: "\n") + "\n").write(to: mixed, atomically: true, encoding: .utf8)
        let r = try CLI.expect(0, ["rate", "--dry-run", mixed.path], db: db, cwd: dir)
        XCTAssertTrue(r.stdout.contains("lines: 20001 = 13000 would be stored + 7001 duplicates + 0 rejected"), r.stdout)
        XCTAssertEqual(try db.ratingSnapshot(), before)
    }

    func testKilledRunLeavesNoTraceAndRerunMatchesCleanRun() throws {
        let dir = try scratchFolder(self)
        let big = dir.appendingPathComponent("big.csv")
        try syntheticFreeSWITCH(lines: 150_000, prefix: "k").write(to: big, atomically: true, encoding: .utf8)
        let clean = try TestDatabase(), killed = try TestDatabase()
        try clean.prepare()
        try killed.prepare()
        try CLI.expect(0, ["rate", "--rejects-dir", dir.path, big.path], db: clean)

        // Killed (SIGKILL, by a fail point) once its COPY is done, before the commit.
        let (p, _, _) = try CLI.start(["rate", "--rejects-dir", dir.path, big.path], db: killed, environment: ["CDR_RATER_FAIL_POINT": "rate:copied"])
        p.waitUntilExit()
        XCTAssertEqual(p.terminationReason, .uncaughtSignal)
        XCTAssertEqual(p.terminationStatus, SIGKILL)
        // The server notices the dead client and rolls back.
        let watcher = try killed.connect()
        XCTAssertTrue(try waitUntil { try watcher.query("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'cdr-rater' AND pid <> pg_backend_pid()").scalar == "0" })
        XCTAssertEqual(try killed.dump("SELECT (SELECT count(*) FROM cdrs), (SELECT count(*) FROM cdr_files), (SELECT count(*) FROM subscription_usage)"), "0|0|0")
        XCTAssertEqual(try killed.dump("SELECT balance FROM accounts ORDER BY account_number"), "500.00\n2000.00\n0.00\n1000.00\n0.00")

        try CLI.expect(0, ["rate", "--rejects-dir", dir.path, big.path], db: killed)
        XCTAssertEqual(try killed.ratingSnapshot(), try clean.ratingSnapshot())
        try killed.assertMoneyEqualities()
    }

    func testBadInputIsRejectedWithFileAndLine() throws {
        let db = try TestDatabase()
        try db.prepare()
        let dir = try scratchFolder(self)
        let rejects = dir.appendingPathComponent("rejects")
        let good = #""A","+919876543212","9812345678","default","2024-10-03 10:00:00","2024-10-03 10:00:05","2024-10-03 10:02:10",130,125,"NORMAL_CLEARING","bad-input-1","","ACC-10001","PCMU","PCMU""#
        func line(_ uuid: String, start: String = "2024-10-03 10:00:00", end: String = "2024-10-03 10:02:10", duration: String = "130") -> String {
            good.replacingOccurrences(of: "bad-input-1", with: uuid).replacingOccurrences(of: "\"2024-10-03 10:00:00\"", with: "\"\(start)\"")
                .replacingOccurrences(of: "\"2024-10-03 10:02:10\",130", with: "\"\(end)\",\(duration)")
        }
        var bytes = Data()
        for l in [good, "\"only\",\"three\",\"fields\"", line("bad-date", start: "2024-13-45 10:00:00"),
                  line("negative", duration: "-5"), line("backwards", end: "2024-10-03 09:00:00"),
                  "\"x\"," + String(repeating: "9", count: 1 << 20), ""] {
            bytes.append(Data((l + "\n").utf8))
        }
        bytes.append(Data([0x00, 0xFF, 0xFE, 0x1F, 0x8B, 0x41, 0x0A]))
        bytes.append(Data((line("last-good") + "\n").utf8))
        let plain = dir.appendingPathComponent("bad.csv")
        try bytes.write(to: plain)

        let r = try CLI.expect(0, ["rate", "--rejects-dir", rejects.path, plain.path], db: db)
        for (n, reason) in [(2, "wrong number of fields: 3"), (3, "start time '2024-13-45 10:00:00' is not a date"),
                            (4, "duration '-5' is not a whole number"), (5, "end time is before start time"),
                            (6, "line is 1048580 bytes long"), (7, "empty line"), (8, "not text")] {
            XCTAssertTrue(r.stderr.contains("bad.csv:\(n): rejected: \(reason)"), "line \(n): \(r.stderr)")
        }
        XCTAssertEqual(try db.dump("SELECT lines, stored, duplicates, rejected FROM cdr_files"), "9|2|0|7")
        let rejectsFile = try FileManager.default.contentsOfDirectory(atPath: rejects.path)
        let text = try String(contentsOf: rejects.appendingPathComponent(rejectsFile[0]), encoding: .isoLatin1)
        XCTAssertEqual(text.split(separator: "\n").count, 8, "header + 7 rejects")

        // A gzip file cut short: whole lines before the cut are rated, the run says so and exits 1.
        let lines = (1 ... 400).map { line("trunc-\($0)") }.joined(separator: "\n") + "\n"
        let gz = try gzip(lines)
        let truncated = dir.appendingPathComponent("truncated.csv.gz")
        try gz.prefix(gz.count * 2 / 3).write(to: truncated)
        let t = try CLI.expect(1, ["rate", "--rejects-dir", rejects.path, truncated.path], db: db)
        XCTAssertTrue(t.stderr.contains("truncated.csv.gz") && t.stderr.contains("gzip stream is truncated"), t.stderr)
        let counts = try db.dump("SELECT status, lines = stored + duplicates + rejected, stored > 0, lines < 400 FROM cdr_files WHERE file_name = 'truncated.csv.gz'")
        XCTAssertEqual(counts, "partial|t|t|t")
    }

    /// Two runs started together on the same file: the rating lock makes the
    /// second wait (--lock-wait), then it finds the file already rated.
    func testConcurrentRunsStoreEachCDROnce() throws {
        let db = try TestDatabase()
        try db.prepare()
        let dir = try scratchFolder(self)
        let file = dir.appendingPathComponent("same.csv")
        try syntheticFreeSWITCH(lines: 20_000, prefix: "c").write(to: file, atomically: true, encoding: .utf8)
        let runs = try (0 ..< 2).map { _ in try CLI.start(["rate", "--lock-wait", "300", "--rejects-dir", dir.path, file.path], db: db) }
        var stderr: [String] = []
        for (p, _, err) in runs {
            stderr.append(String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
            p.waitUntilExit()
            XCTAssertEqual(p.terminationStatus, 0, stderr.last!)
        }
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM cdrs"), "20000")
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM cdr_files"), "1")
        // The other run found it claimed (left to the first) or, once the first had committed, already rated.
        XCTAssertEqual(stderr.filter { $0.contains("already rated") || $0.contains("left to another run") }.count, 1,
                       stderr.joined(separator: "\n---\n"))
    }

    /// --timezone says which zone the switch's stamps are in.
    func testTimezoneOfTheSwitchStamps() throws {
        let db = try TestDatabase()
        try db.prepare()
        let dir = try scratchFolder(self)
        let file = dir.appendingPathComponent("utc.csv")
        try (sampleLines("2024-10-03-freeswitch.csv.gz")[1] + "\n").write(to: file, atomically: true, encoding: .utf8)
        try CLI.expect(0, ["rate", "--timezone", "UTC", "--rejects-dir", dir.path, file.path], db: db)
        // 2024-10-03 10:00:00 read as UTC, not as IST (04:30 UTC).
        XCTAssertEqual(try db.scalar("SELECT start_time AT TIME ZONE 'UTC' FROM cdrs"), "2024-10-03 10:00:00")
    }
}
