import Foundation
import XCTest

/// Operations (SPEC sections 5 and 6): configuration errors that read well.
final class OperationsTests: XCTestCase {
    func testPasswordsWithSpecialCharactersNeverShow() throws {
        let password = "Summer/2024%off@x:y?z#w 9"
        let fragments = ["Summer", "2024", "%off", "off@", "y?z", "z#w", "w 9"]
        let samples = CLI.projectRoot.appendingPathComponent("samples").path
        let cases: [(String, [String], [String: String])] = [
            ("the issue's URL", ["migrate", "status"], ["DATABASE_URL": "postgresql://u:Summer/2024%off@/db"]),
            ("an unencoded URL", ["migrate", "status"], ["DATABASE_URL": "postgresql://u:\(password)@127.0.0.1:1/db"]),
            ("--database-url", ["rate", "--dry-run", samples, "--database-url", "postgresql://u:\(password)@127.0.0.1:1/db"], [:]),
            ("an encoded URL", ["migrate", "status"],
             ["DATABASE_URL": "postgresql://u:\(password.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)@127.0.0.1:1/db"]),
            ("key=value, quoted", ["migrate", "status"], ["DATABASE_URL": "host=127.0.0.1 port=1 user=u password='\(password)' dbname=db"]),
            ("key=value, unquoted", ["migrate", "status"], ["DATABASE_URL": "host=127.0.0.1 port=1 user=u password=\(password) dbname=db"]),
            ("PGPASSWORD", ["migrate", "status"], ["PGPASSWORD": password, "PGHOST": "127.0.0.1", "PGPORT": "1", "PGUSER": "u"]),
        ]
        for (name, args, environment) in cases {
            let r = try CLI.run(args, db: nil, environment: environment)
            XCTAssertNotEqual(r.status, 0, name)
            XCTAssertEqual(linesBesidesPasswordWarning(r.stderr).count, 1, "\(name): one line\n\(r.stderr)")
            XCTAssertEqual(r.stderr.contains("--database-url holds a password"), args.contains("--database-url"), "\(name): \(r.stderr)")
            for f in fragments {
                XCTAssertFalse(r.stderr.contains(f) || r.stdout.contains(f), "\(name): '\(f)' shows in\n\(r.stderr)\(r.stdout)")
            }
        }
        let unparsable = try CLI.run(["migrate"], db: nil, environment: ["DATABASE_URL": "postgresql://u:Summer/2024%off@/db"])
        XCTAssertEqual(unparsable.status, 2)
        XCTAssertTrue(unparsable.stderr.contains("percent-encode @ / % : ? # and spaces"), unparsable.stderr)
    }

    func testZoneAbbreviationsAreRefused() throws {
        let samples = CLI.projectRoot.appendingPathComponent("samples").path
        for zone in ["BST", "IST"] {
            let r = try CLI.expect(2, ["rate", "--dry-run", "--timezone", zone, samples], db: nil)
            XCTAssertTrue(r.stderr.contains("unknown time zone '\(zone)': use an IANA name"), r.stderr)
        }
    }

    /// Tuning and operations options have bounds, and a usage error (exit 2) names them
    /// (--chunk-lines 100000000000 crashed with an allocation failure).
    func testOptionValuesAreBounded() throws {
        let samples = CLI.projectRoot.appendingPathComponent("samples").path
        for (args, says) in [(["--chunk-lines", "100000000000"], "--chunk-lines must be between 1 and 100000"),
                             (["--chunk-lines", "0"], "--chunk-lines must be between 1 and 100000"),
                             (["--sort-run-calls", "0"], "--sort-run-calls must be between 1 and 1048576"),
                             (["--sort-run-calls", "4000000000"], "--sort-run-calls must be between 1 and 1048576"),
                             (["--workers", "65"], "--workers must be between 1 and 64"),
                             (["--max-reject-share", "100.5"], "--max-reject-share must be a percentage from 0 to 100"),
                             (["--max-reject-share=-1"], "--max-reject-share must be a percentage from 0 to 100"),
                             (["--max-reject-share", "nan"], "--max-reject-share must be a percentage from 0 to 100"),
                             (["--min-age", "inf"], "--min-age must be between 0 and 2592000 seconds"),
                             (["--lock-wait", "1e300"], "--lock-wait must be between 0 and 86400 seconds")] {
            let r = try CLI.expect(2, ["rate"] + args + [samples], db: nil)
            XCTAssertTrue(r.stderr.contains("cdr-rater: error: \(says)"), "\(args): \(r.stderr)")
        }
        // Every command's --lock-wait has the one bound (rerate, migrate and seed undo took 1e300 and nan).
        for command in [["rerate", "--from", "2024-10-01", "--to", "2024-11-01"], ["migrate"], ["seed", "undo"]] {
            for wait in ["1e300", "nan", "-1", "inf"] {
                let r = try CLI.expect(2, command + ["--lock-wait=\(wait)"], db: nil)
                XCTAssertTrue(r.stderr.contains("cdr-rater: error: --lock-wait must be between 0 and 86400 seconds"), "\(command) \(wait): \(r.stderr)")
            }
        }
    }

