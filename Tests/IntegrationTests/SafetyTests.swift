import Foundation
import XCTest

/// Nothing billed is lost to a command (issue "Trust", SPEC section 6,
/// "Privilege and safety"): migrate and seed undo never run across a rate,
/// a revert that would drop billed data needs --force, production refuses
/// the commands that drop everything, and a claim left by a killed rater
/// is taken over.
final class SafetyTests: XCTestCase {
    /// A rate in progress holding the rating lock (`run_lock_holders` shows its pid).
    private func rateInProgress(_ db: TestDatabase, _ dir: URL, lines: Int = 150_000, name: String = "big",
                                environment: [String: String] = [:]) throws -> Process {
        let file = dir.appendingPathComponent("\(name).csv")
        try syntheticFreeSWITCH(lines: lines, prefix: name).write(to: file, atomically: true, encoding: .utf8)
        let (p, _, _) = try CLI.start(["rate", "--rejects-dir", dir.path, file.path], db: db, environment: environment)
        XCTAssertTrue(try waitUntil { try db.scalar("SELECT count(*) FROM run_lock_holders WHERE pid = \(p.processIdentifier)") == "1" },
                      "the rate never took the rating lock")
        return p
    }

    /// The issue's data loss: `migrate down --steps 1` during a rate's commit dropped the rate's rows.
    func testMigrateDownDuringARateWaitsOrExits75AndLosesNothing() throws {
        let db = try TestDatabase()
        try db.prepare()
        let dir = try scratchFolder(self)
        let rate = try rateInProgress(db, dir)
        let refused = try CLI.run(["migrate", "down", "--steps", "1"], db: db)
        XCTAssertEqual(refused.status, 75, refused.stderr)
        XCTAssertTrue(refused.stderr.contains("cdr-rater rate on host \(ProcessInfo.processInfo.hostName), pid \(rate.processIdentifier)"),
                      refused.stderr)
        XCTAssertEqual(try db.scalar("SELECT relkind FROM pg_class WHERE relname = 'cdrs'"), "p", "nothing was reverted")
        // One that waits goes once the rate has committed, and keeps every call it stored:
        // back to before the partitioning migration, which moves the calls into one table.
        let partitioning = String(try migrationsSince("20241201000007-partition-cdrs-by-month"))
        let waited = try CLI.run(["migrate", "down", "--steps", partitioning, "--lock-wait", "600"], db: db)
        XCTAssertEqual(waited.status, 0, waited.stderr)
        XCTAssertTrue(waited.stderr.contains("waiting for the rating lock: cdr-rater rate"), waited.stderr)
        rate.waitUntilExit()
        XCTAssertEqual(rate.terminationStatus, 0)
        XCTAssertEqual(try db.scalar("SELECT relkind FROM pg_class WHERE relname = 'cdrs'"), "r", "reverted after the rate")
        let stored = try db.scalar("SELECT stored FROM cdr_files WHERE file_name = 'big.csv'")
        XCTAssertEqual(try db.scalar("SELECT count(*)::text FROM cdrs"), stored)
        XCTAssertNotEqual(stored, "0")
        try CLI.expect(0, ["migrate"], db: db)
        XCTAssertEqual(try db.scalar("SELECT count(*)::text FROM cdrs"), stored)
        try CLI.expect(0, ["check"], db: db)
        try db.assertMoneyEqualities()
    }

    func testARevertThatDropsBilledDataNeedsForce() throws {
        let db = try TestDatabase()
        try db.prepare()
        let dir = try scratchFolder(self)
        try CLI.expect(0, ["rate", "--rejects-dir", dir.path, CLI.projectRoot.appendingPathComponent("samples").path], db: db)
        let applied = try db.scalar("SELECT count(*) FROM schema_migrations")
        let latest = try db.scalar("SELECT max(name) FROM schema_migrations") ?? ""
        let r = try CLI.expect(1, ["migrate", "down", "--all"], db: db)
        XCTAssertTrue(r.stderr.contains("migrate down of \(applied ?? "") migrations (\(latest) back to 20241001000000-create-users) would drop billed data: 29 rated calls, 27 rated calls tied to a subscription, 5 usage rows, 3 ledger entries of rated files."), r.stderr)
        XCTAssertTrue(r.stderr.contains("Nothing was changed") && r.stderr.contains("--force"), r.stderr)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM schema_migrations"), applied, "all or nothing")
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM cdrs"), "29")
        // The partitioning migration moves the calls back into one table: nothing lost, no --force needed.
        try CLI.expect(0, ["migrate", "down", "--steps", String(try migrationsSince("20241201000007-partition-cdrs-by-month"))], db: db)
        XCTAssertEqual(try db.scalar("SELECT relkind FROM pg_class WHERE relname = 'cdrs'"), "r")
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM cdrs"), "29")
        try CLI.expect(0, ["migrate"], db: db)
        // Told to, it drops (no terminal: no question).
        try CLI.expect(0, ["migrate", "down", "--all", "--force"], db: db)
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM schema_migrations"), "0")
        XCTAssertEqual(try db.scalar("SELECT to_regclass('cdrs')::text"), nil)
    }

