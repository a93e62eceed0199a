import Foundation
import Postgres
import XCTest

/// SPEC section 6, privilege and safety: a nightly role that is neither
/// owner nor superuser runs the nightly job once `grants --apply` gave it
/// what it needs, months with no partition yet included, and keeps it
/// across migrations.
final class PrivilegeTests: XCTestCase {
    /// A file of a few calls of SUB-10001 in `month` (YYYY-MM).
    func callsFile(_ dir: URL, month: String) throws -> String {
        let file = dir.appendingPathComponent("\(month).csv")
        let lines = (1 ... 3).map { day in
            CorrectOverTimeTests.line("night-\(month)-\(day)", start: "\(month)-0\(day) 10:00:00", billsec: 60 * day)
        }
        try (lines.joined(separator: "\n") + "\n").write(to: file, atomically: true, encoding: .utf8)
        return file.path
    }

    func testANightlyRoleRatesNewMonthsOnceGrantedAndAfterMigrations() throws {
        let db = try TestDatabase()
        try db.prepare()
        let nightly = try TestRole(self, db: db)
        let dir = try scratchFolder(self)
        let rejects = ["--rejects-dir", dir.appendingPathComponent("rejects").path]
        func asNightly(_ args: [String]) throws -> CLIResult {
            try CLI.run(args, db: nil, environment: ["DATABASE_URL": nightly.url])
        }
        func expectNightly(_ args: [String], file: StaticString = #filePath, line: UInt = #line) throws -> CLIResult {
            let r = try asNightly(args)
            XCTAssertEqual(r.status, 0, "as \(nightly.name): cdr-rater \(args.joined(separator: " "))\n\(r.stderr)", file: file, line: line)
            return r
        }
        let october = try callsFile(dir, month: "2024-10")
        let job = [["rate"] + rejects + [october], ["rerate", "--from", "2024-10-01", "--to", "2024-12-01"], ["files"], ["check"],
                   ["partitions", "ensure", "--ahead", "0"]]

        // Before grants: every step of the nightly job is refused, and says why.
        for args in job {
            let r = try asNightly(args)
            XCTAssertEqual(r.status, 1, "\(args): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("permission denied") && r.stderr.contains("'cdr-rater grants --role NAME --apply'"), "\(args): \(r.stderr)")
        }
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM cdrs"), "0")

        let granted = try CLI.expect(0, ["grants", "--role", nightly.name, "--apply"], db: db)
        XCTAssertTrue(granted.stdout.contains("GRANT EXECUTE ON FUNCTION public.cdrs_open_month_load(date) TO \"\(nightly.name)\""), granted.stdout)

        // A month with no partition yet, by the bulk path; another by COPY into a partition the role had made.
        let bulk = try expectNightly(["rate"] + rejects + [october])
        XCTAssertTrue(bulk.stderr.contains("the backfill path"), bulk.stderr)
        let plain = try expectNightly(["rate", "--no-bulk-load"] + rejects + [try callsFile(dir, month: "2024-11")])
        XCTAssertFalse(plain.stderr.contains("the backfill path"), plain.stderr)
        try expectNightly(["rerate", "--from", "2024-10-01", "--to", "2024-12-01"])
        XCTAssertTrue(try expectNightly(["files"]).stdout.contains("2024-11.csv"))
        try expectNightly(["check"])
        try expectNightly(["partitions", "ensure", "--ahead", "0"])
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM cdrs WHERE start_time < '2024-12-01'"), "6")
        try db.assertMoneyEqualities()
        // The months are the owner's; the role owns nothing.
        XCTAssertEqual(try db.scalar("""
            SELECT string_agg(DISTINCT pg_get_userbyid(c.relowner), ',') FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = 'cdrs'::regclass
            """), "cdr_rater")
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM pg_class WHERE relowner = (SELECT oid FROM pg_roles WHERE rolname = '\(nightly.name)')"), "0")

        // The functions take a month and nothing else, and refuse a month that is there.
        let c = try Connection(connectionString: nightly.url)
        XCTAssertThrowsError(try c.query("SELECT cdrs_open_month_load('2024-10-15')")) { XCTAssertTrue("\($0)".contains("has its table"), "\($0)") }
        XCTAssertThrowsError(try c.query("SELECT cdrs_attach_month_load('2024-11-15')")) { XCTAssertTrue("\($0)".contains("no fresh table"), "\($0)") }
        XCTAssertThrowsError(try c.query("SELECT cdrs_ensure_month(NULL)")) { XCTAssertTrue("\($0)".contains("years 1 to 9999"), "\($0)") }
        XCTAssertThrowsError(try c.query("SELECT cdrs_guard_month('cdrs_2024_10')")) { XCTAssertTrue("\($0)".contains("permission denied"), "\($0)") }

        // Migrations keep the grants: the latest reverted and applied again, then the partitioning one (cdrs made anew).
        try CLI.expect(0, ["migrate", "down", "--steps", "1"], db: db)
        try CLI.expect(0, ["migrate"], db: db)
        XCTAssertTrue(try expectNightly(["rate"] + rejects + [try callsFile(dir, month: "2024-12")]).stderr.contains("the backfill path"))
        try CLI.expect(0, ["migrate", "down", "--steps", String(try migrationsSince("20241201000007-partition-cdrs-by-month"))], db: db)
        XCTAssertEqual(try db.scalar("SELECT relkind FROM pg_class WHERE relname = 'cdrs'"), "r")
        let up = try CLI.expect(0, ["migrate"], db: db)
        XCTAssertTrue(up.stderr.contains("grants: \(nightly.name) keeps what the nightly job needs"), up.stderr)
        XCTAssertTrue(try expectNightly(["rate"] + rejects + [try callsFile(dir, month: "2025-01")]).stderr.contains("the backfill path"))
        try expectNightly(["rate", "--no-bulk-load"] + rejects + [try callsFile(dir, month: "2025-02")])
        try expectNightly(["rerate", "--from", "2024-10-01", "--to", "2025-03-01"])
        try expectNightly(["check"])
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM cdrs"), "15")
        try db.assertMoneyEqualities()

        // Retired: --revoke prints what takes it all back, --revoke --apply does it and forgets the role,
        // so a migration gives it nothing again.
        let printed = try CLI.expect(0, ["grants", "--role", nightly.name, "--revoke"], db: db)
        XCTAssertTrue(printed.stdout.contains("REVOKE ALL ON ALL TABLES IN SCHEMA public FROM \"\(nightly.name)\";"), printed.stdout)
        XCTAssertTrue(try expectNightly(["files"]).stdout.contains("2024-11.csv"), "printing revokes nothing")
        let revoked = try CLI.expect(0, ["grants", "--role", nightly.name, "--revoke", "--apply"], db: db)
        XCTAssertTrue(revoked.stderr.contains("has nothing on the schema any more"), revoked.stderr)
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM billing_roles"), "0")
        try CLI.expect(0, ["migrate", "down", "--steps", "1"], db: db)
        let again = try CLI.expect(0, ["migrate"], db: db)
        XCTAssertFalse(again.stderr.contains("grants: \(nightly.name)"), again.stderr)
        XCTAssertEqual(try db.dump("""
            SELECT has_table_privilege('\(nightly.name)', 'cdrs', 'SELECT'), has_table_privilege('\(nightly.name)', 'cdrs_2024_10', 'INSERT'),
                   has_table_privilege('\(nightly.name)', 'rate_plans', 'SELECT'), has_function_privilege('\(nightly.name)', 'cdrs_ensure_month(date)', 'EXECUTE'),
                   has_function_privilege('\(nightly.name)', 'cdrs_analyze_months(timestamptz, timestamptz)', 'EXECUTE')
            """), "f|f|f|f|f", "(USAGE of the schema public stays PUBLIC's, as PostgreSQL gives it)")
        XCTAssertEqual(try asNightly(["files"]).status, 1)
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM cdrs"), "15", "revoking drops nothing")
        // A recorded role dropped since has nothing to revoke: --revoke --apply forgets it.
        let gone = try TestRole(self, db: db)
        try CLI.expect(0, ["grants", "--role", gone.name, "--apply"], db: db)
        try TestRole.superuserConnection(db).execute(script: "DROP OWNED BY \"\(gone.name)\"; DROP ROLE \"\(gone.name)\"")
        try CLI.expect(0, ["grants", "--role", gone.name, "--revoke", "--apply"], db: db)
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM billing_roles"), "0")
    }

    func testGrantsQuoteTheRoleAndGoOnlyToANightlyRole() throws {
        let db = try TestDatabase()
        try CLI.expect(0, ["migrate"], db: db)
        // Printed: the name is one quoted identifier, whatever it holds; nothing is run.
        let hostile = "x\"; DROP TABLE cdrs; --"
        let printed = try CLI.expect(0, ["grants", "--role", hostile], db: db)
        XCTAssertTrue(printed.stdout.contains("GRANT SELECT ON TABLE public.\"rate_plans\" TO \"x\"\"; DROP TABLE cdrs; --\";"), printed.stdout)
        XCTAssertTrue(printed.stdout.hasPrefix("-- what the nightly role"), printed.stdout)
        let missing = try CLI.expect(1, ["grants", "--role", hostile, "--apply"], db: db)
        XCTAssertTrue(missing.stderr.contains("there is no role"), missing.stderr)
        XCTAssertEqual(try db.scalar("SELECT to_regclass('cdrs') IS NOT NULL"), "t")
        // Applied to a role of such a name: it gets exactly the grants, nothing runs besides.
        let odd = try TestRole(self, db: db, name: "night\"ly; DROP TABLE cdrs; --")
        try CLI.expect(0, ["grants", "--role", odd.name, "--apply"], db: db)
        let quoted = odd.name.replacingOccurrences(of: "'", with: "''")
        XCTAssertEqual(try db.dump("""
            SELECT has_table_privilege('\(quoted)', 'rate_plans', 'SELECT'), has_table_privilege('\(quoted)', 'rate_plans', 'UPDATE'),
                   has_table_privilege('\(quoted)', 'users', 'SELECT'), has_table_privilege('\(quoted)', 'cdrs', 'DELETE'),
                   has_function_privilege('\(quoted)', 'cdrs_ensure_month(date)', 'EXECUTE'), to_regclass('cdrs') IS NOT NULL
            """), "t|f|f|f|t|t")
        XCTAssertEqual(try db.scalar("SELECT role_name FROM billing_roles"), odd.name)

        // Neither a superuser, nor the owner, nor PostgreSQL's own roles; and only the owner gives.
        let superuser = try CLI.expect(1, ["grants", "--role", "postgres", "--apply"], db: db)
        XCTAssertTrue(superuser.stderr.contains("postgres is a superuser"), superuser.stderr)
        let owner = try CLI.expect(1, ["grants", "--role", "cdr_rater", "--apply"], db: db)
        XCTAssertTrue(owner.stderr.contains("cdr_rater owns the schema"), owner.stderr)
        let own = try CLI.expect(2, ["grants", "--role", "pg_write_all_data"], db: db)
        XCTAssertTrue(own.stderr.contains("PostgreSQL's own"), own.stderr)
        let other = try TestRole(self, db: db)
        let notOwner = try CLI.run(["grants", "--role", other.name, "--apply"], db: nil, environment: ["DATABASE_URL": odd.url])
        XCTAssertEqual(notOwner.status, 1, notOwner.stderr)
        XCTAssertTrue(notOwner.stderr.contains("grants --apply runs as the owner of the schema (cdr_rater"), notOwner.stderr)
        // The month functions are no one's but the owner's and the recorded roles'.
        XCTAssertEqual(try db.dump("""
            SELECT has_function_privilege('\(other.name)', f, 'EXECUTE') FROM unnest(ARRAY['cdrs_ensure_month(date)',
                'cdrs_open_month_load(date)', 'cdrs_attach_month_load(date)', 'cdrs_guard_month(regclass)', 'cdrs_share_month(regclass)']::regprocedure[]) f
            """), "f\nf\nf\nf\nf")
    }
}

/// SPEC section 6: migrations and seeds come from CDR_RATER_HOME or the
/// binary's install folder, never from the working directory or its parents.
final class ProjectFilesTests: XCTestCase {
    /// `folder` holding a Migrations/ and a Seeds/ that each make a table named after `mark`.
    func plant(_ folder: URL, mark: String) throws {
        let fm = FileManager.default
        for sub in ["Migrations", "Seeds"] { try fm.createDirectory(at: folder.appendingPathComponent(sub), withIntermediateDirectories: true) }
        let migration = folder.appendingPathComponent("Migrations/20991231000000-\(mark)")
        try "CREATE TABLE \(mark)_migration (x int);\n".write(toFile: migration.path + ".up.sql", atomically: true, encoding: .utf8)
        try "DROP TABLE \(mark)_migration;\n".write(toFile: migration.path + ".down.sql", atomically: true, encoding: .utf8)
        try "-- environments: development, production\nCREATE TABLE \(mark)_seed (x int);\n"
            .write(to: folder.appendingPathComponent("Seeds/00-\(mark).up.sql"), atomically: true, encoding: .utf8)
        try "DROP TABLE \(mark)_seed;\n".write(to: folder.appendingPathComponent("Seeds/00-\(mark).down.sql"), atomically: true, encoding: .utf8)
    }

