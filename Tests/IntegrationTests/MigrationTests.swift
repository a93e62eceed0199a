import Foundation
import XCTest

/// Migrations and seeds against a real PostgreSQL (issue: foundation).
final class MigrationTests: XCTestCase {
    /// How many migrations the project has: the 13 of the schema reference and the later ones.
    let migrationCount = try! FileManager.default.contentsOfDirectory(atPath: CLI.projectRoot.appendingPathComponent("Migrations").path)
        .filter { $0.hasSuffix(".up.sql") }.count

    func testMigrateAndSeedGiveTheDocumentedRows() throws {
        let db = try TestDatabase()
        try db.prepare()
        XCTAssertEqual(try db.dump("SELECT email, role FROM users ORDER BY email"), """
            admin@acmecorp.com|customer
            admin@balatrix.com|admin
            jane.smith@example.com|customer
            john.doe@example.com|customer
            priya.nair@example.com|customer
            support@balatrix.com|support
            """)
        XCTAssertEqual(try db.dump("SELECT name, monthly_price FROM rate_plans ORDER BY monthly_price"),
                       "India Saver|199.00\nIndia Saver Per Second|299.00\nStarter|349.00\nProfessional|999.00\nCall Center|4999.00")
        // The demo plans (seed 04-demo-tariff, development only) are priced by the demo tariffs; the three plans of SPEC 1 by none.
        XCTAssertEqual(try db.dump("SELECT p.name, coalesce(t.name, '-') FROM rate_plans p LEFT JOIN tariffs t ON t.id = p.tariff_id ORDER BY p.monthly_price"),
                       "India Saver|India Saver\nIndia Saver Per Second|India Saver Per Second\nStarter|-\nProfessional|-\nCall Center|-")
        XCTAssertEqual(try db.dump("SELECT subscription_number, status FROM subscriptions ORDER BY 1"),
                       "SUB-10001|active\nSUB-10002|active\nSUB-10003|active\nSUB-10004|active\nSUB-10005|active")
        XCTAssertEqual(try db.dump("SELECT account_number, account_type, balance FROM accounts ORDER BY 1"),
                       "ACC-10001|prepaid|500.00\nACC-10002|prepaid|2000.00\nACC-10003|postpaid|0.00\nACC-10004|prepaid|1000.00\nACC-10005|postpaid|0.00")
        // 13 migrations make 12 tables (one adds a foreign key), plus the ledger, the billing settings,
        // the rerate runs and cost history, the rating lock holders, the uuid registry and archived months
        // of the partitioned cdrs (no month yet), the tariffs with their versions, rows and bands, and the runner's bookkeeping.
        XCTAssertEqual(try db.dump("SELECT string_agg(table_name, ',' ORDER BY table_name) FROM information_schema.tables WHERE table_schema = 'public'"),
                       "accounts,billing_settings,cdr_cost_history,cdr_files,cdr_months_archived,cdr_uuids,cdrs,customers,dids,invoices,payment_methods,payments,rate_plans,refresh_tokens,rerate_runs,run_lock_holders,schema_migrations,subscription_usage,subscriptions,tariff_bands,tariff_rows,tariff_versions,tariffs,users")
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM users WHERE password LIKE '$2_$12$%' AND password = crypt(CASE WHEN role = 'customer' THEN 'Demo@123' ELSE 'Admin@123' END, password)"), "6")
        let status = try CLI.expect(0, ["migrate", "status"], db: db)
        XCTAssertEqual(status.stdout.split(separator: "\n").filter { $0.hasPrefix("applied") }.count, migrationCount)
    }

    func testSeedTwiceAddsNothing() throws {
        let db = try TestDatabase()
        try db.prepare()
        let counts = "SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM customers), (SELECT count(*) FROM accounts), (SELECT count(*) FROM subscriptions), (SELECT count(*) FROM dids), (SELECT count(*) FROM rate_plans)"
        let before = try db.dump(counts)
        XCTAssertEqual(before, "6|4|5|5|8|5", "seeds 01-03 and the demo customer of 04-demo-tariff")
        try CLI.expect(0, ["seed"], db: db)
        XCTAssertEqual(try db.dump(counts), before)
        try CLI.expect(0, ["seed", "undo"], db: db)
        XCTAssertEqual(try db.dump(counts), "0|0|0|0|0|0")
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM tariffs"), "0", "04-demo-tariff's undo removes its tariffs")
    }