    /// On a terminal, --force asks for the database's name before it drops anything.
    func testForceOnATerminalAsksForTheDatabasesName() throws {
        let db = try TestDatabase()
        try db.prepare()
        let dir = try scratchFolder(self)
        try CLI.expect(0, ["rate", "--rejects-dir", dir.path, CLI.projectRoot.appendingPathComponent("samples").path], db: db)
        func onATerminal(typing answer: String) throws -> (Int32, String) {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/script") // a pseudo-terminal for the command
            p.arguments = ["-qec", "'\(CLI.binary.path)' migrate down --all --force", "/dev/null"]
            var env = ProcessInfo.processInfo.environment
            env["DATABASE_URL"] = db.url
            env["CDR_RATER_HOME"] = CLI.projectRoot.path
            p.environment = env
            let input = Pipe(), out = Pipe()
            (p.standardInput, p.standardOutput) = (input, out)
            try p.run()
            input.fileHandleForWriting.write(Data((answer + "\n").utf8))
            let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            return (p.terminationStatus, text)
        }
        let (refused, asked) = try onATerminal(typing: "yes")
        XCTAssertEqual(refused, 1, asked)
        XCTAssertTrue(asked.contains("Type the database's name (\(db.name)) to drop it"), asked)
        XCTAssertTrue(asked.contains("not confirmed; nothing was changed"), asked)
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM cdrs"), "29")
        let (done, text) = try onATerminal(typing: db.name)
        XCTAssertEqual(done, 0, text)
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM schema_migrations"), "0")
    }

    func testSeedUndoWithRatedCallsNeedsForce() throws {
        let db = try TestDatabase()
        try db.prepare()
        let dir = try scratchFolder(self)
        try CLI.expect(0, ["rate", "--rejects-dir", dir.path, CLI.projectRoot.appendingPathComponent("samples").path], db: db)
        let before = try db.ratingSnapshot()
        let r = try CLI.expect(1, ["seed", "undo"], db: db)
        XCTAssertTrue(r.stderr.contains("seed undo of demo-tariff, demo-customers, rate-plans, admin-users would drop billed data"), r.stderr)
        XCTAssertTrue(r.stderr.contains("would drop billed data: 27 rated calls tied to a subscription, 5 usage rows."), r.stderr)
        XCTAssertEqual(try db.ratingSnapshot(), before, "nothing was removed")
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM subscriptions"), "5")
        try CLI.expect(0, ["seed", "undo", "--force"], db: db)
        XCTAssertEqual(try db.dump("SELECT (SELECT count(*) FROM subscriptions), (SELECT count(*) FROM cdrs WHERE subscription_id IS NULL)"), "0|29")
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM subscription_usage"), "0")
    }

    func testProductionRefusesDownAllAndSeedUndo() throws {
        let db = try TestDatabase()
        try CLI.expect(0, ["migrate"], db: db)
        // The run's word is enough, even on a database that does not say it.
        let byFlag = try CLI.expect(1, ["migrate", "down", "--all", "--env", "production"], db: db)
        XCTAssertTrue(byFlag.stderr.contains("migrate down --all is refused in production"), byFlag.stderr)
        try CLI.expect(1, ["migrate", "down", "--all"], db: db, environment: ["CDR_RATER_ENV": "production"])
        // A production seed marks the database: then no shell can forget it, --force or not.
        try CLI.expect(0, ["seed", "--env", "production"], db: db, environment: ["CDR_RATER_ADMIN_PASSWORD": "Xq7-long-admin-secret",
                                                                                "CDR_RATER_SUPPORT_PASSWORD": "Xq7-long-support-secret"])
        XCTAssertEqual(try db.scalar("SELECT value FROM billing_settings WHERE name = 'environment'"), "production")
        for args in [["migrate", "down", "--all", "--force"], ["seed", "undo", "--force"]] {
            let r = try CLI.expect(1, args, db: db)
            XCTAssertTrue(r.stderr.contains("is refused in production"), r.stderr)
        }
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM rate_plans"), "3")
        XCTAssertNotEqual(try db.scalar("SELECT count(*) FROM schema_migrations"), "0")
        // The mark holds for seeding too: no demo customers (published passwords) into production, however asked.
        try CLI.expect(0, ["seed"], db: db)
        for args in [["seed", "--only", "demo-customers"], ["seed", "--env", "development"]] {
            let r = try CLI.expect(2, args, db: db)
            XCTAssertTrue(r.stderr.contains("production"), r.stderr)
        }
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM customers"), "0")
        // A revert of one step that loses nothing still works in production.
        try CLI.expect(0, ["migrate", "down", "--steps", "1"], db: db)
        try CLI.expect(0, ["migrate"], db: db)
    }

