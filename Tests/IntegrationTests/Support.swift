import Billing
import Foundation
import Postgres
import XCTest

/// A throwaway database on the server that scripts/test starts, and ways to
/// run the real `cdr-rater` binary against it.
final class TestDatabase {
    let name: String
    let url: String
    private let adminURL: String

    /// Creates a fresh empty database; skips (or fails, under scripts/test)
    /// when no test server is configured.
    init() throws {
        let env = ProcessInfo.processInfo.environment
        guard let admin = env["CDR_RATER_TEST_ADMIN_URL"], !admin.isEmpty else {
            if env["CDR_RATER_TEST_REQUIRE_DB"] == "1" {
                XCTFail("CDR_RATER_TEST_ADMIN_URL is not set")
            }
            throw XCTSkip("no test PostgreSQL: run scripts/test")
        }
        adminURL = admin
        name = "cdr_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12).lowercased()
        let c = try Connection(connectionString: admin)
        try c.execute(script: "CREATE DATABASE \(name)")
        url = TestDatabase.replaceDatabase(in: admin, with: name)
    }

    deinit {
        if let c = try? Connection(connectionString: adminURL) {
            _ = try? c.execute(script: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
        }
    }

    static func replaceDatabase(in url: String, with name: String) -> String {
        var c = URLComponents(string: url)!
        c.path = "/" + name
        return c.string!
    }

    var password: String { URLComponents(string: url)!.password ?? "" }

    func connect() throws -> Connection { try Connection(connectionString: url) }

    /// All rows of a query as one text, for comparing whole tables.
    func dump(_ sql: String) throws -> String {
        try connect().query(sql).rows.map { $0.map { $0 ?? "NULL" }.joined(separator: "|") }.joined(separator: "\n")
    }

    func scalar(_ sql: String) throws -> String? { try connect().query(sql).scalar }

    /// Everything rating writes, without ids and timestamps of the run, nor
    /// which file and line a call came from (the same CDRs cut into other files
    /// must give the same snapshot).
    func ratingSnapshot() throws -> String {
        try [
            dump("""
                SELECT uuid, s.subscription_number, c.caller_id, c.destination, c.start_time, c.end_time, c.duration,
                       c.billable_seconds, c.call_direction, c.call_type, c.call_status, c.hangup_cause, c.cost,
                       c.processing_status, c.processing_error, c.metadata - 'source' - 'line'
                FROM cdrs c LEFT JOIN subscriptions s ON s.id = c.subscription_id ORDER BY uuid
                """),
            dump("""
                SELECT s.subscription_number, u.billing_period_start, u.billing_period_end, u.minutes_included, u.minutes_used,
                       u.minutes_overage, u.overage_cost, u.local_calls, u.std_calls, u.isd_calls, u.mobile_calls, u.metadata
                FROM subscription_usage u JOIN subscriptions s ON s.id = u.subscription_id ORDER BY 1, 2
                """),
            dump("SELECT account_number, balance FROM accounts ORDER BY 1"),
        ].joined(separator: "\n---\n")
    }

    /// SPEC section 3's equalities (`MoneyCheck`, in SQL) and the balances:
    /// each prepaid account's seeded balance less the sum of its periods' overage_cost.
    func assertMoneyEqualities(file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(try MoneyCheck.violations(connect()), [], file: file, line: line)
        XCTAssertEqual(try dump("""
            SELECT a.account_number, a.balance = v.seeded - coalesce(sum(u.overage_cost), 0)
            FROM accounts a
            JOIN (VALUES ('ACC-10001', 500.00), ('ACC-10002', 2000.00), ('ACC-10003', 0.00)) v(number, seeded) ON v.number = a.account_number
            LEFT JOIN subscriptions s ON s.account_id = a.id AND a.account_type = 'prepaid'
            LEFT JOIN subscription_usage u ON u.subscription_id = s.id
            GROUP BY a.account_number, a.balance, v.seeded ORDER BY 1
            """), "ACC-10001|t\nACC-10002|t\nACC-10003|t", file: file, line: line)
    }

    /// migrate + seed, as an operator does once.
    func prepare() throws {
        try CLI.expect(0, ["migrate"], db: self)
        try CLI.expect(0, ["seed"], db: self)
    }

    /// Migrates and loads every development seed but `skipped` (e.g. demo-tariff, for a test whose
    /// tariffs, version ids and counts are its own).
    func prepare(skipping skipped: Set<String>) throws {
        try CLI.expect(0, ["migrate"], db: self)
        let files = try FileManager.default.contentsOfDirectory(atPath: CLI.projectRoot.appendingPathComponent("Seeds").path)
        let names = files.filter { $0.hasSuffix(".up.sql") }.sorted().map { String($0.dropLast(".up.sql".count).drop { $0.isNumber }.drop { $0 == "-" }) }
        for name in names where !skipped.contains(name) { try CLI.expect(0, ["seed", "--only", name], db: self) }
    }
}

/// A LOGIN role of the test's own, neither owner nor superuser, made
/// through the test server's superuser and dropped when the test ends.
struct TestRole {
    let name: String
    /// The test database's URL, as this role.
    let url: String

