import Billing
import Foundation
import XCTest

/// SPEC sections 3 and 3b against a real PostgreSQL: the database is a
/// function of the set of CDRs and the catalog, whatever order they arrive
/// in; `rerate` re-prices against the catalog as it is now; the money
/// equalities hold after every step.
final class CorrectOverTimeTests: XCTestCase {
    // MARK: CDRs

    /// A FreeSWITCH line; `start` is the switch's wall clock (Asia/Kolkata).
    static func line(_ uuid: String, caller: String = "+919876543212", destination: String = "9812345678",
                     account: String = "ACC-10001", start: String, billsec: Int, cause: String? = nil) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy-MM-dd HH:mm:ss"
        let t = f.date(from: start)!
        let answer = billsec > 0 ? f.string(from: t.addingTimeInterval(2)) : ""
        let end = f.string(from: t.addingTimeInterval(Double(billsec + 2)))
        let hangup = cause ?? (billsec > 0 ? "NORMAL_CLEARING" : "NO_ANSWER")
        return "\"Caller\",\"\(caller)\",\"\(destination)\",\"default\",\"\(start)\",\"\(answer)\",\"\(end)\",\(billsec + 2),\(billsec),\"\(hangup)\",\"\(uuid)\",\"\",\"\(account)\",\"PCMU\",\"PCMU\""
    }

    /// About 90 CDRs over October 2024 for the demo subscriptions: SUB-10001
    /// (Starter, 500 included) and SUB-10002 (Professional, 2000 included,
    /// periods from the 15th at 09:30) both run past their included minutes;
    /// ties on start time, inbound, busy, toll-free and unmatched calls.
    static func octoberCalls() -> [String] {
        var seed: UInt64 = 7
        func next(_ n: Int) -> Int {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return Int((seed >> 33) % UInt64(n))
        }
        var lines: [String] = []
        for i in 0 ..< 40 {
            let day = 1 + next(31), hour = 8 + next(12), minute = next(4) * 15 // coarse, so starts tie
            lines.append(line(String(format: "%08x-0000-4000-8000-%012x", next(1 << 30), i), destination: i % 7 == 0 ? "1800 123 4567" : "9812345678",
                              start: String(format: "2024-10-%02d %02d:%02d:00", day, hour, minute), billsec: 600 + next(1800)))
        }
        for i in 0 ..< 30 {
            let day = 1 + next(31), hour = 8 + next(4)
            lines.append(line(String(format: "b2-%04d", i), destination: "+14155550100", account: "ACC-10002",
                              start: String(format: "2024-10-%02d %02d:30:00", day, hour), billsec: 9000 + next(3600)))
        }
        for i in 0 ..< 8 {
            lines.append(line("in-\(i)", caller: "9822000000", destination: "08041000001", account: "",
                              start: String(format: "2024-10-%02d 12:00:00", 2 + i * 3), billsec: 300))
            lines.append(line("busy-\(i)", start: String(format: "2024-10-%02d 13:00:00", 2 + i * 3), billsec: 0, cause: "USER_BUSY"))
        }
        lines.append(line("nobody-1", caller: "+918041000077", account: "", start: "2024-10-05 10:00:00", billsec: 120))
        return lines
    }

    func write(_ lines: [String], to url: URL) throws {
        try (lines.joined(separator: "\n") + "\n").write(to: url, atomically: true, encoding: .utf8)
    }

    func rate(_ db: TestDatabase, _ paths: [URL], rejects: URL) throws {
        try CLI.expect(0, ["rate", "--rejects-dir", rejects.path] + paths.map(\.path), db: db)
        try db.assertMoneyEqualities()
    }

    // MARK: tests

    func testLateFileTakesTheIncludedMinutesFromLaterCalls() throws {
        let db = try TestDatabase()
        try db.prepare()
        let dir = try scratchFolder(self)
        let late = dir.appendingPathComponent("20-oct.csv"), early = dir.appendingPathComponent("02-oct.csv")
        // 20 October: b1 300 minutes, b2 250 minutes: b1 included, b2 200 included + 50 overage = 25.00.
        try write([Self.line("b1", start: "2024-10-20 10:00:00", billsec: 300 * 60),
                   Self.line("b2", start: "2024-10-20 11:00:00", billsec: 250 * 60)], to: late)
        try rate(db, [late], rejects: dir)
        XCTAssertEqual(try db.dump("SELECT uuid, cost FROM cdrs ORDER BY uuid"), "b1|0.0000\nb2|25.0000")
        XCTAssertEqual(try db.scalar("SELECT balance FROM accounts WHERE account_number = 'ACC-10001'"), "475.00")
        // 2 October, rated after: a1 100 minutes is the month's first call. a1 and b1 included,
        // b2 only 100 included now: 150 overage = 75.00; the balance pays the 50.00 more.
        try write([Self.line("a1", start: "2024-10-02 09:00:00", billsec: 100 * 60)], to: early)
        let r = try CLI.expect(0, ["rate", "--rejects-dir", dir.path, early.path], db: db)
        XCTAssertTrue(r.stderr.contains("1 stored call(s) re-priced, cost +50.0000"), r.stderr)
        XCTAssertTrue(r.stdout.contains("re-priced: 1 stored call(s)"), r.stdout)
        try db.assertMoneyEqualities()
        XCTAssertEqual(try db.dump("""
            SELECT uuid, cost, metadata->>'included_minutes', metadata->>'overage_minutes' FROM cdrs ORDER BY uuid
            """), "a1|0.0000|100|0\nb1|0.0000|300|0\nb2|75.0000|100|150")
        XCTAssertEqual(try db.dump("""
            SELECT minutes_used, minutes_overage, overage_cost FROM subscription_usage u
            JOIN subscriptions s ON s.id = u.subscription_id WHERE s.subscription_number = 'SUB-10001'
            """), "650|150|75.00")
        XCTAssertEqual(try db.scalar("SELECT balance FROM accounts WHERE account_number = 'ACC-10001'"), "425.00")
        // The history says what changed, why and which file did it.
        XCTAssertEqual(try db.dump("""
            SELECT h.cdr_uuid, h.old_cost, h.new_cost, h.old_included_minutes, h.new_included_minutes, h.old_overage_minutes,
                   h.new_overage_minutes, h.reason, f.file_name, h.old_subscription_id = h.new_subscription_id
            FROM cdr_cost_history h JOIN cdr_files f ON f.id = h.cdr_file_id
            """), "b2|25.0000|75.0000|200|100|50|150|late_call|02-oct.csv|t")
    }

    func testAnyCutAndOrderOfTheFilesGivesTheSameDatabase() throws {
        let calls = Self.octoberCalls()
        let dir = try scratchFolder(self)
        func files(_ name: String, _ groups: [[String]]) throws -> [URL] {
            try groups.enumerated().map { i, g in
                let url = dir.appendingPathComponent("\(name)-\(i).csv")
                try write(g, to: url)
                return url
            }
        }
        // The reference: one file, one run.
        let reference = try TestDatabase()
        try reference.prepare()
        try rate(reference, try files("all", [calls]), rejects: dir)
        let expected = try reference.ratingSnapshot()
        XCTAssertTrue(expected.contains("|SUB-10001|"), "the reference rated calls")
        XCTAssertNotEqual(try reference.scalar("SELECT count(*) FROM cdrs WHERE cost > 0 AND metadata->>'included_minutes' <> '0'"), "0",
                          "some call crosses the line")

        // Four files by line number mod 4, each in a run of its own, in the order 3, 1, 0, 2.
        let mod = try files("mod", (0 ..< 4).map { k in calls.enumerated().filter { $0.offset % 4 == k }.map(\.element) })
        let a = try TestDatabase()
        try a.prepare()
        for i in [3, 1, 0, 2] { try rate(a, [mod[i]], rejects: dir) }
        XCTAssertEqual(try a.ratingSnapshot(), expected)

        // Chronological slices named so that path order is latest first, all in one run.
        let byStart = calls.sorted { $0.split(separator: ",")[4] < $1.split(separator: ",")[4] }
        let slices = stride(from: 0, to: byStart.count, by: 25).map { Array(byStart[$0 ..< min($0 + 25, byStart.count)]) }
        let reversed = try files("slice", slices.reversed())
        let b = try TestDatabase()
        try b.prepare()
        try rate(b, reversed, rejects: dir)
        XCTAssertEqual(try b.ratingSnapshot(), expected)

        // Seven files of random calls (some calls in two files), two runs of shuffled files.
        var seed: UInt64 = 99
        func next(_ n: Int) -> Int {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return Int((seed >> 33) % UInt64(n))
        }
        var groups = Array(repeating: [String](), count: 7)
        for c in calls {
            groups[next(7)].append(c)
            if next(5) == 0 { groups[next(7)].append(c) }
        }
        let random = try files("random", groups.map { Array(Set($0)).sorted() })
        var order = Array(0 ..< 7)
        for i in order.indices.reversed() { order.swapAt(i, next(i + 1)) }
        let c = try TestDatabase()
        try c.prepare()
        for i in order.prefix(3) { try rate(c, [random[i]], rejects: dir) }
        try rate(c, order.dropFirst(3).map { random[$0] }, rejects: dir)
        XCTAssertEqual(try c.ratingSnapshot(), expected)
        XCTAssertEqual(try c.scalar("SELECT sum(duplicates) > 0 FROM cdr_files"), "t", "some calls came twice")
    }

    func testTariffChangeThenRerateEqualsAFreshDatabaseAtTheNewTariff() throws {
        let calls = Self.octoberCalls()
        let dir = try scratchFolder(self)
        let first = dir.appendingPathComponent("first.csv"), second = dir.appendingPathComponent("second.csv")
        try write(Array(calls.prefix(50)), to: first)
        try write(Array(calls.dropFirst(50)), to: second)
        let change = "UPDATE rate_plans SET overage_rate_per_minute = 0.75, included_minutes = 450 WHERE name = 'Starter'"

        let db = try TestDatabase()
        try db.prepare()
        try rate(db, [first], rejects: dir)
        // The plan changes between two files: the stored calls keep their prices, the new ones take the
        // new rate, and overage_cost, the call costs and the balance still agree.
        try db.connect().execute(script: change)
        try rate(db, [second], rejects: dir)

        try CLI.expect(0, ["rerate", "--from", "2024-10-01", "--to", "2024-11-01"], db: db)
        try db.assertMoneyEqualities()

        let fresh = try TestDatabase()
        try fresh.prepare()
        try fresh.connect().execute(script: change)
        try rate(fresh, [first, second], rejects: dir)
        XCTAssertEqual(try db.ratingSnapshot(), try fresh.ratingSnapshot())

        // The rerate is recorded, and each change explained.
        XCTAssertEqual(try db.dump("SELECT calls_examined, periods > 0, cost_delta <> 0 FROM rerate_runs"), "\(calls.count)|t|t")
        XCTAssertEqual(try db.scalar("""
            SELECT count(*) = count(*) FILTER (WHERE h.rerate_run_id = r.id AND h.old_cost <> h.new_cost)
            FROM cdr_cost_history h, rerate_runs r WHERE h.reason = 'rerate'
            """), "t")
        XCTAssertEqual(try db.scalar("""
            SELECT sum(h.new_cost - h.old_cost) = (SELECT cost_delta FROM rerate_runs) FROM cdr_cost_history h WHERE h.reason = 'rerate'
            """), "t")

        // A second rerate changes nothing, not even the history.
        let snapshot = try db.ratingSnapshot()
        let history = try db.dump("SELECT * FROM cdr_cost_history ORDER BY id")
        let again = try CLI.expect(0, ["rerate", "--from", "2024-10-01", "--to", "2024-11-01", "--format", "json"], db: db)
        XCTAssertTrue(again.stdout.contains("\"calls_repriced\" : 0"), again.stdout)
        XCTAssertEqual(try db.ratingSnapshot(), snapshot)
        XCTAssertEqual(try db.dump("SELECT * FROM cdr_cost_history ORDER BY id"), history)
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM cdrs WHERE updated_at > (SELECT max(finished_at) FROM rerate_runs WHERE calls_repriced > 0)"), "0")
    }

    func testUnmatchedCallsAreMatchedOnceTheirDIDIsAssigned() throws {
        let dir = try scratchFolder(self)
        let file = dir.appendingPathComponent("calls.csv")
        // Calls from +918041000077 with no account code: no subscription has that DID yet.
        try write((0 ..< 6).map { i in
            Self.line("from-new-did-\(i)", caller: "080 4100 0077", account: "", start: "2024-10-0\(i + 2) 10:00:00", billsec: 6000)
        } + [Self.line("other", start: "2024-10-03 09:00:00", billsec: 60)], to: file)
        let assign = """
            INSERT INTO dids (subscription_id, did_number, country, country_code, did_type, status, monthly_rate, assigned_at)
            SELECT id, '+918041000077', 'IN', '+91', 'local', 'assigned', 99.00, start_date FROM subscriptions WHERE subscription_number = 'SUB-10001'
            """
        let db = try TestDatabase()
        try db.prepare()
        try rate(db, [file], rejects: dir)
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM cdrs WHERE subscription_id IS NULL AND processing_status = 'failed'"), "6")
        try db.connect().execute(script: assign)
        let r = try CLI.expect(0, ["rerate", "--from", "2024-10-01", "--to", "2024-11-01", "--unmatched"], db: db)
        XCTAssertTrue(r.stderr.contains("matched anew 6"), r.stderr)
        try db.assertMoneyEqualities()
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM cdrs WHERE subscription_id IS NULL"), "0")
        // Six calls of 100 minutes (2-7 October) and "other" (1 minute, 3 October): 500 included go to
        // did-0, other, did-1, did-2, did-3; did-4 crosses (99 included, 1 overage), did-5 pays 100
        // minutes: 101 x 0.50 = 50.50.
        XCTAssertEqual(try db.scalar("SELECT sum(cost) FROM cdrs"), "50.5000")
        // Six history rows (each call changed subscription), two of them with a new price.
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM cdr_cost_history WHERE reason = 'rerate' AND old_subscription_id IS NULL"), "6")
        XCTAssertEqual(try db.dump("SELECT cdr_uuid, old_cost, new_cost FROM cdr_cost_history WHERE old_cost <> new_cost ORDER BY 1"),
                       "from-new-did-4|0.0000|0.5000\nfrom-new-did-5|0.0000|50.0000")

        let fresh = try TestDatabase()
        try fresh.prepare()
        try fresh.connect().execute(script: assign)
        try rate(fresh, [file], rejects: dir)
        XCTAssertEqual(try db.ratingSnapshot(), try fresh.ratingSnapshot())
    }

    func testCallsNoSubscriptionMatchesNowKeepTheirs() throws {
        let dir = try scratchFolder(self)
        let file = dir.appendingPathComponent("from-did.csv")
        // Outbound from SUB-10001's DID with no account code: charged to SUB-10001 (2 x 600 minutes).
        try write([Self.line("d1", caller: "080 4100 0001", account: "", start: "2024-10-02 10:00:00", billsec: 36000),
                   Self.line("d2", caller: "080 4100 0001", account: "", start: "2024-10-03 10:00:00", billsec: 36000)], to: file)
        let db = try TestDatabase()
        try db.prepare()
        try rate(db, [file], rejects: dir)
        XCTAssertEqual(try db.dump("SELECT uuid, cost FROM cdrs ORDER BY 1"), "d1|50.0000\nd2|300.0000")
        // The DID is released: nothing matches the calls now. A tariff change and a rerate keep them
        // with SUB-10001 at the new rate instead of dropping them to unmatched at cost 0.
        try db.connect().execute(script: """
            UPDATE dids SET subscription_id = NULL, status = 'available' WHERE did_number = '+918041000001';
            UPDATE rate_plans SET overage_rate_per_minute = 0.60 WHERE name = 'Starter';
            """)
        let r = try CLI.expect(0, ["rerate", "--from", "2024-10-01", "--to", "2024-11-01"], db: db)
        XCTAssertTrue(r.stdout.contains("kept their subscription: 2"), r.stdout)
        XCTAssertEqual(try db.dump("""
            SELECT uuid, s.subscription_number, cost FROM cdrs c JOIN subscriptions s ON s.id = c.subscription_id ORDER BY 1
            """), "d1|SUB-10001|60.0000\nd2|SUB-10001|360.0000")
        try db.assertMoneyEqualities()
    }

    func testDryRunsAndWhatIfWriteNothing() throws {
        let db = try TestDatabase()
        try db.prepare()
        let dir = try scratchFolder(self)
        let samples = CLI.projectRoot.appendingPathComponent("samples")
        let plans = dir.appendingPathComponent("plans.csv")
        try "name,included_minutes,overage_rate_per_minute\nStarter,600,0.40\n".write(to: plans, atomically: true, encoding: .utf8)
        func everything() throws -> String {
            try db.ratingSnapshot() + (try db.dump("""
                SELECT (SELECT count(*) FROM cdr_files), (SELECT count(*) FROM rerate_runs), (SELECT count(*) FROM cdr_cost_history),
                       (SELECT max(updated_at) FROM cdrs)
                """))
        }
        // rate --dry-run --plans: SUB-10001 pays 4 overage minutes (2.0000) today; with 600 included,
        // all its 504 charged minutes are included: 0.0000, 2.0000 less. The total adds the tariff plans' calls
        // (SUB-10004, SUB-10005: 160 included, 11 overage minutes, 31.1200), the same in both columns.
        var before = try everything()
        let whatIf = try CLI.expect(0, ["rate", "--dry-run", "--plans", plans.path, "--format", "csv", samples.path], db: db, cwd: dir)
        let header = whatIf.stdout.split(separator: "\n")[0]
        XCTAssertTrue(header.hasSuffix("included_min,overage_min,cost,proposed_included_min,proposed_overage_min,proposed_cost,difference"), String(header))
        XCTAssertTrue(whatIf.stdout.contains("\nSUB-10001,8,5,1,2,0,0,1,0,1,5,1,500,4,2.0000,504,0,0.0000,-2.0000\n"), whatIf.stdout)
        XCTAssertTrue(whatIf.stdout.contains("\nTOTAL,29,23,3,2,0,1,2,3,6,14,4,676,15,33.1200,680,11,31.1200,-2.0000\n"), whatIf.stdout)
        XCTAssertEqual(try everything(), before)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["plans.csv"])

        try rate(db, [samples], rejects: dir)
        try db.connect().execute(script: "UPDATE rate_plans SET overage_rate_per_minute = 1.00 WHERE name = 'Starter'")
        before = try everything()
        // rerate --dry-run: the same 4 overage minutes at 1.00.
        let dry = try CLI.expect(0, ["rerate", "--dry-run", "--from", "2024-10-01", "--to", "2024-11-01", "--format", "csv"], db: db)
        XCTAssertTrue(dry.stdout.contains("\nSUB-10001,2024-10-01 00:00:00,8,504,500,4,2.0000,4.0000,+2.0000\n"), dry.stdout)
        // ... and under proposed plans: 600 included, nothing to pay.
        let proposed = try CLI.expect(0, ["rerate", "--dry-run", "--plans", plans.path, "--from", "2024-10-01", "--to", "2024-11-01",
                                          "--format", "csv"], db: db)
        XCTAssertTrue(proposed.stdout.contains("\nSUB-10001,2024-10-01 00:00:00,8,504,504,0,2.0000,0.0000,-2.0000\n"), proposed.stdout)
        XCTAssertEqual(try everything(), before)
        try CLI.expect(2, ["rerate", "--plans", plans.path, "--from", "2024-10-01", "--to", "2024-11-01"], db: db)
        // A misspelt filter would select nothing and look like a rerate that ran.
        let typo = try CLI.expect(2, ["rerate", "--plan", "starter", "--from", "2024-10-01", "--to", "2024-11-01"], db: db)
        XCTAssertTrue(typo.stderr.contains("--plan 'starter' names no row of rate_plans"), typo.stderr)
        try CLI.expect(2, ["rerate", "--subscription", "SUB-99999", "--from", "2024-10-01", "--to", "2024-11-01"], db: db)
        XCTAssertEqual(try everything(), before)
        try CLI.expect(2, ["rate", "--plans", plans.path, samples.path], db: db)
    }

    func testKilledRerateLeavesNothingAndARerunIsClean() throws {
        let calls = Self.octoberCalls()
        let dir = try scratchFolder(self)
        let file = dir.appendingPathComponent("calls.csv")
        try write(calls, to: file)
        let change = "UPDATE rate_plans SET overage_rate_per_minute = 0.60 WHERE name IN ('Starter', 'Professional')"
        let clean = try TestDatabase(), killed = try TestDatabase()
        for db in [clean, killed] {
            try db.prepare()
            try rate(db, [file], rejects: dir)
            try db.connect().execute(script: change)
        }
        try CLI.expect(0, ["rerate", "--from", "2024-10-01", "--to", "2024-11-01"], db: clean)

        let before = try killed.ratingSnapshot()
        // The process kills itself (SIGKILL) after updating the calls, before usage rows and the commit.
        let r = try CLI.run(["rerate", "--from", "2024-10-01", "--to", "2024-11-01"], db: killed,
                            environment: ["CDR_RATER_FAIL_POINT": "rerate:calls-updated"])
        XCTAssertEqual(r.status, SIGKILL, "died by the fail point")
        for _ in 0 ..< 200 {
            if try killed.scalar("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'cdr-rater'") == "0" { break }
            usleep(50_000)
        }
        XCTAssertEqual(try killed.ratingSnapshot(), before)
        XCTAssertEqual(try killed.dump("SELECT (SELECT count(*) FROM rerate_runs), (SELECT count(*) FROM cdr_cost_history)"), "0|0")
        try killed.assertMoneyEqualities()

        try CLI.expect(0, ["rerate", "--from", "2024-10-01", "--to", "2024-11-01"], db: killed)
        try killed.assertMoneyEqualities()
        XCTAssertEqual(try killed.ratingSnapshot(), try clean.ratingSnapshot())
        XCTAssertEqual(try killed.dump("SELECT count(*), sum(new_cost - old_cost) FROM cdr_cost_history"),
                       try clean.dump("SELECT count(*), sum(new_cost - old_cost) FROM cdr_cost_history"))
    }

    func testAnUnseededDatabaseIsRefusedAndAllUnmatchedIsLoud() throws {
        let db = try TestDatabase()
        try CLI.expect(0, ["migrate"], db: db)
        let samples = CLI.projectRoot.appendingPathComponent("samples")
        let dir = try scratchFolder(self)
        let r = try CLI.expect(1, ["rate", "--rejects-dir", dir.path, samples.path], db: db)
        XCTAssertTrue(r.stderr.contains("no rate plans") && r.stderr.contains("Seed it first"), r.stderr)
        try CLI.expect(1, ["rate", "--dry-run", samples.path], db: db)
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM cdr_files"), "0")

        try CLI.expect(0, ["seed"], db: db)
        let file = dir.appendingPathComponent("nobody.csv")
        try write([Self.line("n1", caller: "+918041000077", account: "ACC-99999", start: "2024-10-05 10:00:00", billsec: 60)], to: file)
        let all = try CLI.expect(0, ["rate", "--rejects-dir", dir.path, file.path], db: db)
        XCTAssertTrue(all.stdout.contains("WARNING: every call matched no subscription"), all.stdout)
    }
}