    func testProductionNeverLoadsDemoData() throws {
        let db = try TestDatabase()
        try CLI.expect(0, ["migrate"], db: db)
        try CLI.expect(0, ["seed", "--env", "production"], db: db)
        XCTAssertEqual(try db.dump("SELECT username FROM users ORDER BY 1"), "admin\nsupport")
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM rate_plans"), "3")
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM tariffs"), "0", "the demo tariffs are demo data")
        XCTAssertTrue(try CLI.expect(2, ["seed", "--env", "production", "--only", "demo-tariff"], db: db).stderr.contains("never loads in production"))
        let refused = try CLI.expect(2, ["seed", "--env", "production", "--only", "demo-customers"], db: db)
        XCTAssertTrue(refused.stderr.contains("demo"), refused.stderr)
        let viaEnvironment = try CLI.expect(2, ["seed", "--only", "demo-customers"], db: db, environment: ["CDR_RATER_ENV": "production"])
        XCTAssertTrue(viaEnvironment.stderr.contains("never loads in production"), viaEnvironment.stderr)
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM customers"), "0")
        // The production seed marked the database: no shell that forgets --env loads demo data into it.
        let unsaid = try CLI.expect(2, ["seed", "--only", "demo-customers"], db: db)
        XCTAssertTrue(unsaid.stderr.contains("never loads in production"), unsaid.stderr)
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM customers"), "0")
        // A development database loads them.
        let dev = try TestDatabase()
        try CLI.expect(0, ["migrate"], db: dev)
        try CLI.expect(0, ["seed", "--only", "demo-customers"], db: dev)
        XCTAssertEqual(try dev.scalar("SELECT count(*) FROM customers"), "3")
    }

    /// Seed 04-demo-tariff stores what 'tariffs import' stores of the decks in Seeds/demo-tariff/ (the seed
    /// needs no import; this keeps the SQL and the CSV files one deck), and an export of it is those files.
    func testDemoTariffSeedIsTheImportOfItsDecks() throws {
        let seeded = try TestDatabase()
        try seeded.prepare()
        let imported = try TestDatabase()
        try CLI.expect(0, ["migrate"], db: imported)
        for seed in ["admin-users", "rate-plans", "demo-customers"] { try CLI.expect(0, ["seed", "--only", seed], db: imported) }
        let decks = CLI.projectRoot.appendingPathComponent("Seeds/demo-tariff")
        for (tariff, file) in [("India Saver", "india-saver.csv"), ("India Saver Per Second", "india-saver-per-second.csv")] {
            try CLI.expect(0, ["tariffs", "import", decks.appendingPathComponent(file).path, "--tariff", tariff, "--effective", "2024-01-01",
                               "--bands", decks.appendingPathComponent("bands.csv").path], db: imported)
            let export = try CLI.expect(0, ["tariffs", "export", tariff], db: seeded).stdout
            XCTAssertEqual(export, try String(contentsOf: decks.appendingPathComponent(file), encoding: .utf8), tariff)
        }
        let tables = """
            SELECT t.name, v.effective_from, r.line, r.prefix, r.destination, r.band, r.from_second, r.rate, r.unit_seconds,
                   r.increment_seconds, r.connect_fee, r.in_bundle, r.rounding, r.decimals, r.max_cost
            FROM tariff_rows r JOIN tariff_versions v ON v.id = r.version_id JOIN tariffs t ON t.id = v.tariff_id
            UNION ALL
            SELECT t.name, v.effective_from, b.line, b.band, b.days, '', b.start_second, b.priority, NULL, NULL, NULL, NULL, NULL, NULL, NULL
            FROM tariff_bands b JOIN tariff_versions v ON v.id = b.version_id JOIN tariffs t ON t.id = v.tariff_id
            ORDER BY 1, 4, 3
            """
        XCTAssertEqual(try seeded.dump(tables), try imported.dump(tables))
        XCTAssertEqual(try seeded.scalar("SELECT count(*) FROM tariff_rows"), "24")
    }