    func testPlantedFilesInTheWorkingDirectoryAndItsParentsAreNeverRun() throws {
        let db = try TestDatabase()
        let parent = try scratchFolder(self)
        let cwd = parent.appendingPathComponent("inbox")
        try plant(parent, mark: "parent")
        try plant(cwd, mark: "cwd")
        let unset = ["CDR_RATER_HOME": ""]
        // The binary swift build made: the checkout above .build/.
        try CLI.expect(0, ["migrate"], db: db, environment: unset, cwd: cwd)
        try CLI.expect(0, ["seed"], db: db, environment: unset, cwd: cwd)
        XCTAssertEqual(try db.dump("""
            SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM schema_migrations),
                   (SELECT count(*) FROM pg_class WHERE relname LIKE 'parent_%' OR relname LIKE 'cwd_%')
            """), "6|\(try migrationsSince())|0")

        // An installed binary: /usr/local/bin/cdr-rater with /usr/local/share/cdr-rater/{Migrations,Seeds}.
        let prefix = try scratchFolder(self)
        let fm = FileManager.default
        try fm.createDirectory(at: prefix.appendingPathComponent("bin"), withIntermediateDirectories: true)
        try fm.createDirectory(at: prefix.appendingPathComponent("share/cdr-rater"), withIntermediateDirectories: true)
        let installed = prefix.appendingPathComponent("bin/cdr-rater")
        try fm.copyItem(at: CLI.binary, to: installed)
        for sub in ["Migrations", "Seeds"] {
            try fm.copyItem(at: CLI.projectRoot.appendingPathComponent(sub), to: prefix.appendingPathComponent("share/cdr-rater/\(sub)"))
        }
        let fresh = try TestDatabase()
        XCTAssertEqual(try CLI.run(["migrate"], db: fresh, environment: unset, cwd: cwd, binary: installed).status, 0)
        XCTAssertEqual(try CLI.run(["seed", "--env", "production"], db: fresh, environment: unset.merging(["CDR_RATER_ADMIN_PASSWORD": "x-Admin-9", "CDR_RATER_SUPPORT_PASSWORD": "x-Support-9"]) { $1 },
                                   cwd: cwd, binary: installed).status, 0)
        XCTAssertEqual(try fresh.dump("SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM pg_class WHERE relname LIKE 'cwd_%')"), "2|0")
        // Nothing there: the error names where it looked, not the working directory.
        try fm.removeItem(at: prefix.appendingPathComponent("share"))
        let lost = try CLI.run(["migrate", "status"], db: fresh, environment: unset, cwd: cwd, binary: installed)
        XCTAssertEqual(lost.status, 1, lost.stderr)
        XCTAssertTrue(lost.stderr.contains("cannot find the Migrations/ folder (looked in \(prefix.appendingPathComponent("bin/Migrations").path)"), lost.stderr)
        XCTAssertTrue(lost.stderr.contains("set CDR_RATER_HOME"), lost.stderr)
        XCTAssertFalse(lost.stderr.contains(cwd.path), lost.stderr)

        // CDR_RATER_HOME is used, and only it.
        try CLI.expect(0, ["seed"], db: db, environment: ["CDR_RATER_HOME": cwd.path], cwd: parent)
        XCTAssertEqual(try db.scalar("SELECT string_agg(relname::text, ',' ORDER BY relname) FROM pg_class WHERE relname LIKE 'parent_%' OR relname LIKE 'cwd_%'"),
                       "cwd_seed")
        let other = try TestDatabase()
        try CLI.expect(0, ["migrate"], db: other, environment: ["CDR_RATER_HOME": cwd.path], cwd: parent)
        XCTAssertEqual(try other.dump("SELECT name FROM schema_migrations"), "20991231000000-cwd")
    }
}

/// SPEC section 6: in production the staff users get no published password:
/// it comes from the environment, or is generated and shown once.
final class StaffPasswordTests: XCTestCase {
    /// username | bcrypt cost 12 | `password` matches | Admin@123 matches | to be changed at the first login, per staff user.
    func staff(_ db: TestDatabase, _ passwords: [String: String]) throws -> String {
        try db.dump("""
            SELECT username, password LIKE '$2_$12$%', password = crypt(CASE username WHEN 'admin' THEN '\(passwords["admin"]!)'
                   ELSE '\(passwords["support"]!)' END, password), password = crypt('Admin@123', password), password_changed_at IS NULL
            FROM users WHERE role <> 'customer' ORDER BY 1
            """)
    }