    // MARK: the ledger

    func testTruncatedGzipStaysPendingUntilTheCompleteFileIsRated() throws {
        let db = try TestDatabase()
        try db.prepare()
        let dir = try scratchFolder(self)
        let lines = (1 ... 400).map { i in
            CorrectOverTimeTests.line("pending-\(i)", start: "2024-10-05 10:00:00", billsec: 30)
        }.joined(separator: "\n") + "\n"
        let complete = try gzip(lines)
        let file = dir.appendingPathComponent("night.csv.gz")
        try complete.prefix(complete.count * 2 / 3).write(to: file)
        let first = try CLI.expect(1, ["rate", "--rejects-dir", dir.path, file.path], db: db)
        XCTAssertTrue(first.stderr.contains("PARTIAL"), first.stderr)
        // The next night the same truncated file is still there: not green.
        let second = try CLI.expect(1, ["rate", "--rejects-dir", dir.path, file.path], db: db)
        XCTAssertTrue(second.stderr.contains("night.csv.gz: STILL INCOMPLETE"), second.stderr)
        XCTAssertTrue(second.stdout.contains("1 still incomplete"), second.stdout)
        let partial = try CLI.expect(0, ["files", "--status", "partial", "--format", "csv"], db: db)
        XCTAssertEqual(partial.stdout.split(separator: "\n").count, 2, partial.stdout)
        XCTAssertTrue(partial.stdout.contains(",partial,night.csv.gz,"), partial.stdout)
        // The complete file arrives in its place.
        try complete.write(to: file)
        try CLI.expect(0, ["rate", "--rejects-dir", dir.path, file.path], db: db)
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM cdrs"), "400")
        try CLI.expect(0, ["rate", "--rejects-dir", dir.path, file.path], db: db)
        XCTAssertEqual(try db.dump("SELECT status FROM cdr_files ORDER BY finished_at"), "partial\nrated")
    }

    func testAFailedFileIsInTheLedgerAndRatedOnTheNextRun() throws {
        let db = try TestDatabase()
        try db.prepare()
        let dir = try scratchFolder(self)
        let file = dir.appendingPathComponent("calls.csv")
        try (CorrectOverTimeTests.line("f1", start: "2024-10-05 10:00:00", billsec: 90) + "\n").write(to: file, atomically: true, encoding: .utf8)
        let r = try CLI.expect(1, ["rate", "--rejects-dir", dir.path, file.path], db: db,
                               environment: ["CDR_RATER_FAIL_POINT": "rate:before-commit"])
        XCTAssertTrue(r.stderr.contains("calls.csv: FAILED: stopped at fail point"), r.stderr)
        XCTAssertEqual(try db.dump("SELECT status, lines, error LIKE '%nothing from this file was stored' FROM cdr_files"), "failed|0|t")
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM cdrs"), "0")
        let failed = try CLI.expect(0, ["files", "--status", "failed"], db: db)
        XCTAssertTrue(failed.stdout.contains("failed  calls.csv"), failed.stdout)

        try CLI.expect(0, ["rate", "--rejects-dir", dir.path, file.path], db: db)
        XCTAssertEqual(try db.dump("SELECT status, lines, stored, error IS NULL FROM cdr_files"), "rated|1|1|t")
        XCTAssertTrue(try CLI.expect(0, ["files", "--status", "failed"], db: db).stdout.contains("(no files)"))
        try CLI.expect(2, ["files", "--since", "yesterday"], db: db)
    }