    func testDownAllThenUpGivesTheSameSchema() throws {
        let db = try TestDatabase()
        try CLI.expect(0, ["migrate"], db: db)
        let first = try schemaDump(db)
        XCTAssertTrue(first.contains("CREATE TABLE public.subscription_usage"))
        try CLI.expect(0, ["migrate", "down", "--all"], db: db)
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'schema_migrations'"), "0")
        try CLI.expect(0, ["migrate", "up"], db: db)
        XCTAssertEqual(try schemaDump(db), first)
        // Back to the first 12: the 13th (subscription_usage) and everything after it reverted.
        try CLI.expect(0, ["migrate", "down", "--steps", String(migrationCount - 12)], db: db)
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM schema_migrations"), "12")
        XCTAssertEqual(try db.scalar("SELECT to_regclass('subscription_usage')::text"), nil)
    }

    func testChangedMigrationIsRefused() throws {
        let db = try TestDatabase()
        let home = try copyOfProject()
        try CLI.expect(0, ["migrate"], db: db, environment: ["CDR_RATER_HOME": home.path])
        let file = home.appendingPathComponent("Migrations/20241001000002-create-rate-plans.up.sql")
        try (try String(contentsOf: file, encoding: .utf8) + "\n-- edited\n").write(to: file, atomically: true, encoding: .utf8)
        let r = try CLI.expect(1, ["migrate"], db: db, environment: ["CDR_RATER_HOME": home.path])
        XCTAssertTrue(r.stderr.contains("20241001000002-create-rate-plans was changed after it was applied"), r.stderr)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
    }

