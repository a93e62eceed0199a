import Foundation
import XCTest

/// Tariffs (SPEC 3c): import, list, show, export and price, with the real binary.
final class TariffTests: XCTestCase {
    /// SPEC 3c's worked example: bands and rows (columns in another order than export's, prefixes as people write them).
    static let bands = """
        band,days,start,priority
        offpeak,*,00:00,0
        peak,mon-sat,08:00,0
        offpeak,mon-sat,20:00,0

        """
    static let deck = """
        band,prefix,from_second,rate,unit_seconds,increment_seconds,connect_fee,in_bundle,destination
        *,+91,0,0.50,60,60,0,true,India
        peak,+44,0,6.00,60,1,0.50,false,UK
        offpeak,+44,0,4.80,60,1,0.50,false,UK
        *,+44 7,0,9.00,60,60,0,false,UK Mobile
        *,+447,60,7.20,60,6,0,false,UK Mobile
        *,00 1,0,1.20,60,30,0,false,USA
        *,+1,30,1.20,60,6,0,false,USA
        *,*,0,12.00,60,60,0,false,Rest of world

        """

    func directory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tariffs-" + UUID().uuidString)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        return dir
    }

    func write(_ text: String, _ name: String, in dir: URL) throws -> String {
        let url = dir.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    func price(_ tariff: String, _ destination: String, _ start: String, _ seconds: Int, db: TestDatabase,
               file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        let r = try CLI.expect(0, ["price", "--tariff", tariff, "--destination", destination, "--start", start, "--seconds", String(seconds),
                                   "--format", "json"], db: db, file: file, line: line)
        return try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any] ?? [:]
    }

    func importWorkedExample(_ db: TestDatabase, in dir: URL) throws -> (deck: String, bands: String) {
        let (deck, bands) = (try write(Self.deck, "deck.csv", in: dir), try write(Self.bands, "bands.csv", in: dir))
        let r = try CLI.expect(0, ["tariffs", "import", deck, "--tariff", "Worked", "--effective", "2024-10-01", "--bands", bands,
                                   "--plan", "Starter"], db: db)
        XCTAssertTrue(r.stdout.contains("tariff Worked: version 1 from 2024-10-01 00:00:00 Asia/Kolkata: 8 rows, 5 prefixes, 3 band lines"), r.stdout)
        XCTAssertTrue(r.stdout.contains("prices plans: Starter"), r.stdout)
        XCTAssertEqual(r.stderr, "", "the worked deck leaves no time without a band")
        return (deck, bands)
    }

    func testWorkedExampleCostsEveryCase() throws {
        let db = try TestDatabase()
        try db.prepare(skipping: ["demo-tariff"]) // the tariffs, version ids and counts here are the test's own
        _ = try importWorkedExample(db, in: try directory())
        XCTAssertEqual(try db.dump("SELECT prefix, band, from_second, rate FROM tariff_rows ORDER BY line"), """
            +91|*|0|0.50
            +44|peak|0|6.00
            +44|offpeak|0|4.80
            +447|*|0|9.00
            +447|*|60|7.20
            +1|*|0|1.20
            +1|*|30|1.20
            *|*|0|12.00
            """)
        XCTAssertEqual(try db.scalar("SELECT effective_from AT TIME ZONE 'Asia/Kolkata' FROM tariff_versions"), "2024-10-01 00:00:00")
        XCTAssertEqual(try db.scalar("SELECT t.name FROM rate_plans p JOIN tariffs t ON t.id = p.tariff_id WHERE p.name = 'Starter'"), "Worked")

        let monday = try price("Worked", "+44 1632 960001", "2024-10-07 19:59:30", 95, db: db)
        XCTAssertEqual(monday["cost"] as? String, "8.7000")
        XCTAssertEqual(monday["prefix"] as? String, "+44")
        XCTAssertEqual(monday["billed_seconds"] as? Int, 95)
        let segments = monday["segments"] as? [[String: Any]] ?? []
        XCTAssertEqual(segments.map { $0["band"] as? String }, ["peak", "offpeak"])
        XCTAssertEqual(segments.map { $0["billed_seconds"] as? Int }, [30, 65])
        XCTAssertEqual(segments.map { $0["cost"] as? String }, ["3.0000", "5.2000"])
        XCTAssertEqual(monday["connect_fee"] as? String, "0.50")
        XCTAssertEqual(try price("Worked", "+44 1632 960001", "2024-10-06 12:00:00", 60, db: db)["cost"] as? String, "5.3000")
        let mobile = try price("Worked", "+44 7700 900123", "2024-10-08 10:00:00", 75, db: db)
        XCTAssertEqual(mobile["cost"] as? String, "11.1600")
        XCTAssertEqual((mobile["segments"] as? [[String: Any]])?.map { $0["tier"] as? Int }, [0, 60])
        XCTAssertEqual((mobile["segments"] as? [[String: Any]])?.map { $0["billed_seconds"] as? Int }, [60, 18])
        XCTAssertEqual(try price("Worked", "+1 202 555 0123", "2024-10-08 10:00:00", 50, db: db)["cost"] as? String, "1.0800")
        let short = try price("Worked", "+1 202 555 0123", "2024-10-08 10:00:00", 10, db: db)
        XCTAssertEqual(short["cost"] as? String, "0.6000")
        XCTAssertEqual(short["billed_seconds"] as? Int, 30, "billed past the end")
        let china = try price("Worked", "+86 138 0013 8000", "2024-10-08 10:00:00", 61, db: db)
        XCTAssertEqual(china["cost"] as? String, "24.0000")
        XCTAssertEqual(china["prefix"] as? String, "*")
        // The number plan first: a bare Indian mobile number is +91.
        let india = try price("Worked", "98123 45678", "2024-10-08 10:00:00", 125, db: db)
        XCTAssertEqual(india["cost"] as? String, "1.5000")
        XCTAssertEqual(india["destination"] as? String, "+919812345678")
        XCTAssertEqual(india["billed_seconds"] as? Int, 180)

        // The table says the same, and a plan prices by its tariff.
        let table = try CLI.expect(0, ["price", "--plan", "Starter", "--destination", "+44 1632 960001", "--start", "2024-10-07 19:59:30",
                                       "--seconds", "95"], db: db)
        for text in ["tariff          Worked (version 1, from 2024-10-01 00:00:00 Asia/Kolkata)", "prefix          +44 (UK)",
                     "connect fee     0.50", "rounding        half_up to 4 decimals", "cost            8.7000", "peak", "offpeak"] {
            XCTAssertTrue(table.stdout.contains(text), "\(text)\n\(table.stdout)")
        }
        // A plan without a tariff: one catch-all row at its overage rate, 60/60.
        let flat = try CLI.expect(0, ["price", "--plan", "Professional", "--destination", "+91 98123 45678", "--start", "2024-10-08 10:00:00",
                                      "--seconds", "61", "--format", "json"], db: db)
        XCTAssertTrue(flat.stdout.contains("\"billed_seconds\" : 120") || flat.stdout.contains("\"billed_seconds\": 120"), flat.stdout)
        XCTAssertTrue(flat.stdout.contains("has no tariff"), flat.stdout)
    }

    func testNoPriceBeforeTheFirstVersionOrWithoutAMatchingPrefix() throws {
        let db = try TestDatabase()
        try db.prepare(skipping: ["demo-tariff"]) // the tariffs, version ids and counts here are the test's own
        let dir = try directory()
        _ = try importWorkedExample(db, in: dir)
        let early = try CLI.expect(1, ["price", "--tariff", "Worked", "--destination", "+441632960001", "--start", "2024-09-30 23:59:59",
                                       "--seconds", "60"], db: db)
        XCTAssertTrue(early.stderr.contains("tariff Worked has no version in force at 2024-09-30 23:59:59 (Asia/Kolkata): its first version is from 2024-10-01 00:00:00"), early.stderr)
        let narrow = try write("prefix,rate\n+44,1.00\n", "uk.csv", in: dir)
        try CLI.expect(0, ["tariffs", "import", narrow, "--tariff", "UK only", "--effective", "2024-10-01"], db: db)
        let none = try CLI.expect(1, ["price", "--tariff", "UK only", "--destination", "+86 138 0013 8000", "--start", "2024-10-08 10:00:00",
                                      "--seconds", "60"], db: db)
        XCTAssertTrue(none.stderr.contains("no price for +8613800138000 in tariff UK only"), none.stderr)
        XCTAssertEqual(try CLI.expect(1, ["price", "--tariff", "Nope", "--destination", "+44", "--start", "2024-10-08 10:00:00", "--seconds", "6"],
                                      db: db).stderr, "cdr-rater: error: there is no tariff Nope (cdr-rater tariffs list)\n")
        try CLI.expect(2, ["price", "--tariff", "Worked", "--plan", "Starter", "--destination", "+44", "--start", "2024-10-08 10:00:00", "--seconds", "6"], db: db)
    }

    /// November's version (+91 at 0.60), then its correction (+91 at 0.70, +33 added).
    func importNovemberAndItsCorrection(_ db: TestDatabase, in dir: URL, bands: String) throws -> (dryRun: CLIResult, correction: CLIResult) {
        let november = try write(Self.deck.replacingOccurrences(of: "*,+91,0,0.50", with: "*,+91,0,0.60"), "nov.csv", in: dir)
        let stored = try db.scalar("SELECT count(*) FROM tariff_versions")
        let dry = try CLI.expect(0, ["tariffs", "import", november, "--tariff", "Worked", "--effective", "2024-11-01", "--bands", bands, "--dry-run"], db: db)
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM tariff_versions"), stored, "a dry run writes nothing")
        try CLI.expect(0, ["tariffs", "import", november, "--tariff", "Worked", "--effective", "2024-11-01", "--bands", bands], db: db)
        let fixed = try write(Self.deck.replacingOccurrences(of: "*,+91,0,0.50", with: "*,+91,0,0.70")
            .replacingOccurrences(of: "*,*,0,12.00,60,60,0,false,Rest of world\n", with: "*,+33,0,3.00,60,60,0,false,France\n*,*,0,12.00,60,60,0,false,Rest of world\n"),
            "nov-fixed.csv", in: dir)
        let c = try CLI.expect(0, ["tariffs", "import", fixed, "--tariff", "Worked", "--effective", "2024-11-01", "--bands", bands], db: db)
        return (dry, c)
    }

    func testDryRunACorrectionListAndShow() throws {
        let db = try TestDatabase()
        try db.prepare(skipping: ["demo-tariff"]) // the tariffs, version ids and counts here are the test's own
        let dir = try directory()
        let (_, bands) = try importWorkedExample(db, in: dir)
        let (dry, c) = try importNovemberAndItsCorrection(db, in: dir, bands: bands)
        XCTAssertTrue(dry.stdout.contains("follows version 1 (from 2024-10-01 00:00:00)"), dry.stdout)
        XCTAssertTrue(dry.stdout.contains("0 added, 0 removed, 1 changed prefixes; bands unchanged\n  changed  +91"), dry.stdout)
        XCTAssertTrue(dry.stdout.contains("nothing was written"), dry.stdout)
        XCTAssertTrue(c.stdout.contains("a correction: it supersedes version 2 of the same date"), c.stdout)
        XCTAssertTrue(c.stdout.contains("1 added, 0 removed, 1 changed prefixes; bands unchanged\n  added    +33\n  changed  +91"), c.stdout)
        XCTAssertTrue(c.stdout.contains("stored calls priced by version 2 from this version's date on: none"), c.stdout)
        XCTAssertEqual(try db.dump("SELECT id, effective_from AT TIME ZONE 'Asia/Kolkata' FROM tariff_versions ORDER BY id"),
                       "1|2024-10-01 00:00:00\n2|2024-11-01 00:00:00\n3|2024-11-01 00:00:00")

        let list = try CLI.expect(0, ["tariffs", "list", "--format", "csv"], db: db)
        XCTAssertTrue(list.stdout.hasPrefix("tariff,versions,in_force,effective_from,rows,plans\nWorked,3,3,2024-11-01 00:00:00,9,Starter\n"), list.stdout)
        let show = try CLI.expect(0, ["tariffs", "show", "Worked", "--at", "2024-10-15"], db: db)
        XCTAssertTrue(show.stdout.contains("version         1\neffective_from  2024-10-01 00:00:00 Asia/Kolkata"), show.stdout)
        XCTAssertTrue(show.stdout.contains("offpeak  mon-sat  20:00  0"), show.stdout)
        let json = try CLI.expect(0, ["tariffs", "show", "Worked", "--format", "json"], db: db)
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        XCTAssertEqual(object?["version"] as? Int, 3, "the latest of equal dates")
        XCTAssertEqual((object?["rows"] as? [Any])?.count, 9)
        let before = try CLI.expect(1, ["tariffs", "show", "Worked", "--at", "2024-09-30"], db: db)
        XCTAssertTrue(before.stderr.contains("tariff Worked has no version in force at 2024-09-30 00:00:00 (Asia/Kolkata): its first version is from 2024-10-01 00:00:00"), before.stderr)
    }
    func testAPriceAcrossAnEffectiveDateAndACorrection() throws {
        let db = try TestDatabase()
        try db.prepare(skipping: ["demo-tariff"]) // the tariffs, version ids and counts here are the test's own
        let dir = try directory()
        let (_, bands) = try importWorkedExample(db, in: dir)
        let november = try write(Self.deck.replacingOccurrences(of: "*,+91,0,0.50", with: "*,+91,0,0.60"), "nov.csv", in: dir)
        try CLI.expect(0, ["tariffs", "import", november, "--tariff", "Worked", "--effective", "2024-11-01", "--bands", bands], db: db)
        // Each call by the version in force at its start.
        let october = try price("Worked", "+919812345678", "2024-10-31 23:59:59", 125, db: db)
        XCTAssertEqual(october["cost"] as? String, "1.5000")
        XCTAssertEqual(october["version"] as? Int, 1)
        let after = try price("Worked", "+919812345678", "2024-11-01 00:00:00", 125, db: db)
        XCTAssertEqual(after["cost"] as? String, "1.8000")
        XCTAssertEqual(after["version"] as? Int, 2)
        // A correction of November (version 3, the same date): the latest of equal dates prices.
        _ = try importNovemberAndItsCorrection(db, in: dir, bands: bands)
        let corrected = try price("Worked", "+919812345678", "2024-11-15 10:00:00", 125, db: db)
        XCTAssertEqual(corrected["cost"] as? String, "2.1000")
        XCTAssertEqual(corrected["version"] as? Int, 4)
        XCTAssertEqual(try price("Worked", "+33 1 23 45 67 89", "2024-11-15 10:00:00", 60, db: db)["cost"] as? String, "3.0000")
        XCTAssertEqual(try price("Worked", "+33 1 23 45 67 89", "2024-10-15 10:00:00", 60, db: db)["cost"] as? String, "12.0000",
                       "October's version has no +33: the catch-all")
    }

    func testExportThenImportIsNoDifference() throws {
        let db = try TestDatabase()
        try db.prepare(skipping: ["demo-tariff"]) // the tariffs, version ids and counts here are the test's own
        let dir = try directory()
        _ = try importWorkedExample(db, in: dir)
        let bandsOut = dir.appendingPathComponent("bands-out.csv").path
        let export = try CLI.expect(0, ["tariffs", "export", "Worked", "--at", "2024-10-15", "--bands-out", bandsOut], db: db)
        XCTAssertTrue(export.stdout.hasPrefix("""
            prefix,destination,band,from_second,rate,unit_seconds,increment_seconds,connect_fee,in_bundle,rounding,decimals,max_cost
            +91,India,*,0,0.50,60,60,0,true,half_up,4,
            +44,UK,peak,0,6.00,60,1,0.50,false,half_up,4,

            """), export.stdout)
        let file = try write(export.stdout, "export.csv", in: dir)
        let again = try CLI.expect(0, ["tariffs", "import", file, "--tariff", "Worked", "--effective", "2024-10-01", "--bands", bandsOut, "--dry-run"], db: db)
        XCTAssertTrue(again.stdout.contains("a correction: it supersedes version 1 of the same date"), again.stdout)
        XCTAssertTrue(again.stdout.contains("\nno difference\n"), again.stdout)
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM tariff_versions"), "1")
    }

    func testEveryBadRowIsNamedAndNothingIsImported() throws {
        let db = try TestDatabase()
        try db.prepare(skipping: ["demo-tariff"]) // the tariffs, version ids and counts here are the test's own
        let dir = try directory()
        let bands = try write(Self.bands, "bands.csv", in: dir)
        let bad = try write("""
            prefix,rate,band,increment_seconds,in_bundle,from_second
            +44,6.00,peak,1,false,0
            9812345678,0.50,*,60,true,0
            +44,abc,offpeak,1,false,0
            +33,1.00,night,60,true,0
            +49,1.00,*,0,maybe,0
            +44,6.00,peak,1,false,0
            +81,1.00,*,60,true,30
            +1-202,1.00,*,60,true,0,extra

            """, "bad.csv", in: dir)
        let r = try CLI.expect(1, ["tariffs", "import", bad, "--tariff", "Bad", "--effective", "2024-10-01", "--bands", bands, "--plan", "Starter"], db: db)
        for text in ["\(bad):3: prefix '9812345678' is a number the number plan rewrites to +919812345678: write +919812345678",
                     "\(bad):4: rate 'abc' is not a decimal", "\(bad):5: band night is not defined in \(bands)",
                     "\(bad):6: increment_seconds '0' is not a whole number of 1 or more", "\(bad):6: in_bundle 'maybe' is not true or false",
                     "\(bad):7: prefix +44, band peak, from_second 0 is priced already on line 2",
                     "\(bad):8: band * of prefix +81 has no row from second 0",
                     "\(bad):9: 7 fields, the header has 6", "nothing was imported"] {
            XCTAssertTrue(r.stderr.contains(text), "\(text)\n\(r.stderr)")
        }
        XCTAssertEqual(try db.dump("SELECT (SELECT count(*) FROM tariffs), (SELECT count(*) FROM tariff_versions), (SELECT count(*) FROM tariff_rows), (SELECT count(*) FROM rate_plans WHERE tariff_id IS NOT NULL)"), "0|0|0|0")

        // Bands: two of equal priority starting together on a common day are refused; a gap is warned about.
        let clash = try write("band,days,start,priority\npeak,mon-fri,08:00,0\nbusiness,fri;sat,08:00,0\nholiday,01-26,08:00,5\n", "clash.csv", in: dir)
        let refused = try CLI.expect(1, ["tariffs", "import", bad, "--tariff", "Bad", "--effective", "2024-10-01", "--bands", clash], db: db)
        XCTAssertTrue(refused.stderr.contains("\(clash):3: band business starts at the same time with the same priority as band peak of line 2 on a common day"), refused.stderr)
        XCTAssertEqual(refused.stderr.components(separatedBy: "\n").filter { $0.contains(clash) }.count, 1, refused.stderr)
        let peakOnly = try write("prefix,band,rate\n+44,peak,6.00\n*,*,12.00\n", "peak.csv", in: dir)
        let warned = try CLI.expect(0, ["tariffs", "import", peakOnly, "--tariff", "Peak", "--effective", "2024-10-01", "--bands", bands], db: db)
        XCTAssertTrue(warned.stderr.contains("warning: \(peakOnly): prefix +44 has no band in force on mon from 00:00 (its bands: peak): a call then has no price"), warned.stderr)
        XCTAssertFalse(warned.stderr.contains("prefix *"), warned.stderr)
        // A plan that does not exist: nothing imported.
        let noPlan = try CLI.expect(1, ["tariffs", "import", peakOnly, "--tariff", "Other", "--effective", "2024-10-01", "--bands", bands, "--plan", "Gold"], db: db)
        XCTAssertTrue(noPlan.stderr.contains("--plan Gold: there is no rate plan of that name; nothing was imported"), noPlan.stderr)
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM tariffs WHERE name = 'Other'"), "0")
    }

    /// A large deck imports whole, and with its statistics: a run reads a version by the primary key's order
    /// (no sort; without them, a bitmap scan and an external sort on disk for 200,000 rows).
    func testAHundredThousandRowsImportAndAreReadInTheKeysOrder() throws {
        let db = try TestDatabase()
        try db.prepare(skipping: ["demo-tariff"]) // the tariffs, version ids and counts here are the test's own
        let dir = try directory()
        var text = "prefix,destination,rate,increment_seconds\n"
        for i in 0 ..< 100_000 { text += "+\(2_000_000 + i),Zone \(i % 50),0.\(1000 + i % 9000),6\n" }
        let file = try write(text, "big.csv", in: dir)
        let r = try CLI.expect(0, ["tariffs", "import", file, "--tariff", "Big", "--effective", "2024-10-01"], db: db)
        XCTAssertTrue(r.stdout.contains("100000 rows, 100000 prefixes"), r.stdout)
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM tariff_rows"), "100000")
        XCTAssertNotEqual(try db.scalar("SELECT count(*) FROM pg_stats WHERE tablename = 'tariff_rows'"), "0")
        let version = try db.scalar("SELECT max(id) FROM tariff_versions") ?? ""
        let plan = try db.dump("EXPLAIN SELECT prefix, band, from_second FROM tariff_rows WHERE version_id = \(version) ORDER BY prefix, band, from_second")
        XCTAssertTrue(plan.contains("tariff_rows_pkey") && !plan.contains("Sort"), plan)
        XCTAssertEqual(try price("Big", "+2054321999", "2024-10-08 10:00:00", 7, db: db)["prefix"] as? String, "+2054321")
    }
}
