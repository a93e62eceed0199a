import Foundation
import XCTest

/// Usage imported from an earlier system (SPEC section 3): minutes and
/// answered calls a `subscription_usage` row records beyond what its stored
/// calls account for are kept apart, stay as they are through `rate` and
/// `rerate`, and `check` accounts for them.
final class ImportedUsageTests: XCTestCase {
    /// SUB-10001 (Starter: 500 included, 0.50 a minute) in its October 2024
    /// period, as an earlier system left it: 120 minutes, 2 local, 3 std,
    /// 1 isd, 4 mobile and 1 toll-free answered calls (in metadata, as the
    /// table has no column for them), no overage, no calls stored.
    static let importedOctober = """
        INSERT INTO subscription_usage (subscription_id, billing_period_start, billing_period_end, minutes_included,
            minutes_used, minutes_overage, overage_cost, local_calls, std_calls, isd_calls, mobile_calls, metadata)
        SELECT id, '2024-10-01 00:00:00+05:30', '2024-11-01 00:00:00+05:30', 500, 120, 0, 0, 2, 3, 1, 4, '{"toll_free_calls": 1}'
        FROM subscriptions WHERE subscription_number = 'SUB-10001'
        """

    /// October calls of SUB-10001, after the 120 imported minutes (380 included left):
    /// mobile 300 min and 3 min included; toll-free 100 min: 77 included, 23 overage = 11.50;
    /// std 2 min = 1.00; isd 10 min = 5.00; an extension (local) 1 min = 0.50;
    /// inbound to its local DID (free, counted local); busy (not counted).
    /// 536 minutes used, 36 overage, 18.00; answered calls of the file: local 2, std 1, isd 1, mobile 2, toll-free 1.
    static let octoberCalls = [
        CorrectOverTimeTests.line("imp-1", start: "2024-10-05 10:00:00", billsec: 300 * 60),
        CorrectOverTimeTests.line("imp-2", start: "2024-10-06 10:00:00", billsec: 125),
        CorrectOverTimeTests.line("imp-3", destination: "1800 123 4567", start: "2024-10-07 10:00:00", billsec: 100 * 60),
        CorrectOverTimeTests.line("imp-4", destination: "022-2600-0000", start: "2024-10-08 10:00:00", billsec: 61),
        CorrectOverTimeTests.line("imp-5", destination: "+14155550100", start: "2024-10-09 10:00:00", billsec: 600),
        CorrectOverTimeTests.line("imp-6", destination: "2001", start: "2024-10-10 10:00:00", billsec: 30),
        CorrectOverTimeTests.line("imp-7", caller: "9822000000", destination: "08041000001", account: "", start: "2024-10-11 10:00:00", billsec: 300),
        CorrectOverTimeTests.line("imp-8", start: "2024-10-12 10:00:00", billsec: 0, cause: "USER_BUSY"),
    ]

    /// SUB-10001's October row: minutes, overage, cost, answered calls local/std/isd/mobile/toll-free,
    /// then the imported minutes and calls kept apart, in the same order.
    static let october = """
        SELECT u.minutes_included, u.minutes_used, u.minutes_overage, u.overage_cost,
               u.local_calls, u.std_calls, u.isd_calls, u.mobile_calls, u.metadata->>'toll_free_calls',
               u.metadata->>'imported_minutes', u.metadata->>'imported_local_calls', u.metadata->>'imported_std_calls',
               u.metadata->>'imported_isd_calls', u.metadata->>'imported_mobile_calls', u.metadata->>'imported_toll_free_calls'
        FROM subscription_usage u JOIN subscriptions s ON s.id = u.subscription_id
        WHERE s.subscription_number = 'SUB-10001' AND u.billing_period_start = '2024-10-01 00:00:00+05:30'
        """

    /// Everything of the row but what its cost decides (overage_cost, metadata.call_cost).
    static let octoberButCost = """
        SELECT u.minutes_included, u.minutes_used, u.minutes_overage, u.local_calls, u.std_calls, u.isd_calls, u.mobile_calls,
               u.metadata - 'call_cost'
        FROM subscription_usage u JOIN subscriptions s ON s.id = u.subscription_id
        WHERE s.subscription_number = 'SUB-10001'
        """

    static let calls = "SELECT uuid, call_type, call_status, cost, metadata->>'included_minutes', metadata->>'overage_minutes' FROM cdrs ORDER BY uuid"

    static let balance = "SELECT balance FROM accounts WHERE account_number = 'ACC-10001'"

    let rerateOctober = ["rerate", "--from", "2024-10-01", "--to", "2024-11-01"]