    func testProductionStaffPasswordsComeFromTheEnvironmentOrAreGeneratedAndShownOnce() throws {
        // From the environment: used, and shown nowhere.
        let given = try TestDatabase()
        try CLI.expect(0, ["migrate"], db: given)
        let secrets = ["admin": "Night-Shift-7f2a", "support": "Support-Desk-91bc"]
        let r = try CLI.expect(0, ["seed", "--env", "production"], db: given,
                               environment: ["CDR_RATER_ADMIN_PASSWORD": secrets["admin"]!, "CDR_RATER_SUPPORT_PASSWORD": secrets["support"]!])
        XCTAssertFalse((r.stdout + r.stderr).contains("Night-Shift") || (r.stdout + r.stderr).contains("Support-Desk"), r.stdout + r.stderr)
        XCTAssertEqual(try staff(given, secrets), "admin|t|t|f|t\nsupport|t|t|f|t")

        // Generated: printed once, on standard output only, and what is stored.
        let generated = try TestDatabase()
        try CLI.expect(0, ["migrate"], db: generated)
        let g = try CLI.expect(0, ["seed", "--env", "production"], db: generated)
        var shown: [String: String] = [:]
        for line in g.stdout.split(separator: "\n") where line.hasPrefix("seed: generated password for ") {
            let parts = line.dropFirst("seed: generated password for ".count).split(separator: ":", maxSplits: 1)
            shown[String(parts[0])] = parts[1].trimmingCharacters(in: .whitespaces)
        }
        XCTAssertEqual(shown.keys.sorted(), ["admin", "support"], g.stdout)
        for password in shown.values {
            XCTAssertEqual(password.count, 23, password)
            XCTAssertEqual(g.stdout.components(separatedBy: password).count - 1, 1, "shown once")
            XCTAssertFalse(g.stderr.contains(password), g.stderr)
        }
        XCTAssertNotEqual(shown["admin"], shown["support"])
        XCTAssertTrue(g.stderr.contains("shown this once"), g.stderr)
        XCTAssertEqual(try staff(generated, shown), "admin|t|t|f|t\nsupport|t|t|f|t")
        // Seeding again shows nothing and changes nothing.
        let again = try CLI.expect(0, ["seed", "--env", "production"], db: generated)
        XCTAssertFalse(again.stdout.contains("generated password"), again.stdout)
        XCTAssertTrue(again.stderr.contains("user admin was there already"), again.stderr)
        XCTAssertEqual(try staff(generated, shown), "admin|t|t|f|t\nsupport|t|t|f|t")
        // A published password is refused in production.
        let published = try CLI.expect(2, ["seed", "--env", "production"], db: try TestDatabase(), environment: ["CDR_RATER_ADMIN_PASSWORD": "Admin@123"])
        XCTAssertTrue(published.stderr.contains("CDR_RATER_ADMIN_PASSWORD is a published demo password"), published.stderr)

        // Development keeps the documented demo password, already changed as far as a login goes.
        let development = try TestDatabase()
        try development.prepare()
        XCTAssertEqual(try staff(development, ["admin": "Admin@123", "support": "Admin@123"]), "admin|t|t|t|f\nsupport|t|t|t|f")
        XCTAssertEqual(try development.scalar("SELECT count(*) FROM users"), "6", "2 staff and the 4 demo users of demo-customers and demo-tariff")
    }
}