    static var superuser: String {
        get throws {
            let env = ProcessInfo.processInfo.environment
            guard let url = env["CDR_RATER_TEST_SUPERUSER_URL"], !url.isEmpty else {
                if env["CDR_RATER_TEST_REQUIRE_DB"] == "1" { XCTFail("CDR_RATER_TEST_SUPERUSER_URL is not set") }
                throw XCTSkip("no superuser of the test PostgreSQL: run scripts/test")
            }
            return url
        }
    }

    /// As the superuser, on `db` (nil: the postgres database).
    static func superuserConnection(_ db: TestDatabase?) throws -> Connection {
        try Connection(connectionString: try superuser + (db.map { " dbname=\($0.name)" } ?? ""))
    }

    /// A role named `name` (a fresh one when nil), with LOGIN and a password, for `db`.
    init(_ test: XCTestCase, db: TestDatabase, name: String? = nil) throws {
        let suffix = UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(10).lowercased()
        self.name = name.map { $0 + suffix } ?? "cdr_nightly_" + suffix
        let password = "pw" + UUID().uuidString.replacingOccurrences(of: "-", with: "")
        let quoted = "\"" + self.name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        try TestRole.superuserConnection(nil).execute(script: "CREATE ROLE \(quoted) LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD '\(password)'")
        var c = URLComponents(string: db.url)!
        c.user = self.name
        c.password = password
        url = c.string!
        test.addTeardownBlock { [db] in
            _ = try? TestRole.superuserConnection(db).execute(script: "DROP OWNED BY \(quoted)")
            _ = try? TestRole.superuserConnection(nil).execute(script: "DROP ROLE IF EXISTS \(quoted)")
        }
    }
}

struct CLIResult {
    let status: Int32
    let stdout: String
    let stderr: String
}

enum CLI {
    static let projectRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    static var binary: URL {
        // The test bundle sits beside the products it was built with.
        var dir = Bundle(for: TestDatabase.self).bundleURL
        if dir.pathExtension == "xctest" { dir = dir.deletingLastPathComponent() }
        return dir.appendingPathComponent("cdr-rater")
    }

    static func start(_ args: [String], db: TestDatabase?, environment: [String: String] = [:],
                      cwd: URL? = nil, binary: URL = CLI.binary) throws -> (Process, Pipe, Pipe) {
        let p = Process()
        p.executableURL = binary
        p.arguments = args
        var env = ProcessInfo.processInfo.environment
        env["CDR_RATER_HOME"] = projectRoot.path
        env.removeValue(forKey: "DATABASE_URL")
        if let db { env["DATABASE_URL"] = db.url }
        for (k, v) in environment { env[k] = v }
        p.environment = env
        p.currentDirectoryURL = cwd ?? FileManager.default.temporaryDirectory
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        return (p, out, err)
    }

    @discardableResult
    static func run(_ args: [String], db: TestDatabase?, environment: [String: String] = [:], cwd: URL? = nil,
                    binary: URL = CLI.binary) throws -> CLIResult {
        let (p, out, err) = try start(args, db: db, environment: environment, cwd: cwd, binary: binary)
        return finish(p, out, err)
    }

    /// Reads a started process's output to its end and waits for it.
    static func finish(_ p: Process, _ out: Pipe, _ err: Pipe) -> CLIResult {
        // Read both pipes before waiting so a chatty child never blocks.
        final class Box: @unchecked Sendable { var data = Data() }
        let errData = Box()
        let group = DispatchGroup()
        DispatchQueue.global().async(group: group) { errData.data = err.fileHandleForReading.readDataToEndOfFile() }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        p.waitUntilExit()
        return CLIResult(status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                         stderr: String(decoding: errData.data, as: UTF8.self))
    }