    func testConcurrentMigrateAppliesEachOnce() throws {
        let db = try TestDatabase()
        let runs = try (0 ..< 3).map { _ in try CLI.start(["migrate"], db: db) }
        for (p, _, err) in runs {
            p.waitUntilExit()
            XCTAssertEqual(p.terminationStatus, 0, String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
        }
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM schema_migrations"), String(migrationCount))
    }

    func testFailingMigrationLeavesNothingHalfApplied() throws {
        let db = try TestDatabase()
        let home = try copyOfProject()
        let bad = home.appendingPathComponent("Migrations/20991231000000-broken")
        try "CREATE TABLE half_applied (id int);\nSELECT no_such_column FROM half_applied;\n"
            .write(toFile: bad.path + ".up.sql", atomically: true, encoding: .utf8)
        try "DROP TABLE half_applied;\n".write(toFile: bad.path + ".down.sql", atomically: true, encoding: .utf8)
        let r = try CLI.expect(1, ["migrate"], db: db, environment: ["CDR_RATER_HOME": home.path])
        XCTAssertTrue(r.stderr.contains("migration 20991231000000-broken failed and was rolled back"), r.stderr)
        XCTAssertTrue(r.stderr.contains("no_such_column"), r.stderr)
        XCTAssertEqual(try db.scalar("SELECT to_regclass('half_applied')::text"), nil)
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM schema_migrations"), String(migrationCount))
        let status = try CLI.expect(0, ["migrate", "status"], db: db, environment: ["CDR_RATER_HOME": home.path])
        XCTAssertTrue(status.stdout.contains("pending"), status.stdout)
        XCTAssertTrue(status.stdout.split(separator: "\n").last!.hasPrefix("pending"), status.stdout)
    }

    func testWrongPasswordAndUnreachableServer() throws {
        let db = try TestDatabase()
        var wrong = URLComponents(string: db.url)!
        wrong.password = "not-the-Secret-42"
        let r = try CLI.expect(1, ["migrate", "--database-url", wrong.string!], db: nil)
        XCTAssertTrue(r.stderr.contains("password authentication failed"), r.stderr)
        XCTAssertFalse(r.stderr.contains("not-the-Secret-42"))
        XCTAssertFalse(r.stdout.contains("not-the-Secret-42"))
        XCTAssertTrue(r.stderr.hasPrefix("cdr-rater: warning: --database-url holds a password"), r.stderr)
        XCTAssertEqual(linesBesidesPasswordWarning(r.stderr).count, 1, r.stderr)

        var closed = URLComponents(string: db.url)!
        closed.port = 1
        let u = try CLI.expect(1, ["rate", "--dry-run", CLI.projectRoot.appendingPathComponent("samples").path], db: nil,
                               environment: ["DATABASE_URL": closed.string!])
        XCTAssertTrue(u.stderr.contains("cannot connect to the database"), u.stderr)
        XCTAssertFalse(u.stderr.contains(db.password))
        XCTAssertFalse(u.stderr.contains("Stack") || u.stderr.contains("Fatal error"), u.stderr)
    }

    func testBadArgumentsAndMissingFiles() throws {
        let db = try TestDatabase()
        let unknownSeed = try CLI.expect(2, ["seed", "--only", "nonsense"], db: db)
        XCTAssertTrue(unknownSeed.stderr.contains("unknown seed 'nonsense'"), unknownSeed.stderr)
        let unknownEnv = try CLI.expect(2, ["seed", "--env", "staging"], db: db)
        XCTAssertTrue(unknownEnv.stderr.contains("unknown environment 'staging'"), unknownEnv.stderr)
        let badURL = try CLI.expect(2, ["migrate", "--database-url", "postgresql://x:secretpw@[broken"], db: nil)
        XCTAssertTrue(badURL.stderr.contains("database URL cannot be parsed"), badURL.stderr)
        XCTAssertFalse(badURL.stderr.contains("secretpw"), badURL.stderr)
        let badPort = try CLI.expect(2, ["migrate", "--database-url", "postgresql://x:secretpw@127.0.0.1:notaport/x"], db: nil)
        XCTAssertTrue(badPort.stderr.contains("the database URL is not valid"), badPort.stderr)
        XCTAssertFalse(badPort.stderr.contains("secretpw"), badPort.stderr)
        // A one-character password does not blank every '1' of the message.
        let short = try CLI.expect(1, ["migrate", "--database-url", "postgresql://x:1@127.0.0.1:1/x"], db: nil)
        XCTAssertTrue(short.stderr.contains("127.0.0.1"), short.stderr)
        let unmigrated = try CLI.expect(1, ["rate", "--dry-run", CLI.projectRoot.appendingPathComponent("samples").path], db: db)
        XCTAssertTrue(unmigrated.stderr.contains("run 'cdr-rater migrate'"), unmigrated.stderr)
        let empty = try scratchFolder(self)
        let missing = try CLI.expect(1, ["migrate"], db: db, environment: ["CDR_RATER_HOME": empty.path])
        XCTAssertTrue(missing.stderr.contains("cannot find the Migrations/ folder"), missing.stderr)
        XCTAssertEqual(try db.scalar("SELECT to_regclass('schema_migrations')::text"), nil)
        try CLI.expect(2, ["migrate", "down"], db: db)
    }

    // MARK: helpers

    private func copyOfProject() throws -> URL {
        let home = try scratchFolder(self)
        for folder in ["Migrations", "Seeds"] {
            try FileManager.default.copyItem(at: CLI.projectRoot.appendingPathComponent(folder),
                                             to: home.appendingPathComponent(folder))
        }
        return home
    }

    private func schemaDump(_ db: TestDatabase) throws -> String {
        let p = Process()
        let candidates = ["/usr/bin/pg_dump"] + ((try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? [])
            .sorted().reversed().map { "/usr/lib/postgresql/\($0)/bin/pg_dump" }
        p.executableURL = URL(fileURLWithPath: candidates.first { FileManager.default.isExecutableFile(atPath: $0) }!)
        p.arguments = ["--schema-only", "--no-owner", "--exclude-table=schema_migrations", "-d", db.url]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0)
        // pg_dump 15.14+ adds a random \restrict key to every dump.
        return String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.hasPrefix("\\restrict") && !$0.hasPrefix("\\unrestrict") }.joined(separator: "\n")
    }
}