    /// A seeded database with SUB-10001's imported October and the October calls rated.
    private func ratedWithImportedUsage() throws -> TestDatabase {
        let db = try TestDatabase()
        try db.prepare()
        try db.connect().execute(script: Self.importedOctober)
        let dir = try scratchFolder(self)
        let file = dir.appendingPathComponent("october.csv")
        try (Self.octoberCalls.joined(separator: "\n") + "\n").write(to: file, atomically: true, encoding: .utf8)
        try CLI.expect(0, ["rate", "--rejects-dir", dir.path, file.path], db: db)
        try db.assertMoneyEqualities()
        // 2 + 2 local, 3 + 1 std, 1 + 1 isd, 4 + 2 mobile, 1 + 1 toll-free; the imported part kept apart.
        XCTAssertEqual(try db.dump(Self.october), "500|536|36|18.00|4|4|2|6|2|120|2|3|1|4|1")
        XCTAssertEqual(try db.scalar(Self.balance), "482.00")
        return db
    }

    /// A new overage rate, then `rerate`: the prices change, and nothing else.
    func testAPriceChangeRerateKeepsImportedMinutesAndCalls() throws {
        let db = try ratedWithImportedUsage()
        XCTAssertEqual(try db.dump(Self.calls), """
            imp-1|mobile|answered|0.0000|300|0
            imp-2|mobile|answered|0.0000|3|0
            imp-3|toll_free|answered|11.5000|77|23
            imp-4|std|answered|1.0000|0|2
            imp-5|isd|answered|5.0000|0|10
            imp-6|local|answered|0.5000|0|1
            imp-7|local|answered|0.0000|0|0
            imp-8|mobile|busy|0.0000|0|0
            """)
        let usage = try db.dump(Self.octoberButCost)

        try db.connect().execute(script: "UPDATE rate_plans SET overage_rate_per_minute = 0.80 WHERE name = 'Starter'")
        try CLI.expect(0, rerateOctober, db: db)
        try db.assertMoneyEqualities()
        // The same 36 overage minutes at 0.80: 18.40 + 1.60 + 8.00 + 0.80 = 28.80; the balance pays 10.80 more.
        XCTAssertEqual(try db.dump(Self.october), "500|536|36|28.80|4|4|2|6|2|120|2|3|1|4|1")
        XCTAssertEqual(try db.dump(Self.octoberButCost), usage)
        XCTAssertEqual(try db.scalar(Self.balance), "471.20")
        XCTAssertEqual(try db.dump("SELECT uuid, cost FROM cdrs WHERE cost > 0 ORDER BY uuid"),
                       "imp-3|18.4000\nimp-4|1.6000\nimp-5|8.0000\nimp-6|0.8000")

        // A second rerate changes nothing, not even the history.
        let snapshot = try db.ratingSnapshot()
        let history = try db.dump("SELECT * FROM cdr_cost_history ORDER BY id")
        XCTAssertEqual(history.split(separator: "\n").count, 4)
        try CLI.expect(0, rerateOctober, db: db)
        XCTAssertEqual(try db.ratingSnapshot(), snapshot)
        XCTAssertEqual(try db.dump("SELECT * FROM cdr_cost_history ORDER BY id"), history)
        try db.assertMoneyEqualities()
    }

    /// A rerate with nothing changed in the catalog changes nothing, the imported calls included; nor does a second.
    func testARerateWithNothingChangedChangesNothing() throws {
        let db = try ratedWithImportedUsage()
        let snapshot = try db.ratingSnapshot()
        for _ in 0 ..< 2 {
            let r = try CLI.expect(0, rerateOctober + ["--format", "json"], db: db)
            XCTAssertTrue(r.stdout.contains("\"calls_repriced\" : 0"), r.stdout)
            XCTAssertEqual(try db.ratingSnapshot(), snapshot)
        }
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM cdr_cost_history"), "0")
        try db.assertMoneyEqualities()
    }