    func testLedgerTimesCoverTheRating() throws {
        let db = try TestDatabase()
        try db.prepare()
        let dir = try scratchFolder(self)
        try CLI.expect(0, ["rate", "--rejects-dir", dir.path, CLI.projectRoot.appendingPathComponent("samples").path], db: db)
        // created_at of a file's rows is its transaction's start: the ledger's times are around it,
        // finished_at at the end of the work, not the transaction's start.
        XCTAssertEqual(try db.dump("""
            SELECT f.file_name, f.started_at < min(c.created_at), f.finished_at > max(c.created_at)
            FROM cdr_files f JOIN cdrs c ON c.metadata->>'source' = f.file_name GROUP BY f.file_name, f.started_at, f.finished_at ORDER BY 1
            """), "2024-10-03-freeswitch.csv.gz|t|t\n2024-10-04-asterisk-Master.csv.gz|t|t\n2024-10-05-india-saver-freeswitch.csv.gz|t|t")
    }

    // MARK: overlap

    /// Raters share the rating lock; rerate takes it alone, and whoever waits
    /// says for whom, waits at most --lock-wait, then exits 75.
    func testRatersRunTogetherAndRerateWaitsForThemOrExits75() throws {
        let db = try TestDatabase()
        try db.prepare()
        let dir = try scratchFolder(self)
        let big = dir.appendingPathComponent("big.csv"), small = dir.appendingPathComponent("small.csv")
        try syntheticFreeSWITCH(lines: 150_000, prefix: "lock").write(to: big, atomically: true, encoding: .utf8)
        try syntheticFreeSWITCH(lines: 10, prefix: "other").write(to: small, atomically: true, encoding: .utf8)
        let (first, _, _) = try CLI.start(["rate", "--rejects-dir", dir.path, big.path], db: db)
        XCTAssertTrue(try waitUntil { try db.scalar("SELECT count(*) FROM run_lock_holders WHERE pid = \(first.processIdentifier)") == "1" },
                      "the first run never took the lock")
        // A second rater runs beside the first.
        try CLI.expect(0, ["rate", "--rejects-dir", dir.path, small.path], db: db)
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM cdr_files WHERE file_name = 'small.csv'"), "1")
        // rerate waits for the raters: at most --lock-wait, then exit 75 naming the holder.
        let rerate = try CLI.run(["rerate", "--from", "2024-10-01", "--to", "2024-11-01", "--lock-wait", "1"], db: db)
        XCTAssertEqual(rerate.status, 75, rerate.stderr)
        XCTAssertTrue(rerate.stderr.contains("cdr-rater rate on host \(ProcessInfo.processInfo.hostName), pid \(first.processIdentifier), since"),
                      rerate.stderr)
        XCTAssertTrue(rerate.stderr.contains("waiting up to 1 s"), rerate.stderr)
        XCTAssertTrue(rerate.stderr.contains("--lock-wait"), rerate.stderr)
        let waited = try CLI.run(["rerate", "--from", "2024-10-01", "--to", "2024-11-01", "--lock-wait", "300"], db: db)
        XCTAssertEqual(waited.status, 0, waited.stderr)
        XCTAssertTrue(waited.stderr.contains("waiting for the rating lock: cdr-rater rate"), waited.stderr)
        first.waitUntilExit()
        XCTAssertEqual(first.terminationStatus, 0)
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM run_lock_holders"), "0", "the holder records go with the lock")
        // A rater waits for a rerate the same way.
        let (rerating, _, _) = try CLI.start(["rerate", "--from", "2024-10-01", "--to", "2024-11-01"], db: db)
        XCTAssertTrue(try waitUntil { try db.scalar("SELECT count(*) FROM run_lock_holders WHERE command = 'rerate'") == "1" },
                      "the rerate never took the lock")
        let late = dir.appendingPathComponent("late.csv")
        try syntheticFreeSWITCH(lines: 10, prefix: "late").write(to: late, atomically: true, encoding: .utf8)
        let refused = try CLI.run(["rate", "--rejects-dir", dir.path, late.path], db: db)
        if refused.status == 75 { // (unless the rerate was already done)
            XCTAssertTrue(refused.stderr.contains("cdr-rater rerate on host"), refused.stderr)
        }
        try CLI.expect(0, ["rate", "--lock-wait", "300", "--rejects-dir", dir.path, late.path], db: db)
        rerating.waitUntilExit()
        XCTAssertEqual(rerating.terminationStatus, 0)
    }