    func testSeedUndoWaitsForARate() throws {
        let db = try TestDatabase()
        try db.prepare()
        let dir = try scratchFolder(self)
        let rate = try rateInProgress(db, dir)
        let r = try CLI.run(["seed", "undo", "--force"], db: db)
        XCTAssertEqual(r.status, 75, r.stderr)
        XCTAssertTrue(r.stderr.contains("cdr-rater rate on host"), r.stderr)
        rate.waitUntilExit()
        XCTAssertEqual(rate.terminationStatus, 0)
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM subscriptions"), "5")
    }

    /// The issue's killed rater: its server session went on (a statement in flight) and still
    /// held the file's claim and the rating lock; the rerun said "pid N is rating it now" of a dead pid.
    func testAClaimLeftByAKilledRaterIsTakenOver() throws {
        let db = try TestDatabase()
        try db.prepare()
        let dir = try scratchFolder(self)
        let file = dir.appendingPathComponent("claimed.csv")
        try syntheticFreeSWITCH(lines: 500, prefix: "claimed").write(to: file, atomically: true, encoding: .utf8)
        let (killed, _, _) = try CLI.start(["rate", "--rejects-dir", dir.path, file.path], db: db,
                                           environment: ["CDR_RATER_FAIL_POINT": "rate:claimed"])
        let orphan = "SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(60)' AND state = 'active'"
        XCTAssertTrue(try waitUntil { try db.scalar(orphan) == "1" }, "the rater never reached its claim")
        kill(killed.processIdentifier, SIGKILL)
        killed.waitUntilExit()
        XCTAssertEqual(try db.scalar(orphan), "1", "the server session outlives the process")
        // rerate needs the rating lock alone: the orphan's share of it is taken over.
        let rerate = try CLI.expect(0, ["rerate", "--from", "2024-10-01", "--to", "2024-11-01"], db: db)
        XCTAssertTrue(rerate.stderr.contains("pid \(killed.processIdentifier), since") && rerate.stderr.contains("which is gone: ending its server session"),
                      rerate.stderr)
        XCTAssertEqual(try db.scalar(orphan), "0")

        // Again, and the rerun takes over the file's claim itself.
        let (again, _, _) = try CLI.start(["rate", "--rejects-dir", dir.path, file.path], db: db,
                                          environment: ["CDR_RATER_FAIL_POINT": "rate:claimed"])
        XCTAssertTrue(try waitUntil { try db.scalar(orphan) == "1" }, "the rater never reached its claim")
        kill(again.processIdentifier, SIGKILL)
        again.waitUntilExit()
        let rerun = try CLI.expect(0, ["rate", "--rejects-dir", dir.path, file.path], db: db)
        XCTAssertTrue(rerun.stderr.contains("claimed.csv is held by cdr-rater rate on host"), rerun.stderr)
        XCTAssertFalse(rerun.stderr.contains("left to another run") || rerun.stdout.contains("is rating it now"), rerun.stderr + rerun.stdout)
        XCTAssertEqual(try db.scalar("SELECT status || ' ' || stored FROM cdr_files WHERE file_name = 'claimed.csv'"), "rated 500")
        try db.assertMoneyEqualities()
    }