    @discardableResult
    static func expect(_ status: Int32, _ args: [String], db: TestDatabase?, environment: [String: String] = [:],
                       cwd: URL? = nil, file: StaticString = #filePath, line: UInt = #line) throws -> CLIResult {
        let r = try run(args, db: db, environment: environment, cwd: cwd)
        XCTAssertEqual(r.status, status, "cdr-rater \(args.joined(separator: " ")) exited \(r.status)\nstdout:\n\(r.stdout)\nstderr:\n\(r.stderr)",
                       file: file, line: line)
        return r
    }
}

/// Polls `condition` every 20 ms for at most `seconds`; whether it came true.
func waitUntil(seconds: Double = 12, _ condition: () throws -> Bool) rethrows -> Bool {
    let end = Date().addingTimeInterval(seconds)
    while Date() < end {
        if try condition() { return true }
        usleep(20_000)
    }
    return try condition()
}

/// How many migrations `name` and those after it are (`migrate down --steps` that reverts it); all of them by default.
func migrationsSince(_ name: String = "") throws -> Int {
    try FileManager.default.contentsOfDirectory(atPath: CLI.projectRoot.appendingPathComponent("Migrations").path)
        .filter { $0.hasSuffix(".up.sql") && $0 >= name }.count
}

/// Standard error's lines but the warning that --database-url holds a password.
func linesBesidesPasswordWarning(_ stderr: String) -> [Substring] {
    stderr.split(separator: "\n").filter { !$0.hasPrefix("cdr-rater: warning: --database-url holds a password") }
}

/// A scratch folder removed when the test ends.
func scratchFolder(_ test: XCTestCase) throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cdr-rater-test-" + UUID().uuidString)
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
    return dir
}

func gzip(_ text: String) throws -> Data {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/bin/gzip")
    p.arguments = ["-c", "-n"]
    let input = Pipe(), output = Pipe()
    p.standardInput = input
    p.standardOutput = output
    try p.run()
    DispatchQueue.global().async {
        input.fileHandleForWriting.write(Data(text.utf8))
        try? input.fileHandleForWriting.close()
    }
    let data = output.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return data
}

/// Lines of the sample FreeSWITCH file, uncompressed.
func sampleLines(_ name: String) throws -> [String] {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/bin/gzip")
    p.arguments = ["-dc", CLI.projectRoot.appendingPathComponent("samples/" + name).path]
    let out = Pipe()
    p.standardOutput = out
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
}

/// FreeSWITCH lines for the demo subscriptions spread over October 2024.
func syntheticFreeSWITCH(lines: Int, prefix: String) -> String {
    let accounts = ["ACC-10001", "ACC-10002", "ACC-10003", ""]
    var out = ""
    out.reserveCapacity(lines * 220)
    for i in 0 ..< lines {
        let day = 1 + (i * 7) % 28, hour = 1 + (i * 13) % 22, minute = (i * 31) % 60
        let billsec = (i * 37) % 400
        let cause = billsec > 0 ? "NORMAL_CLEARING" : ["USER_BUSY", "NO_ANSWER", "ORIGINATOR_CANCEL", "CALL_REJECTED"][i % 4]
        let start = String(format: "2024-10-%02d %02d:%02d:00", day, hour, minute)
        let answer = billsec > 0 ? String(format: "2024-10-%02d %02d:%02d:02", day, hour, minute) : ""
        let endSeconds = 2 + billsec
        let end = String(format: "2024-10-%02d %02d:%02d:%02d", day, hour + (minute * 60 + endSeconds) / 3600,
                         (minute + endSeconds / 60) % 60, endSeconds % 60)
        let destinations = ["98\(String(format: "%08d", i % 100_000_000))", "+14155550100", "08041000001", "1800 123 4567", "022-2600-0000"]
        out += "\"Caller \(i)\",\"+919876543212\",\"\(destinations[i % 5])\",\"default\",\"\(start)\",\"\(answer)\",\"\(end)\",\(endSeconds),\(billsec),\"\(cause)\",\"\(prefix)-\(String(format: "%08d", i))\",\"\",\"\(accounts[i % 4])\",\"PCMU\",\"PCMU\"\n"
    }
    return out
}
