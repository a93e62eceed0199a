import Foundation
import XCTest

/// `rate` and `rerate` with tariffs (SPEC 3c), with the real binary against
/// PostgreSQL: the version in force at a call's start prices it, the bundle
/// covers billed seconds, corrections are re-priced by `rerate`, the result
/// does not depend on how the CDRs are cut into files, and the money
/// equalities hold after every step. Expected figures are worked by hand.
final class TariffRatingTests: XCTestCase {
    typealias T = TariffTests

    func write(_ text: String, _ name: String, in dir: URL) throws -> String {
        let url = dir.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    func importDeck(_ db: TestDatabase, _ deck: String, effective: String, plan: String? = "Starter", tariff: String = "Worked",
                    bands: String = T.bands, in dir: URL, file: StaticString = #filePath, line: UInt = #line) throws -> CLIResult {
        let name = "deck-\(UUID().uuidString.prefix(8)).csv"
        let (d, b) = (try write(deck, name, in: dir), try write(bands, "b-" + name, in: dir))
        return try CLI.expect(0, ["tariffs", "import", d, "--tariff", tariff, "--effective", effective, "--bands", b]
            + (plan.map { ["--plan", $0] } ?? []), db: db, file: file, line: line)
    }

    func rate(_ db: TestDatabase, _ lines: [String], name: String, in dir: URL, extra: [String] = []) throws -> CLIResult {
        let url = dir.appendingPathComponent(name)
        try (lines.joined(separator: "\n") + "\n").write(to: url, atomically: true, encoding: .utf8)
        let r = try CLI.expect(0, ["rate", "--rejects-dir", dir.appendingPathComponent("rejects").path] + extra + [url.path], db: db)
        try db.assertMoneyEqualities()
        return r
    }

    /// The ids of tariff Worked's versions, in the order they were imported (the demo seed stores versions of its own first).
    func versions(_ db: TestDatabase) throws -> [String] {
        try db.dump("SELECT v.id FROM tariff_versions v JOIN tariffs t ON t.id = v.tariff_id WHERE t.name = 'Worked' ORDER BY v.id")
            .split(separator: "\n").map(String.init)
    }

    static func call(_ uuid: String, to destination: String, at start: String, _ billsec: Int) -> String {
        CorrectOverTimeTests.line(uuid, destination: destination, start: start, billsec: billsec)
    }

    /// SPEC 3c step 1: "The version in force at t (latest effective_from <= t)". From 15 October the UK costs
    /// half; a call either side of that date is priced by its own version, and the metadata says which.
    func testEachCallIsPricedByTheVersionInForceAtItsStart() throws {
        let db = try TestDatabase()
        try db.prepare()
        let dir = try scratchFolder(self)
        _ = try importDeck(db, T.deck, effective: "2024-10-01", in: dir)
        let half = T.deck.replacingOccurrences(of: "peak,+44,0,6.00", with: "peak,+44,0,3.00")
            .replacingOccurrences(of: "offpeak,+44,0,4.80", with: "offpeak,+44,0,2.40")
        _ = try importDeck(db, half, effective: "2024-10-15", in: dir)
        // 7 and 21 October 2024 are Mondays. At 19:59:30, 95 s: 30 s peak, 65 s offpeak, per second, 0.50 to connect.
        // Version 1: 3.00 + 5.20 + 0.50 = 8.70. Version 2: 30 s at 3.00 = 1.50, 65 s at 2.40 = 2.60, + 0.50 = 4.60.
        // +91 98123 45678, 125 s, 60/60 in the bundle: 180 s billed, covered by Starter's 500 minutes: 0.
        _ = try rate(db, [Self.call("uk-1", to: "+44 1632 960001", at: "2024-10-07 19:59:30", 95),
                          Self.call("uk-2", to: "+44 1632 960001", at: "2024-10-21 19:59:30", 95),
                          Self.call("in-1", to: "9812345678", at: "2024-10-07 10:00:00", 125)], name: "oct.csv", in: dir)
        let v = try versions(db)
        XCTAssertEqual(try db.dump("""
            SELECT uuid, cost, metadata->>'tariff', metadata->>'tariff_version', metadata->>'prefix', metadata->>'bands',
                   metadata->>'billed_seconds', metadata->>'bundle_seconds', metadata->>'covered_seconds'
            FROM cdrs ORDER BY uuid
            """), """
            in-1|0.0000|Worked|\(v[0])|+91|*|180|180|180
            uk-1|8.7000|Worked|\(v[0])|+44|peak,offpeak|95|0|0
            uk-2|4.6000|Worked|\(v[1])|+44|peak,offpeak|95|0|0
            """)
        // 370 billed seconds: 7 minutes used; 190 not covered: 4 minutes overage; 8.70 + 4.60 = 13.30.
        XCTAssertEqual(try db.dump("""
            SELECT minutes_used, minutes_overage, overage_cost, isd_calls, mobile_calls, u.metadata->>'billed_seconds',
                   u.metadata->>'covered_seconds'
            FROM subscription_usage u JOIN subscriptions s ON s.id = u.subscription_id WHERE s.subscription_number = 'SUB-10001'
            """), "7|4|13.30|2|1|370|180")
        XCTAssertEqual(try db.scalar("SELECT balance FROM accounts WHERE account_number = 'ACC-10001'"), "486.70")
        try CLI.expect(0, ["check"], db: db)
    }

    /// SPEC 3c, included minutes with a tariff, its bundle example: 2 included minutes, +91 per second at
    /// 0.60 in the bundle. 100 s (covered), 50 s (20 s covered, 30 s at 0.60: 0.30), 60 s to +44 peak
    /// (not in the bundle: 6.00 + 0.50). minutes_used ceil(210/60) = 4, minutes_overage ceil(90/60) = 2, 6.80.
    func testTheBundleCoversBilledSecondsOfInBundleSegmentsOnly() throws {
        let db = try TestDatabase()
        try db.prepare()
        try db.connect().execute(script: "UPDATE rate_plans SET included_minutes = 2 WHERE name = 'Starter'")
        let dir = try scratchFolder(self)
        let perSecond = T.deck.replacingOccurrences(of: "*,+91,0,0.50,60,60,0,true,India", with: "*,+91,0,0.60,60,1,0,true,India")
        _ = try importDeck(db, perSecond, effective: "2024-10-01", in: dir)
        _ = try rate(db, [Self.call("a", to: "9812345678", at: "2024-10-08 10:00:00", 100),
                          Self.call("b", to: "9812345678", at: "2024-10-08 10:05:00", 50),
                          Self.call("c", to: "+44 1632 960001", at: "2024-10-08 10:10:00", 60)], name: "bundle.csv", in: dir)
        XCTAssertEqual(try db.dump("SELECT uuid, cost, metadata->>'covered_seconds', metadata->>'overage_minutes' FROM cdrs ORDER BY uuid"),
                       "a|0.0000|100|0\nb|0.3000|20|1\nc|6.5000|0|1")
        XCTAssertEqual(try db.dump("""
            SELECT minutes_used, minutes_overage, overage_cost FROM subscription_usage u
            JOIN subscriptions s ON s.id = u.subscription_id WHERE s.subscription_number = 'SUB-10001'
            """), "4|2|6.80")
        // A late call at 09:00, 30 s, is covered first: a keeps 90 of the 120 s (10 s at 0.60: 0.10), b none
        // (50 s: 0.50); the two stored calls cost 0.30 more. 240 s billed: 4 minutes; 120 not covered: 2; 7.10.
        let r = try rate(db, [Self.call("early", to: "9812345678", at: "2024-10-08 09:00:00", 30)], name: "late.csv", in: dir)
        XCTAssertTrue(r.stderr.contains("2 stored call(s) re-priced, cost +0.3000"), r.stderr)
        XCTAssertEqual(try db.dump("SELECT uuid, cost, metadata->>'covered_seconds' FROM cdrs ORDER BY uuid"),
                       "a|0.1000|90\nb|0.5000|0\nc|6.5000|0\nearly|0.0000|30")
        XCTAssertEqual(try db.dump("""
            SELECT minutes_used, minutes_overage, overage_cost FROM subscription_usage u
            JOIN subscriptions s ON s.id = u.subscription_id WHERE s.subscription_number = 'SUB-10001'
            """), "4|2|7.10")
        try CLI.expect(0, ["check"], db: db)
    }

    /// SPEC 3c: "a correction is a new version with the same date, which supersedes the earlier one; the
    /// import says how many stored calls were priced by what it supersedes and prints the rerate that
    /// re-prices them". Then the database equals one rated with the corrected version from the start.
    func testACorrectionThenTheRerateItPrintsEqualsAFreshDatabase() throws {
        let dir = try scratchFolder(self)
        let destinations = ["+44 1632 960001", "+1 202 555 0123", "9812345678"]
        var calls: [String] = []
        for i in 0 ..< 12 {
            let start = String(format: "2024-10-%02d %02d:%02d:10", 7 + i % 5, 6 + i, (i * 7) % 60)
            calls.append(Self.call("c-\(i)", to: destinations[i % 3], at: start, 40 + i * 37))
        }
        let wrong = T.deck.replacingOccurrences(of: "peak,+44,0,6.00", with: "peak,+44,0,60.00")
        let corrected = T.deck

        let a = try TestDatabase()
        try a.prepare()
        _ = try importDeck(a, wrong, effective: "2024-10-01", in: dir)
        _ = try rate(a, calls, name: "oct.csv", in: dir)
        let fix = try importDeck(a, corrected, effective: "2024-10-01", in: dir)
        let v = try versions(a)
        XCTAssertTrue(fix.stdout.contains("a correction: it supersedes version \(v[0]) of the same date"), fix.stdout)
        XCTAssertTrue(fix.stdout.contains("12 stored calls were priced by version \(v[0]) from this version's date on (2024-10-07 to 2024-10-11)"),
                      fix.stdout)
        let command = try XCTUnwrap(fix.stdout.split(separator: "\n").first { $0.hasPrefix("  cdr-rater rerate ") })
        XCTAssertEqual(command, "  cdr-rater rerate --from 2024-10-07 --to 2024-10-12 --plan 'Starter'")
        let rerate = try CLI.expect(0, ["rerate", "--from", "2024-10-07", "--to", "2024-10-12", "--plan", "Starter"], db: a)
        try a.assertMoneyEqualities()
        // Only the UK calls in the peak band (c-3 Thursday 09:21, c-6 Tuesday 12:42, c-9 Friday 15:03) cost otherwise;
        // c-0 (Monday 06:00) is offpeak in both versions. Each is in the history as a re-pricing by rerate.
        XCTAssertEqual(try a.dump("SELECT cdr_uuid, old_cost > new_cost FROM cdr_cost_history WHERE reason = 'rerate' ORDER BY 1"),
                       "c-3|t\nc-6|t\nc-9|t", rerate.stdout)
        XCTAssertEqual(try a.scalar("SELECT count(*) FROM cdrs WHERE metadata->>'tariff_version' <> '\(v[1])'"), "0")

        let b = try TestDatabase()
        try b.prepare()
        _ = try importDeck(b, corrected, effective: "2024-10-01", in: dir)
        _ = try rate(b, calls, name: "oct.csv", in: dir)
        // The only difference: the version's id (the correction's in a, the first in b).
        func snapshot(_ db: TestDatabase) throws -> String {
            try db.ratingSnapshot().replacingOccurrences(of: #""tariff_version": [0-9]+"#, with: "", options: .regularExpression)
        }
        XCTAssertEqual(try snapshot(a), try snapshot(b))

        // A second rerate changes nothing.
        let history = try a.scalar("SELECT count(*) FROM cdr_cost_history")
        let before = try a.ratingSnapshot()
        let again = try CLI.expect(0, ["rerate", "--from", "2024-10-07", "--to", "2024-10-12", "--plan", "Starter"], db: a)
        XCTAssertEqual(try a.ratingSnapshot(), before, again.stdout)
        XCTAssertEqual(try a.scalar("SELECT count(*) FROM cdr_cost_history"), history)
        try CLI.expect(0, ["check"], db: a)
    }

    /// SPEC 3 and 3c: "Any split of the same CDRs into files, rated in any order, in one run or many, ends in
    /// identical cdrs, subscription_usage and balances", with a per-second deck whose bundle runs out in the
    /// month, and calls priced apart; in one pass and in two passes alike.
    func testAnyCutAndOrderOfFilesGivesTheSameDatabaseWithAPerSecondTariff() throws {
        var seed: UInt64 = 5
        func next(_ n: Int) -> Int {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return Int((seed >> 33) % UInt64(n))
        }
        // About 70 calls of SUB-10001 (Starter: 500 minutes) over October: 60 to Indian mobiles, 600 to 1,400 s
        // per second (about 60,000 s, past the 30,000 of the bundle), ties on start time, and UK and US calls.
        var calls: [String] = []
        for i in 0 ..< 60 {
            calls.append(Self.call(String(format: "%08x-0000-4000-8000-%012x", next(1 << 30), i), to: "9812345678",
                                   at: String(format: "2024-10-%02d %02d:%02d:00", 1 + next(31), 7 + next(14), next(4) * 15),
                                   600 + next(800)))
        }
        for i in 0 ..< 10 {
            calls.append(Self.call("isd-\(i)", to: i % 2 == 0 ? "+44 1632 960001" : "+1 202 555 0123",
                                   at: String(format: "2024-10-%02d 19:59:%02d", 1 + next(31), next(60)), 1 + next(200)))
        }
        let perSecond = T.deck.replacingOccurrences(of: "*,+91,0,0.50,60,60,0,true,India", with: "*,+91,0,0.60,60,1,0,true,India")
        func database() throws -> TestDatabase {
            let db = try TestDatabase()
            try db.prepare()
            _ = try importDeck(db, perSecond, effective: "2024-10-01", in: try scratchFolder(self))
            return db
        }
        let dir = try scratchFolder(self)
        let reference = try database()
        _ = try rate(reference, calls, name: "all.csv", in: dir)
        let expected = try reference.ratingSnapshot()
        XCTAssertEqual(try reference.scalar("""
            SELECT count(*) FROM cdrs WHERE metadata->>'covered_seconds' NOT IN ('0', metadata->>'billed_seconds')
            """), "1", "one call crosses the line: part covered, part not")
        XCTAssertNotEqual(try reference.scalar("SELECT count(*) FROM cdrs WHERE (metadata->>'billed_seconds')::int % 60 <> 0"), "0",
                          "per-second billing")

        for extra in [[], ["--no-single-pass"]] {
            // Four files by line mod 4, each a run of its own, in the order 2, 0, 3, 1.
            let db = try database()
            for k in [2, 0, 3, 1] {
                _ = try rate(db, calls.enumerated().filter { $0.offset % 4 == k }.map(\.element), name: "mod-\(k).csv", in: dir, extra: extra)
            }
            XCTAssertEqual(try db.ratingSnapshot(), expected, "by line mod 4 \(extra)")
            // Latest calls first, in slices of 20, in one run.
            let slices = stride(from: 0, to: calls.count, by: 20).map { Array(calls.sorted(by: >)[$0 ..< min($0 + 20, calls.count)]) }
            let other = try database()
            var paths: [String] = []
            for (i, s) in slices.enumerated() {
                let url = dir.appendingPathComponent("slice-\(i).csv")
                try (s.joined(separator: "\n") + "\n").write(to: url, atomically: true, encoding: .utf8)
                paths.append(url.path)
            }
            try CLI.expect(0, ["rate", "--rejects-dir", dir.appendingPathComponent("rejects").path] + extra + paths, db: other)
            try other.assertMoneyEqualities()
            XCTAssertEqual(try other.ratingSnapshot(), expected, "in slices \(extra)")
        }
    }

    /// SPEC 3c step 2: "else the call has no price: stored with processing_status 'failed', a processing_error
    /// naming the destination and tariff, cost 0, counted as unrated in the report, and retried by rerate --unmatched".
    func testACallWithNoPriceIsStoredFailedAndRerateUnmatchedPricesItOnceARowIsAdded() throws {
        let db = try TestDatabase()
        try db.prepare()
        let dir = try scratchFolder(self)
        let noCatchAll = T.deck.split(separator: "\n").filter { !$0.hasPrefix("*,*,") }.joined(separator: "\n") + "\n"
        _ = try importDeck(db, noCatchAll, effective: "2024-10-01", in: dir)
        let r = try rate(db, [Self.call("china", to: "+86 138 0013 8000", at: "2024-10-08 10:00:00", 61),
                              Self.call("uk", to: "+44 1632 960001", at: "2024-10-06 12:00:00", 60)], name: "oct.csv", in: dir)
        XCTAssertTrue(r.stdout.contains("(unmatched)"), r.stdout)
        XCTAssertEqual(try db.dump("""
            SELECT uuid, subscription_id IS NULL, processing_status, cost,
                   coalesce(processing_error LIKE '%+8613800138000%tariff Worked%', false)
            FROM cdrs ORDER BY uuid
            """), "china|t|failed|0.0000|t\nuk|f|processed|5.3000|f")
        // The operator adds the rest of the world (a correction of the same date) and retries the calls without a price.
        let fix = try importDeck(db, T.deck, effective: "2024-10-01", in: dir)
        XCTAssertTrue(fix.stdout.contains("1 stored call was priced by version \(try versions(db)[0])"), fix.stdout)
        try CLI.expect(0, ["rerate", "--from", "2024-10-01", "--to", "2024-11-01", "--unmatched"], db: db)
        try db.assertMoneyEqualities()
        // 61 s at 12.00 per minute, 60/60: 120 s billed, 24.00; with the UK call's 5.30, 29.30 of overage.
        XCTAssertEqual(try db.dump("SELECT uuid, processing_status, cost, metadata->>'prefix' FROM cdrs ORDER BY uuid"),
                       "china|processed|24.0000|*\nuk|processed|5.3000|+44")
        XCTAssertEqual(try db.scalar("SELECT balance FROM accounts WHERE account_number = 'ACC-10001'"), "470.70")
        try CLI.expect(0, ["check"], db: db)
    }

    /// SPEC 3b/3c what-if: "the what-if of section 3b also takes a proposed tariff file for a plan": the report
    /// shows current and proposed revenue side by side, and nothing is written.
    func testAProposedTariffIsAWhatIfThatWritesNothing() throws {
        let db = try TestDatabase()
        try db.prepare()
        let dir = try scratchFolder(self)
        let deck = try write(T.deck, "proposed.csv", in: dir), bands = try write(T.bands, "bands.csv", in: dir)
        let cdrs = dir.appendingPathComponent("oct.csv")
        try ([Self.call("uk", to: "+44 1632 960001", at: "2024-10-07 19:59:30", 95),
              Self.call("in", to: "9812345678", at: "2024-10-07 10:00:00", 125)].joined(separator: "\n") + "\n")
            .write(to: cdrs, atomically: true, encoding: .utf8)
        func everything() throws -> String {
            try db.ratingSnapshot() + (try db.dump("""
                SELECT (SELECT count(*) FROM cdr_files), (SELECT count(*) FROM rerate_runs), (SELECT count(*) FROM cdr_cost_history),
                       (SELECT count(*) FROM tariffs), (SELECT count(*) FROM rate_plans WHERE tariff_id IS NOT NULL)
                """))
        }
        let proposal = ["--plan-tariff", "Starter=\(deck)", "--plan-bands", "Starter=\(bands)"]
        // Today Starter is flat: 2 + 3 minutes, all included: 0. By the deck: the UK call 8.70 (not in the bundle), India covered.
        var before = try everything()
        let r = try CLI.expect(0, ["rate", "--dry-run", "--format", "json"] + proposal + [cdrs.path], db: db)
        let report = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any] ?? [:]
        let total = report["total"] as? [String: Any] ?? [:]
        XCTAssertEqual(total["cost"] as? String, "0.0000", r.stdout)
        XCTAssertEqual((total["proposed"] as? [String: Any])?["cost"] as? String, "8.7000", r.stdout)
        XCTAssertEqual((total["proposed"] as? [String: Any])?["difference"] as? String, "+8.7000", r.stdout)
        XCTAssertEqual(try everything(), before)

        try CLI.expect(0, ["rate", "--rejects-dir", dir.appendingPathComponent("rejects").path, cdrs.path], db: db)
        before = try everything()
        // 95 + 180 billed seconds: 5 minutes, 3 covered, 2 not; 0.00 now, 8.70 under the proposed deck.
        let dry = try CLI.expect(0, ["rerate", "--dry-run", "--from", "2024-10-01", "--to", "2024-11-01", "--format", "csv"] + proposal, db: db)
        XCTAssertTrue(dry.stdout.contains("\nSUB-10001,2024-10-01 00:00:00,2,5,3,2,0.0000,8.7000,+8.7000\n"), dry.stdout)
        XCTAssertEqual(try everything(), before)
        let refused = try CLI.expect(2, ["rerate", "--from", "2024-10-01", "--to", "2024-11-01"] + proposal, db: db)
        XCTAssertTrue(refused.stderr.contains("use them with --dry-run"), refused.stderr)
        try CLI.expect(2, ["rate", "--dry-run", "--plan-tariff", "Nobody=\(deck)", cdrs.path], db: db)
        XCTAssertEqual(try everything(), before)
        try CLI.expect(0, ["check"], db: db)
    }

    /// A call sent again in a later file of the same dry run is a duplicate on both sides of a proposed
    /// tariff's what-if: the proposed side counted it again (8.70 twice).
    func testACallRepeatedAcrossTheFilesOfAWhatIfCountsOnceOnBothSides() throws {
        let db = try TestDatabase()
        try db.prepare()
        let dir = try scratchFolder(self)
        let deck = try write(T.deck, "proposed.csv", in: dir), bands = try write(T.bands, "bands.csv", in: dir)
        let uk = Self.call("uk", to: "+44 1632 960001", at: "2024-10-07 19:59:30", 95)
        let first = dir.appendingPathComponent("a.csv"), again = dir.appendingPathComponent("b.csv")
        try ([uk, Self.call("in", to: "9812345678", at: "2024-10-07 10:00:00", 125)].joined(separator: "\n") + "\n")
            .write(to: first, atomically: true, encoding: .utf8)
        try (uk + "\n").write(to: again, atomically: true, encoding: .utf8)
        let r = try CLI.expect(0, ["rate", "--dry-run", "--format", "json", "--plan-tariff", "Starter=\(deck)", "--plan-bands", "Starter=\(bands)",
                                   first.path, again.path], db: db)
        let report = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any] ?? [:]
        let total = report["total"] as? [String: Any] ?? [:]
        XCTAssertEqual(total["calls"] as? Int, 2, r.stdout)
        XCTAssertEqual(total["cost"] as? String, "0.0000", r.stdout)
        XCTAssertEqual((total["proposed"] as? [String: Any])?["cost"] as? String, "8.7000", r.stdout)
    }
}