    /// kill -9 at a random moment of a file's rating, a rerun at once: every file rated, nothing twice.
    func testSIGKILLThenARerunAtOnceRatesEveryFile() throws {
        let db = try TestDatabase()
        try db.prepare()
        let dir = try scratchFolder(self)
        let lines = 40_000
        for trial in 0 ..< 4 {
            let file = dir.appendingPathComponent("trial-\(trial).csv")
            try syntheticFreeSWITCH(lines: lines, prefix: "t\(trial)").write(to: file, atomically: true, encoding: .utf8)
            let (p, _, _) = try CLI.start(["rate", "--rejects-dir", dir.path, file.path], db: db)
            // Once it copies, at one of a few moments of the COPY.
            XCTAssertTrue(try waitUntil(seconds: 60) {
                try db.scalar("SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'COPY cdrs%'") != "0" || !p.isRunning
            })
            usleep(UInt32.random(in: 0 ... 600_000))
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            let rerun = try CLI.expect(0, ["rate", "--rejects-dir", dir.path, file.path], db: db)
            XCTAssertFalse(rerun.stderr.contains("left to another run"), "trial \(trial): \(rerun.stderr)")
            XCTAssertEqual(try db.scalar("SELECT status FROM cdr_files WHERE file_name = 'trial-\(trial).csv'"), "rated",
                           "trial \(trial): \(rerun.stderr)")
        }
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM cdrs"), String(4 * lines))
        try CLI.expect(0, ["check"], db: db)
        try db.assertMoneyEqualities()
    }

    /// A partial file whose complete version no longer exists failed every night forever.
    func testAPartialFileAcceptedAsFinalLetsTheNightGoGreen() throws {
        let db = try TestDatabase()
        try db.prepare()
        let dir = try scratchFolder(self)
        let inbox = dir.appendingPathComponent("inbox"), archive = dir.appendingPathComponent("archive")
        try FileManager.default.createDirectory(at: inbox, withIntermediateDirectories: true)
        let lines = (1 ... 400).map { i in
            CorrectOverTimeTests.line("accept-\(i)", start: "2024-10-05 10:00:00", billsec: 30)
        }.joined(separator: "\n") + "\n"
        let complete = try gzip(lines)
        let file = inbox.appendingPathComponent("night.csv.gz")
        try complete.prefix(complete.count * 2 / 3).write(to: file)
        let nightly = ["rate", "--quiet", "--rejects-dir", dir.path, "--archive-dir", archive.path, inbox.path]
        try CLI.expect(1, nightly, db: db)
        try CLI.expect(1, nightly, db: db)
        let stored = try db.scalar("SELECT stored FROM cdr_files WHERE file_name = 'night.csv.gz'") ?? ""
        XCTAssertNotEqual(stored, "0")
        // Only a partial file can be accepted, and only a known one.
        try CLI.expect(1, ["files", "accept", dir.appendingPathComponent("nowhere.csv.gz").path], db: db)
        let accepted = try CLI.expect(0, ["files", "accept", file.path], db: db)
        XCTAssertTrue(accepted.stdout.contains("accepted night.csv.gz as final (\(stored) calls stored), by "), accepted.stdout)
        XCTAssertEqual(try db.scalar("SELECT accepted_by LIKE '%@' || $$\(ProcessInfo.processInfo.hostName)$$ AND accepted_at IS NOT NULL FROM cdr_files"), "t")
        let again = try CLI.expect(0, ["files", "accept", "night.csv.gz"], db: db)
        XCTAssertTrue(again.stdout.contains("was accepted as final already, by "), again.stdout)
        // The next night is green, and the file goes to the archive.
        let green = try CLI.expect(0, nightly, db: db)
        XCTAssertEqual(green.stderr, "")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: inbox.path), [])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: archive.path), ["night.csv.gz"])
        XCTAssertEqual(try db.scalar("SELECT count(*)::text FROM cdrs"), stored, "nothing stored again")
        let listed = try CLI.expect(0, ["files", "--status", "partial", "--format", "json"], db: db)
        XCTAssertTrue(listed.stdout.contains("\"accepted\" : \"") && listed.stdout.contains(ProcessInfo.processInfo.hostName), listed.stdout)
        // A file rated in full has nothing to accept.
        let full = inbox.appendingPathComponent("full.csv")
        try CorrectOverTimeTests.line("full-1", start: "2024-10-05 11:00:00", billsec: 30).write(to: full, atomically: true, encoding: .utf8)
        try CLI.expect(0, ["rate", "--rejects-dir", dir.path, full.path], db: db)
        let refused = try CLI.expect(1, ["files", "accept", full.path], db: db)
        XCTAssertTrue(refused.stderr.contains("full.csv is rated in full: there is nothing to accept"), refused.stderr)
    }
}

