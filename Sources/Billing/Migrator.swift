import Foundation
import Logging
import Postgres
import RatingRules

/// Applies and reverts the SQL files in `Migrations/`, one transaction each,
/// under an advisory lock, recording each with the checksum of its up file.
public struct Migrator {
    public struct Migration {
        public let name: String
        public let up: URL
        public let down: URL
        public let checksum: String
    }

    public struct Status {
        public let name: String
        public let appliedAt: String?
    }

    static let lockKey = AdvisoryLock.migrate.key

    let db: Connection
    public let migrations: [Migration]

    public init(db: Connection, folder: URL) throws {
        self.db = db
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: folder.path) } catch {
            throw BillingError("cannot list \(folder.path): \(error.localizedDescription)")
        }
        let stems = names.filter { $0.hasSuffix(".up.sql") }.map { String($0.dropLast(".up.sql".count)) }.sorted()
        migrations = try stems.map { stem in
            let up = folder.appendingPathComponent(stem + ".up.sql")
            let down = folder.appendingPathComponent(stem + ".down.sql")
            guard FileManager.default.isReadableFile(atPath: down.path) else {
                throw BillingError("migration \(stem) has no readable down file \(down.path)")
            }
            return Migration(name: stem, up: up, down: down, checksum: SHA256Digest.hex(of: Array(try ProjectFiles.read(up).utf8)))
        }
        if migrations.isEmpty { throw BillingError("\(folder.path) holds no *.up.sql migrations") }
    }

    func ensureTable() throws {
        try db.execute(script: """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                name text PRIMARY KEY,
                checksum char(64) NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now(),
                execution_ms integer NOT NULL DEFAULT 0
            )
            """)
    }

    func applied() throws -> [(name: String, checksum: String, appliedAt: String)] {
        try db.execute("SELECT name, checksum, to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') || ' UTC' FROM schema_migrations ORDER BY name")
            .decode((String, String, String).self).map { (name: $0, checksum: $1, appliedAt: $2) }
    }

    /// Refuses when an applied migration's file is gone or has changed.
    func verify(_ applied: [(name: String, checksum: String, appliedAt: String)]) throws {
        let byName = Dictionary(uniqueKeysWithValues: migrations.map { ($0.name, $0) })
        for a in applied {
            guard let m = byName[a.name] else {
                throw BillingError("migration \(a.name) is applied but its file is missing from Migrations/: restore it")
            }
            guard m.checksum == a.checksum else {
                throw BillingError("migration \(a.name) was changed after it was applied (checksum \(a.checksum.prefix(12)) in the database, \(m.checksum.prefix(12)) on disk): restore the file and put the change in a new migration")
            }
        }
    }

    /// Applies every pending migration; returns their names. Holds the
    /// rating lock alone meanwhile (waiting at most `lockWait` s for the runs
    /// that hold it), so that no `rate` or `rerate` runs across a change of schema.
    @discardableResult
    public func up(lockWait: Double = 0, logger: Logger = Logger(label: "cdr-rater")) throws -> [String] {
        try alone(lockWait: lockWait, logger: logger) {
            try ensureTable()
            let done = try applied()
            try verify(done)
            let doneNames = Set(done.map(\.name))
            var names: [String] = []
            for m in migrations where !doneNames.contains(m.name) {
                let started = Date()
                let sql = try ProjectFiles.read(m.up)
                do {
                    try db.transaction {
                        try db.execute(script: sql)
                        let ms = Int(Date().timeIntervalSince(started) * 1000)
                        try db.execute("INSERT INTO schema_migrations (name, checksum, execution_ms) VALUES (\(m.name), \(m.checksum), \(ms))")
                    }
                } catch let e as PostgresError {
                    throw BillingError("migration \(m.name) failed and was rolled back: \(e)")
                }
                logger.info("applied \(m.name)")
                names.append(m.name)
            }
            try keepGrants(logger: logger)
            return names
        }
    }

    /// Reverts the latest `steps` applied migrations (all when nil), in one
    /// transaction, alone under the rating lock as `up` is. A revert that
    /// would drop billed data (`BilledData`) needs `force`, and `confirm`
    /// when given; production never reverts everything.
    @discardableResult
    public func down(steps: Int?, force: Bool = false, confirm: ((String) -> Bool)? = nil, environment: String? = nil,
                     lockWait: Double = 0, logger: Logger = Logger(label: "cdr-rater")) throws -> [String] {
        try alone(lockWait: lockWait, logger: logger) {
            if steps == nil, try DeploymentEnvironment.isProduction(db, named: environment) {
                throw DeploymentEnvironment.refusal("migrate down --all")
            }
            try ensureTable()
            let done = try applied()
            try verify(done)
            let byName = Dictionary(uniqueKeysWithValues: migrations.map { ($0.name, $0) })
            let reverting = done.reversed().prefix(steps ?? done.count).compactMap { byName[$0.name] }
            let what = reverting.count > 2 ? "migrate down of \(reverting.count) migrations (\(reverting[0].name) back to \(reverting[reverting.count - 1].name))"
                : "migrate down of \(reverting.map(\.name).joined(separator: ", "))"
            try BilledData.guarding(db, what: what, force: force, confirm: confirm) {
                for m in reverting {
                    let sql = try ProjectFiles.read(m.down)
                    do {
                        try db.execute(script: sql)
                        try db.execute("DELETE FROM schema_migrations WHERE name = \(m.name)")
                    } catch let e as PostgresError {
                        throw BillingError("reverting migration \(m.name) failed; nothing was reverted: \(e)")
                    }
                }
            }
            for m in reverting { logger.info("reverted \(m.name)") }
            try keepGrants(logger: logger)
            return reverting.map(\.name)
        }
    }

    /// Runs `body` holding the migrations' lock (one migrate at a time: a
    /// second one waits, then finds nothing to do), then the rating lock alone.
    private func alone<T>(lockWait: Double, logger: Logger, _ body: () throws -> T) throws -> T {
        try db.withAdvisoryLock(Migrator.lockKey) {
            _ = try RunLock.acquire(db, .exclusive, wait: lockWait, command: "migrate", logger: logger)
            defer { RunLock.release(db, .exclusive) }
            return try body()
        }
    }

    /// Gives the nightly roles `grants --apply` recorded what they need
    /// again: a migration that made a table anew dropped its grants.
    func keepGrants(logger: Logger) throws {
        do { try NightlyGrants.reapply(db, logger: logger) } catch let e as PostgresError {
            throw BillingError("the migrations were done, but giving the nightly roles their grants again failed: \(e); "
                + "run 'cdr-rater grants --role NAME --apply' for each role in billing_roles")
        }
    }

    public func status() throws -> [Status] {
        try ensureTable()
        let done = try applied()
        let times = Dictionary(uniqueKeysWithValues: done.map { ($0.name, $0.appliedAt) })
        try verify(done)
        return migrations.map { Status(name: $0.name, appliedAt: times[$0.name]) }
    }
}
