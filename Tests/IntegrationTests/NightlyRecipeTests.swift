import Foundation
import XCTest

/// The README's nightly recipes, taken from the README as they are and run
/// as a non-root user against a scratch inbox: the crontab lines through
/// /bin/sh with cron's bare environment, and the systemd unit with its
/// user, umask, environment file and writable paths.
final class NightlyRecipeTests: XCTestCase {
    /// The fenced block that follows `<!-- nightly: NAME -->` in the README.
    private func block(_ name: String) throws -> String {
        let readme = try String(contentsOf: CLI.projectRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let marker = try XCTUnwrap(readme.range(of: "<!-- nightly: \(name) -->"), "README has no block \(name)")
        let lines = readme[marker.upperBound...].split(separator: "\n", omittingEmptySubsequences: false).dropFirst()
        guard let open = lines.first, open.hasPrefix("```") else { throw XCTSkip("block \(name) does not start with a fence") }
        return lines.dropFirst().prefix { !$0.hasPrefix("```") }.joined(separator: "\n")
    }

    /// A scratch machine: the README's paths under a folder, its spool and state owned by the job's user.
    private struct Machine {
        let root: URL
        let user: (uid: uid_t, gid: gid_t)
        static let places = [("/usr/local/bin/cdr-rater", "bin/cdr-rater"), ("/etc/cdr-rater", "etc"), ("/var/spool/cdr", "spool"),
                             ("/var/lib/node_exporter/textfile", "textfile"), ("/var/lib/cdr-rater", "state")]

        /// The README's text with its paths moved here, and its database URL replaced by `url`.
        func local(_ text: String, url: String) -> String {
            var out = text
            for (from, to) in Machine.places { out = out.replacingOccurrences(of: from, with: root.appendingPathComponent(to).path) }
            return out.replacingOccurrences(of: #"postgresql://[^'"\s]*"#, with: url, options: .regularExpression)
        }

        func path(_ name: String) -> URL { root.appendingPathComponent(name) }

        func own(_ url: URL) throws {
            XCTAssertEqual(chown(url.path, user.uid, user.gid), 0, "chown \(url.path)")
        }

        /// Runs `argv` as the job's user with only `environment`, as cron and systemd start a job.
        func run(_ argv: [String], environment: [String: String], umask mask: String = "0022") throws -> CLIResult {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/sbin/runuser")
            let env = ["HOME=/nonexistent", "LOGNAME=nobody", "PATH=/usr/bin:/bin", "SHELL=/bin/sh"]
                + environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
            p.arguments = ["-u", "nobody", "--", "/usr/bin/env", "-i"] + env + ["/bin/sh", "-c", "umask \(mask) && exec \"$@\"", "sh"] + argv
            p.currentDirectoryURL = root
            let out = Pipe(), err = Pipe()
            (p.standardOutput, p.standardError) = (out, err)
            try p.run()
            return CLI.finish(p, out, err)
        }

        /// A night's file in the inbox, an hour old (past --min-age), with one line that is no CDR.
        func nightFile() throws -> URL {
            let file = path("spool/inbox/night-\(UUID().uuidString.prefix(8)).csv")
            try (CorrectOverTimeTests.line("night-\(UUID().uuidString)", start: "2024-10-05 10:00:00", billsec: 60) + "\nbroken\n")
                .write(to: file, atomically: true, encoding: .utf8)
            try own(file)
            try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -3600)], ofItemAtPath: file.path)
            return file
        }
    }

    private func machine(_ db: TestDatabase) throws -> (Machine, url: String) {
        guard getuid() == 0, let nobody = getpwnam("nobody") else { throw XCTSkip("needs root, to run the job as the user nobody") }
        let env = ProcessInfo.processInfo.environment
        let socket = try XCTUnwrap(env["CDR_RATER_TEST_SOCKET_DIR"], "scripts/test exports the server's socket folder")
        let port = try XCTUnwrap(URLComponents(string: env["CDR_RATER_TEST_ADMIN_URL"] ?? "")?.port)
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("cdr-rater-nightly-" + UUID().uuidString)
        addTeardownBlock { try? FileManager.default.removeItem(at: root) }
        let m = Machine(root: root, user: (nobody.pointee.pw_uid, nobody.pointee.pw_gid))
        for folder in ["bin", "etc", "spool/inbox", "state", "textfile"] {
            try FileManager.default.createDirectory(at: m.path(folder), withIntermediateDirectories: true)
        }
        for folder in ["spool", "spool/inbox", "state", "textfile"] { try m.own(m.path(folder)) }
        try FileManager.default.copyItem(at: CLI.binary, to: m.path("bin/cdr-rater"))
        // A socket URL whose query holds an '&', as the README's does.
        return (m, "postgresql://cdr_rater@/\(db.name)?host=\(socket)&port=\(port)&application_name=cdr-rater-nightly")
    }

    /// What one night's rate run leaves, whichever way it was started.
    private func assertANight(_ m: Machine, file: URL, summaryMode: Int? = nil) throws {
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: m.path("spool/archive").path), [file.lastPathComponent])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: m.path("spool/rejects").path).count, 1)
        let summary = m.path("state/last-run.json").path
        let attributes = try FileManager.default.attributesOfItem(atPath: summary)
        XCTAssertEqual(attributes[.ownerAccountID] as? Int, Int(m.user.uid), "written by the job's user")
        if let summaryMode { XCTAssertEqual(attributes[.posixPermissions] as? Int, summaryMode, "the unit's umask") }
        XCTAssertTrue(try String(contentsOf: m.path("textfile/cdr_rater.prom"), encoding: .utf8).contains("cdr_rater_last_run_success 1"))
    }

    func testTheCrontabRunsVerbatimUnderSh() throws {
        let db = try TestDatabase()
        try db.prepare()
        let (m, url) = try machine(db)
        let envFile = m.path("etc/cron.env")
        try m.local(try block("cron.env"), url: url).write(to: envFile, atomically: true, encoding: .utf8)
        XCTAssertEqual(chown(envFile.path, 0, m.user.gid), 0)
        XCTAssertEqual(chmod(envFile.path, 0o640), 0)
        let jobs = try block("crontab").split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        XCTAssertEqual(jobs.count, 2, "the monthly partitions line and the nightly line")
        let commands = try jobs.map { job -> String in
            let fields = job.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true)
            XCTAssertEqual(fields.count, 6, "m h dom mon dow command: \(job)")
            let command = String(try XCTUnwrap(fields.last)).trimmingCharacters(in: .whitespaces)
            XCTAssertFalse(command.contains("%"), "cron makes % a newline: \(command)")
            return m.local(command, url: url)
        }
        let ensure = try m.run(["/bin/sh", "-c", commands[0]], environment: [:])
        XCTAssertEqual(ensure.status, 0, ensure.stderr)
        XCTAssertEqual(ensure.stdout + ensure.stderr, "")
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM pg_inherits WHERE inhparent = 'cdrs'::regclass"), "4", "this month and 3 ahead")
        let file = try m.nightFile()
        let night = try m.run(["/bin/sh", "-c", commands[1]], environment: [:])
        XCTAssertEqual(night.status, 0, night.stderr)
        XCTAssertEqual(night.stdout + night.stderr, "", "quiet: cron mails nothing")
        try assertANight(m, file: file)
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM cdr_files WHERE file_name = '\(file.lastPathComponent)'"), "1")
        // The same line without the file's 'export' connects nowhere: the quoting and the export are what make it work.
        try m.local(try block("cron.env"), url: url).replacingOccurrences(of: "export ", with: "").write(to: envFile, atomically: true, encoding: .utf8)
        let unexported = try m.run(["/bin/sh", "-c", commands[1]], environment: [:])
        XCTAssertNotEqual(unexported.status, 0)
    }

    func testTheSystemdUnitRunsAsItsUserWithItsUmaskAndEnvironmentFile() throws {
        let db = try TestDatabase()
        try db.prepare()
        let (m, url) = try machine(db)
        let unit = try block("cdr-rater.service")
        let service = unit.components(separatedBy: "[Service]").last ?? ""
        let settings = service.split(separator: "\n").filter { !$0.hasPrefix("#") && $0.contains("=") }.map { line -> (String, String) in
            let pair = line.split(separator: "=", maxSplits: 1).map(String.init)
            return (pair[0], pair[1])
        }
        func value(_ key: String) -> String? { settings.first { $0.0 == key }?.1 }
        XCTAssertEqual(value("User"), "cdr-rater")
        XCTAssertEqual(value("UMask"), "0027")
        XCTAssertEqual(value("NoNewPrivileges"), "yes")
        XCTAssertEqual(value("ProtectSystem"), "strict")
        XCTAssertEqual(value("SuccessExitStatus"), "75")
        XCTAssertEqual(value("EnvironmentFile"), "/etc/cdr-rater/systemd.env")
        let writable = try XCTUnwrap(value("ReadWritePaths")).split(separator: " ").map(String.init)
        XCTAssertTrue(try block("cdr-rater.timer").contains("OnCalendar="))

        // EnvironmentFile=, read by systemd's rules: KEY=VALUE lines, # comments, one pair of quotes removed.
        var environment: [String: String] = [:]
        for line in m.local(try block("systemd.env"), url: url).split(separator: "\n") where !line.hasPrefix("#") && line.contains("=") {
            let pair = line.split(separator: "=", maxSplits: 1).map(String.init)
            var v = pair[1].trimmingCharacters(in: .whitespaces)
            if v.count >= 2, let q = v.first, q == "\"" || q == "'", v.last == q { v = String(v.dropFirst().dropLast()) }
            XCTAssertFalse(pair[0].hasPrefix("export"), "systemd has no export")
            environment[pair[0]] = v
        }
        XCTAssertEqual(environment["DATABASE_URL"], url)

        for key in ["ExecStartPre", "ExecStart"] {
            let line = try XCTUnwrap(value(key))
            XCTAssertFalse(line.contains("\"") || line.contains("'") || line.contains("$"), "split on spaces as systemd does: \(line)")
            let argv = line.split(separator: " ").map(String.init)
            // Every path the run writes lies inside ReadWritePaths= (ProtectSystem=strict makes the rest read-only).
            for flag in ["--archive-dir", "--rejects-dir", "--summary-json", "--metrics-file"] {
                guard let i = argv.firstIndex(of: flag) else { continue }
                XCTAssertTrue(writable.contains { argv[i + 1].hasPrefix($0 + "/") }, "\(flag) \(argv[i + 1]) is outside ReadWritePaths=")
            }
            if key == "ExecStart" {
                XCTAssertTrue(writable.contains { argv.last!.hasPrefix($0 + "/") || argv.last! == $0 }, "the inbox, whose files are archived")
                let file = try m.nightFile()
                let r = try m.run(argv.map { m.local($0, url: url) }, environment: environment, umask: try XCTUnwrap(value("UMask")))
                XCTAssertEqual(r.status, 0, r.stderr)
                XCTAssertEqual(r.stdout + r.stderr, "", "quiet")
                try assertANight(m, file: file, summaryMode: 0o640)
            } else {
                let r = try m.run(argv.map { m.local($0, url: url) }, environment: environment, umask: try XCTUnwrap(value("UMask")))
                XCTAssertEqual(r.status, 0, r.stderr)
            }
        }
        // A metrics folder that does not exist is found before anything is read.
        let missing = try CLI.run(["rate", "--metrics-file", "/nonexistent-folder/cdr_rater.prom", "/tmp"], db: db)
        XCTAssertEqual(missing.status, 2)
        XCTAssertTrue(missing.stderr.contains("--metrics-file /nonexistent-folder/cdr_rater.prom: its folder /nonexistent-folder does not exist"),
                      missing.stderr)
    }
}