    // MARK: output

    func testQuietSummaryJSONAndMetrics() throws {
        let db = try TestDatabase()
        try db.prepare()
        let dir = try scratchFolder(self)
        let samples = CLI.projectRoot.appendingPathComponent("samples").path
        let summary = dir.appendingPathComponent("run.json"), metrics = dir.appendingPathComponent("cdr_rater.prom")
        // --quiet: nothing at all on success (the samples' rejected lines are in the rejects files and the summary).
        let r = try CLI.expect(0, ["rate", "--quiet", "--rejects-dir", dir.appendingPathComponent("rejects").path,
                                   "--summary-json", summary.path, "--metrics-file", metrics.path, samples], db: db)
        XCTAssertEqual(r.stdout, "")
        XCTAssertEqual(r.stderr, "")

        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: summary)) as! [String: Any]
        XCTAssertEqual(json["exit_code"] as? Int, 0)
        let totals = json["totals"] as! [String: Any]
        let files = json["files"] as! [[String: Any]]
        XCTAssertEqual(files.count, 3)
        func int(_ d: [String: Any], _ k: String) -> Int { d[k] as! Int }
        XCTAssertEqual(int(totals, "lines"), 32)
        XCTAssertEqual(int(totals, "lines"), int(totals, "stored") + int(totals, "duplicates") + int(totals, "rejected"))
        for f in files {
            XCTAssertEqual(int(f, "lines"), int(f, "stored") + int(f, "duplicates") + int(f, "rejected"))
            XCTAssertEqual((f["sha256"] as! String).count, 64)
            // A file with no rejected line has no rejects file (the third sample).
            if int(f, "rejected") > 0 { XCTAssertTrue((f["rejects_path"] as? String ?? "").hasSuffix(".rejects.csv"), "\(f)") } else { XCTAssertNil(f["rejects_path"] as? String) }
            XCTAssertEqual(f["status"] as? String, "rated")
        }
        XCTAssertEqual(files.reduce(0) { $0 + int($1, "stored") }, int(totals, "stored"))
        XCTAssertEqual(totals["cost"] as? String, "33.1200")
        XCTAssertNotNil(json["started_at"] as? String)
        XCTAssertNotNil(json["lock_wait_seconds"] as? Double ?? (json["lock_wait_seconds"] as? Int).map(Double.init))

        // Prometheus text: every sample line is "name{labels} value".
        let text = try String(contentsOf: metrics, encoding: .utf8)
        var values: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: " ")
            XCTAssertEqual(parts.count, 2, String(line))
            values[String(parts[0])] = Double(parts[1])
        }
        XCTAssertEqual(values["cdr_rater_last_run_success"], 1)
        XCTAssertEqual(values["cdr_rater_last_run_files{status=\"rated\"}"], 3)
        let lines = ["stored", "duplicate", "rejected"].map { values["cdr_rater_last_run_lines{outcome=\"\($0)\"}"]! }
        XCTAssertEqual(lines.reduce(0, +), 32)
        XCTAssertEqual(values["cdr_rater_last_run_cost_rupees"], 33.12)
        XCTAssertTrue(text.contains("# TYPE cdr_rater_last_run_timestamp_seconds gauge"), text)

        // A run that fails still writes both, with its exit code and error.
        let down = try CLI.run(["rate", "--quiet", "--summary-json", summary.path, "--metrics-file", metrics.path, samples], db: nil,
                               environment: ["DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"])
        XCTAssertEqual(down.status, 1)
        let failed = try JSONSerialization.jsonObject(with: Data(contentsOf: summary)) as! [String: Any]
        XCTAssertEqual(failed["exit_code"] as? Int, 1)
        XCTAssertTrue((failed["error"] as? String ?? "").contains("cannot connect to the database"), "\(failed)")
        XCTAssertTrue(try String(contentsOf: metrics, encoding: .utf8).contains("cdr_rater_last_run_success 0"))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted(), ["cdr_rater.prom", "rejects", "run.json"],
                       "no temporary file is left")
    }

    // MARK: clean stops

    /// Starts a rate of a 150,000-line file with one bad line and returns once it is in COPY.
    private func rateUntilCopy(_ db: TestDatabase, dir: URL, rejects: URL, files: [String] = ["big"]) throws -> Process {
        var paths: [String] = []
        for name in files {
            let file = dir.appendingPathComponent("\(name).csv")
            try (syntheticFreeSWITCH(lines: 150_000, prefix: name) + "\"bad\",\"line\"\n").write(to: file, atomically: true, encoding: .utf8)
            paths.append(file.path)
        }
        let (p, _, _) = try CLI.start(["rate", "--rejects-dir", rejects.path] + paths, db: db)
        let watcher = try db.connect()
        var copying = false
        for _ in 0 ..< 1500 where !copying {
            copying = try watcher.query("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'cdr-rater' AND query LIKE 'COPY cdrs%'").scalar != "0"
            if !copying { usleep(20_000) }
        }
        XCTAssertTrue(copying, "the run never reached COPY")
        return p
    }

    func testSIGTERMAndSIGINTRollTheFileBackAndLeaveNoRejects() throws {
        let db = try TestDatabase()
        try db.prepare()
        let dir = try scratchFolder(self)
        let rejects = dir.appendingPathComponent("rejects")
        for (sig, code, name) in [(SIGTERM, Int32(143), "SIGTERM"), (SIGINT, Int32(130), "SIGINT")] {
            let p = try rateUntilCopy(db, dir: dir, rejects: rejects)
            let err = (p.standardError as! Pipe).fileHandleForReading
            kill(p.processIdentifier, sig)
            let stderr = String(decoding: err.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            XCTAssertEqual(p.terminationReason, .exit, "\(name): a clean exit, not death by the signal")
            XCTAssertEqual(p.terminationStatus, code, stderr)
            let last = stderr.split(separator: "\n").last.map(String.init) ?? ""
            XCTAssertTrue(last.hasPrefix("cdr-rater: stopped by \(name): ") && last.contains("big.csv was rolled back"), stderr)
            XCTAssertEqual(try db.dump("SELECT (SELECT count(*) FROM cdrs), (SELECT count(*) FROM cdr_files), (SELECT count(*) FROM subscription_usage)"),
                           "0|0|0")
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: rejects.path), [], "\(name): no rejects file for a file never committed")
        }
    }

    func testALostConnectionStopsTheRunWithOneMessage() throws {
        let db = try TestDatabase()
        try db.prepare()
        let dir = try scratchFolder(self)
        let p = try rateUntilCopy(db, dir: dir, rejects: dir.appendingPathComponent("rejects"), files: ["a", "b"])
        let err = (p.standardError as! Pipe).fileHandleForReading
        try db.connect().query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'cdr-rater' AND query LIKE 'COPY cdrs%'")
        let stderr = String(decoding: err.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 1, stderr)
        let mentions = stderr.split(separator: "\n").filter { $0.contains("lost the connection to the database") }
        XCTAssertEqual(mentions.count, 1, stderr)
        XCTAssertTrue(mentions.first?.contains("a.csv") ?? false, stderr)
        XCTAssertFalse(stderr.contains("b.csv: FAILED"), "the next file is not tried: \(stderr)")
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM cdr_files"), "0")
    }

    func testAnUnwritableRejectsFolderIsFoundBeforeAnythingIsRead() throws {
        let db = try TestDatabase()
        try db.prepare()
        let dir = try scratchFolder(self)
        let notAFolder = dir.appendingPathComponent("file")
        try "x".write(to: notAFolder, atomically: true, encoding: .utf8)
        let r = try CLI.expect(1, ["rate", "--rejects-dir", notAFolder.appendingPathComponent("rejects").path,
                                   CLI.projectRoot.appendingPathComponent("samples").path], db: db)
        XCTAssertTrue(r.stderr.contains("cannot be written") && r.stderr.contains("nothing was read"), r.stderr)
        XCTAssertFalse(r.stderr.contains("rejected"), r.stderr)
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM cdr_files"), "0")
    }

    func testAKillBetweenCommitAndRejectsFileIsRepairedByTheNextRun() throws {
        let db = try TestDatabase()
        try db.prepare()
        let dir = try scratchFolder(self)
        let rejects = dir.appendingPathComponent("rejects")
        let samples = CLI.projectRoot.appendingPathComponent("samples/2024-10-03-freeswitch.csv.gz").path
        let r = try CLI.run(["rate", "--rejects-dir", rejects.path, samples], db: db, environment: ["CDR_RATER_FAIL_POINT": "rate:committed"])
        XCTAssertEqual(r.status, SIGKILL)
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM cdr_files"), "1", "committed")
        let left = try FileManager.default.contentsOfDirectory(atPath: rejects.path)
        XCTAssertEqual(left.count, 1)
        XCTAssertTrue(left[0].hasSuffix(".rejects.csv.tmp"), "\(left)")
        // The next run names the same folder another way (a symbolic link): the file is still its committed file's.
        let link = dir.appendingPathComponent("link")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: rejects)
        try CLI.expect(0, ["rate", "--rejects-dir", link.path, samples], db: db)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: rejects.path), [String(left[0].dropLast(4))])
        XCTAssertEqual(try db.scalar("SELECT rejects_path FROM cdr_files"), rejects.appendingPathComponent(String(left[0].dropLast(4))).path)
    }

    /// Rejected lines are personal data: the files (the temporary one too)
    /// are 0600, a folder the run makes is 0700, a folder that exists keeps its mode.
    func testRejectsFilesArePrivate() throws {
        let db = try TestDatabase()
        try db.prepare()
        let dir = try scratchFolder(self)
        let rejects = dir.appendingPathComponent("billing/rejects")
        let freeswitch = CLI.projectRoot.appendingPathComponent("samples/2024-10-03-freeswitch.csv.gz").path
        func mode(_ url: URL) -> mode_t {
            var info = stat()
            XCTAssertEqual(stat(url.path, &info), 0, url.path)
            return info.st_mode & 0o777
        }
        let killed = try CLI.run(["rate", "--rejects-dir", rejects.path, freeswitch], db: db, environment: ["CDR_RATER_FAIL_POINT": "rate:committed"])
        XCTAssertEqual(killed.status, SIGKILL)
        let temporary = try XCTUnwrap(try FileManager.default.contentsOfDirectory(atPath: rejects.path).first)
        XCTAssertTrue(temporary.hasSuffix(".rejects.csv.tmp"), temporary)
        XCTAssertEqual(mode(rejects.appendingPathComponent(temporary)), 0o600, "the temporary file")
        XCTAssertEqual(mode(rejects), 0o700, "a folder the run made")
        try CLI.expect(0, ["rate", "--rejects-dir", rejects.path, freeswitch], db: db)
        XCTAssertEqual(mode(rejects.appendingPathComponent(String(temporary.dropLast(4)))), 0o600, "put in place")

        let shared = dir.appendingPathComponent("shared")
        try FileManager.default.createDirectory(at: shared, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o750])
        let asterisk = CLI.projectRoot.appendingPathComponent("samples/2024-10-04-asterisk-Master.csv.gz").path
        try CLI.expect(0, ["rate", "--rejects-dir", shared.path, asterisk], db: db)
        XCTAssertEqual(mode(shared), 0o750, "an existing folder keeps its mode")
        let written = try FileManager.default.contentsOfDirectory(atPath: shared.path)
        XCTAssertEqual(written.count, 1)
        XCTAssertEqual(mode(shared.appendingPathComponent(written[0])), 0o600)
    }

    // MARK: the inbox

    func testArchiveMinAgeAndFilesThatAreNotCDRs() throws {
        let db = try TestDatabase()
        try db.prepare()
        let dir = try scratchFolder(self)
        let inbox = dir.appendingPathComponent("inbox"), archive = dir.appendingPathComponent("archive")
        try FileManager.default.createDirectory(at: inbox, withIntermediateDirectories: true)
        let old = inbox.appendingPathComponent("old.csv"), fresh = inbox.appendingPathComponent("fresh.csv")
        let notCDRs = inbox.appendingPathComponent("invoice.txt")
        try (CorrectOverTimeTests.line("old-1", start: "2024-10-05 10:00:00", billsec: 60) + "\n").write(to: old, atomically: true, encoding: .utf8)
        try (CorrectOverTimeTests.line("fresh-1", start: "2024-10-05 11:00:00", billsec: 60) + "\n").write(to: fresh, atomically: true, encoding: .utf8)
        try "Dear customer,\nplease find attached\n".write(to: notCDRs, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -3600)], ofItemAtPath: old.path)
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -3600)], ofItemAtPath: notCDRs.path)

        let r = try CLI.run(["rate", "--min-age", "600", "--archive-dir", archive.path, "--rejects-dir", dir.appendingPathComponent("rejects").path,
                             inbox.path], db: db)
        XCTAssertEqual(r.status, 1, "a file that is not CDRs needs a person\n\(r.stderr)")
        XCTAssertTrue(r.stderr.contains("fresh.csv: modified") && r.stderr.contains("left for a later run"), r.stderr)
        XCTAssertTrue(r.stderr.contains("invoice.txt: FAILED: not a CDR file: none of its 2 line(s)"), r.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: archive.path), ["old.csv"])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: inbox.path).sorted(), ["fresh.csv", "invoice.txt"])
        XCTAssertEqual(try db.dump("SELECT file_name, status, stored FROM cdr_files ORDER BY 1"), "invoice.txt|failed|0\nold.csv|rated|1")

        // A file already rated that is still in the inbox (a run killed between commit and move) is moved now.
        try FileManager.default.copyItem(at: archive.appendingPathComponent("old.csv"), to: old)
        try FileManager.default.removeItem(at: notCDRs)
        try CLI.expect(0, ["rate", "--archive-dir", archive.path, "--rejects-dir", dir.appendingPathComponent("rejects").path, inbox.path], db: db)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: archive.path).sorted(), ["fresh.csv", "old.csv", "old.csv.1"])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: inbox.path), [])
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM cdrs"), "2")
    }

    func testProgressOnATerminalNeverOnAPipe() throws {
        let db = try TestDatabase()
        try db.prepare()
        let dir = try scratchFolder(self)
        let big = dir.appendingPathComponent("big.csv")
        try syntheticFreeSWITCH(lines: 100_000, prefix: "progress").write(to: big, atomically: true, encoding: .utf8)
        // A pipe: no progress line.
        let piped = try CLI.expect(0, ["rate", "--dry-run", big.path], db: db)
        XCTAssertFalse(piped.stderr.contains("MB read"), piped.stderr)
        // A terminal (script gives the command a pseudo-terminal): the line is drawn and redrawn.
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        p.arguments = ["-qec", "'\(CLI.binary.path)' rate --dry-run '\(big.path)'", "/dev/null"]
        var env = ProcessInfo.processInfo.environment
        env["DATABASE_URL"] = db.url
        p.environment = env
        let out = Pipe()
        p.standardOutput = out
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0, text)
        XCTAssertTrue(text.contains("file 1/1 big.csv: ") && text.contains("MB read") && text.contains("CDRs/s, ETA"), text)
        XCTAssertTrue(text.contains("\r\u{1B}[K"), "redrawn in place")
        // --progress always: on a pipe too.
        let forced = try CLI.expect(0, ["rate", "--dry-run", "--progress", "always", big.path], db: db)
        XCTAssertTrue(forced.stderr.contains("MB read"), forced.stderr)
    }

    func testVersionAndHelp() throws {
        let r = try CLI.expect(0, ["--version"], db: nil)
        XCTAssertTrue(r.stdout.hasPrefix("cdr-rater "), r.stdout)
        for command in ["rate", "rerate", "files", "check", "migrate", "seed", "grants", "tariffs", "tariffs import", "tariffs list",
                        "tariffs show", "tariffs export", "price"] {
            let help = try CLI.expect(0, command.split(separator: " ").map(String.init) + ["--help"], db: nil)
            for part in ["Examples:", "DATABASE_URL", "CDR_RATER_HOME", "Secrets never go in arguments", "~/.pgpass", "Exit codes:", "75 ", "143"]
            where command != "check" || part != "Examples:" {
                XCTAssertTrue(help.stdout.contains(part), "\(command) --help lacks \(part)")
            }
        }
    }
}