    /// `check` passes on a catalog rated over imported usage, and still names a row whose counts were tampered with.
    func testCheckAccountsForImportedCallsAndStillCatchesATamperedCount() throws {
        let db = try TestDatabase()
        try db.prepare()
        // SUB-10001: 10 minutes, 1 local, 2 mobile, 1 toll-free; SUB-10002 (periods from the 15th, 09:30): 5 minutes, 3 local, 1 std.
        try db.connect().execute(script: """
            INSERT INTO subscription_usage (subscription_id, billing_period_start, billing_period_end, minutes_included,
                minutes_used, local_calls, std_calls, isd_calls, mobile_calls, metadata)
            SELECT s.id, v.s::timestamptz, v.e::timestamptz, v.included, v.used, v.l, v.std, 0, v.m, v.meta::jsonb
            FROM (VALUES ('SUB-10001', '2024-10-01 00:00:00+05:30', '2024-11-01 00:00:00+05:30', 500, 10, 1, 0, 2, '{"toll_free_calls": 1}'),
                         ('SUB-10002', '2024-09-15 09:30:00+05:30', '2024-10-15 09:30:00+05:30', 2000, 5, 3, 1, 0, NULL))
                 AS v(number, s, e, included, used, l, std, m, meta)
            JOIN subscriptions s ON s.subscription_number = v.number
            """)
        let dir = try scratchFolder(self)
        try CLI.expect(0, ["rate", "--rejects-dir", dir.path, CLI.projectRoot.appendingPathComponent("samples").path], db: db)
        // samples/expected/README.md plus the imported usage. SUB-10001: 490 included left, so the 498-minute
        // call pays 8 overage, then 3 + 1 + 2 more: 14 overage = 7.00. SUB-10002: 2 + 1 minutes more, all included.
        // SUB-10004 and SUB-10005 (the demo tariffs, no imported usage) as in the README.
        XCTAssertEqual(try db.dump("""
            SELECT s.subscription_number, minutes_used, minutes_overage, overage_cost, local_calls, std_calls, isd_calls, mobile_calls,
                   u.metadata->>'toll_free_calls'
            FROM subscription_usage u JOIN subscriptions s ON s.id = u.subscription_id ORDER BY 1
            """), """
            SUB-10001|514|14|7.00|2|0|1|4|2
            SUB-10002|8|0|0.00|3|2|0|2|0
            SUB-10003|13|0|0.00|0|0|1|0|1
            SUB-10004|106|6|14.20|1|1|2|1|1
            SUB-10005|65|5|16.92|0|1|1|2|1
            """)
        XCTAssertEqual(try db.dump("SELECT account_number, balance FROM accounts ORDER BY 1"),
                       "ACC-10001|493.00\nACC-10002|2000.00\nACC-10003|0.00\nACC-10004|985.80\nACC-10005|0.00")
        let passed = try CLI.expect(0, ["check"], db: db)
        XCTAssertTrue(passed.stderr.contains("every usage row agrees with its calls"), passed.stderr)
        try db.assertMoneyEqualities()

        // A count changed behind the rater's back is named, whether in a column or in the imported part.
        let sub10002 = " WHERE subscription_id = (SELECT id FROM subscriptions WHERE subscription_number = 'SUB-10002')"
        // SUB-10002 records local/std/isd/mobile/toll-free 3/2/0/2/0: 0/1/0/2/0 of the calls + 3/1/0/0/0 imported.
        let tampering = [
            ("UPDATE subscription_usage SET mobile_calls = mobile_calls + 1", "UPDATE subscription_usage SET mobile_calls = mobile_calls - 1",
             "3/2/0/3/0 <> 0/1/0/2/0 of the calls + 3/1/0/0/0 imported"),
            ("UPDATE subscription_usage SET metadata = jsonb_set(metadata, '{imported_local_calls}', '4')",
             "UPDATE subscription_usage SET metadata = jsonb_set(metadata, '{imported_local_calls}', '3')",
             "3/2/0/2/0 <> 0/1/0/2/0 of the calls + 4/1/0/0/0 imported"),
        ]
        for (tamper, undo, named) in tampering {
            try db.connect().execute(script: tamper + sub10002)
            let failed = try CLI.expect(1, ["check"], db: db)
            XCTAssertEqual(failed.stdout, "SUB-10002 period from 2024-09-15 09:30 Asia/Kolkata: "
                + "answered calls by type (local/std/isd/mobile/toll-free) \(named)\n")
            try db.connect().execute(script: undo + sub10002)
            try CLI.expect(0, ["check"], db: db)
        }
    }

    /// A database rated before imported calls were kept apart: the migration finds them from the stored calls.
    func testTheMigrationFindsTheImportedCallsOfRowsRatedBefore() throws {
        let db = try ratedWithImportedUsage()
        // A row rating never wrote stays as it is: all of it is imported until rating first writes it.
        try db.connect().execute(script: """
            INSERT INTO subscription_usage (subscription_id, billing_period_start, billing_period_end, minutes_included, minutes_used, local_calls)
            SELECT id, '2024-11-01 00:00:00+05:30', '2024-12-01 00:00:00+05:30', 500, 7, 1 FROM subscriptions WHERE subscription_number = 'SUB-10001'
            """)
        let before = try db.ratingSnapshot()
        // Back to before the imported-calls migration, however many came after it.
        try CLI.expect(0, ["migrate", "down", "--steps", String(try migrationsSince("20241201000011-usage-imported-calls"))], db: db)
        // As an earlier version left the row: the imported minutes kept apart, the imported calls not.
        try db.connect().execute(script: """
            UPDATE subscription_usage SET metadata = metadata - ARRAY['imported_local_calls', 'imported_std_calls',
                'imported_isd_calls', 'imported_mobile_calls', 'imported_toll_free_calls']
            """)
        try CLI.expect(0, ["migrate"], db: db)
        XCTAssertEqual(try db.ratingSnapshot(), before)
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM subscription_usage WHERE metadata IS NULL"), "1")
        try CLI.expect(0, ["check"], db: db)
        try CLI.expect(0, rerateOctober, db: db)
        XCTAssertEqual(try db.ratingSnapshot(), before)
    }
}
