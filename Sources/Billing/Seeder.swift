import Foundation
import Logging
import Postgres

/// Loads and removes the initial data in `Seeds/`.
///
/// Each seed is `NN-name.up.sql` / `NN-name.down.sql`; the first line says
/// where it may load: `-- environments: development, production`. The SQL
/// is idempotent, so seeding twice adds nothing the second time.
public struct Seeder {
    public enum Environment: String, CaseIterable { case development, production }

    public struct Seed {
        public let name: String
        public let up: URL
        public let down: URL
        public let environments: Set<Environment>
    }

    static let lockKey = AdvisoryLock.seed.key

    let db: Connection?
    public let seeds: [Seed]

    /// Reads the seed folder; `db` may be nil to validate arguments only.
    public init(db: Connection?, folder: URL) throws {
        self.db = db
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: folder.path) } catch {
            throw BillingError("cannot list \(folder.path): \(error.localizedDescription)")
        }
        seeds = try names.filter { $0.hasSuffix(".up.sql") }.sorted().map { file in
            let stem = String(file.dropLast(".up.sql".count))
            let up = folder.appendingPathComponent(file)
            let header = try ProjectFiles.read(up).split(separator: "\n", maxSplits: 1).first.map(String.init) ?? ""
            let prefix = "-- environments:"
            guard header.hasPrefix(prefix) else {
                throw BillingError("\(up.path): first line must be '\(prefix) development[, production]'")
            }
            let envs = try header.dropFirst(prefix.count).split(separator: ",").map { raw -> Environment in
                let word = raw.trimmingCharacters(in: .whitespaces)
                guard let env = Environment(rawValue: word) else { throw BillingError("\(up.path): unknown environment '\(word)'") }
                return env
            }
            let name = stem.drop { $0.isNumber }.drop { $0 == "-" }
            return Seed(name: String(name), up: up, down: folder.appendingPathComponent(stem + ".down.sql"), environments: Set(envs))
        }
    }

    /// The seeds to load or undo, validating `--only` against the environment.
    public func select(environment: Environment, only: String?) throws -> [Seed] {
        if let only {
            guard let seed = seeds.first(where: { $0.name == only }) else {
                throw BillingError.usage("unknown seed '\(only)'; seeds are: \(seeds.map(\.name).joined(separator: ", "))")
            }
            guard seed.environments.contains(environment) else {
                throw BillingError.usage("seed '\(only)' is demo data and never loads in \(environment.rawValue)")
            }
            return [seed]
        }
        return seeds.filter { $0.environments.contains(environment) }
    }

    /// Loads the seeds in order, one transaction each. The environment and
    /// the staff users' passwords reach the SQL as settings of each seed's
    /// transaction (`cdr_rater.environment`, `cdr_rater.admin_password`, ...);
    /// a generated password a seed gave is handed to `reveal` once that seed
    /// committed, and nowhere else.
    public func load(_ selected: [Seed], environment: Environment, passwords: StaffPasswords,
                     reveal: (_ user: String, _ password: String) -> Void, logger: Logger = Logger(label: "cdr-rater")) throws {
        let settings = [("cdr_rater.environment", environment.rawValue)]
            + passwords.byUser.sorted { $0.key < $1.key }.map { ("cdr_rater.\($0.key)_password", $0.value) }
        let watched = passwords.generated.sorted()
        var shown = Set<String>()
        try run(selected.map { ($0.name, $0.up) }, verb: "loaded (rows already there are left as they are)", logger: logger,
                settings: settings, watching: watched) { given in
            for user in watched where given.contains(user) && !shown.contains(user) {
                shown.insert(user)
                reveal(user, passwords.byUser[user]!)
            }
        }
        for user in watched where !shown.contains(user) && selected.contains(where: { $0.name == "admin-users" }) {
            logger.info("seed admin-users: user \(user) was there already; its password is left as it was")
        }
    }

    /// Removes the seeded rows, last seed first, in one transaction, holding
    /// the rating lock alone (waiting at most `lockWait` s). Refused in
    /// production; a removal that would drop billed data or detach rated
    /// calls from their subscriptions (`BilledData`) needs `force`, and
    /// `confirm` when given.
    public func undo(_ selected: [Seed], force: Bool = false, confirm: ((String) -> Bool)? = nil, environment: String? = nil,
                     lockWait: Double = 0, logger: Logger = Logger(label: "cdr-rater")) throws {
        guard let db else { return }
        try db.withAdvisoryLock(Seeder.lockKey) {
            _ = try RunLock.acquire(db, .exclusive, wait: lockWait, command: "seed undo", logger: logger)
            defer { RunLock.release(db, .exclusive) }
            if try DeploymentEnvironment.isProduction(db, named: environment) { throw DeploymentEnvironment.refusal("seed undo") }
            let seeds = Array(selected.reversed())
            try BilledData.guarding(db, what: "seed undo of \(seeds.map(\.name).joined(separator: ", "))", force: force, confirm: confirm) {
                for seed in seeds {
                    do { try db.execute(script: try ProjectFiles.read(seed.down)) } catch let e as PostgresError {
                        throw BillingError("seed \(seed.name) could not be removed; nothing was removed: \(e)\(e.missingSchemaHint)")
                    }
                }
            }
            for seed in seeds { logger.info("seed \(seed.name): removed its rows") }
        }
    }

    /// Runs each file in a transaction of its own, with `settings` set in it;
    /// `committed` gets those of the `watched` users whose password the file set.
    private func run(_ files: [(String, URL)], verb: String, logger: Logger, settings: [(String, String)] = [],
                     watching watched: [String] = [], committed: (_ given: Set<String>) -> Void = { _ in }) throws {
        guard let db else { return }
        try db.withAdvisoryLock(Seeder.lockKey) {
            for (name, url) in files {
                let sql = try ProjectFiles.read(url)
                let given: Set<String>
                do {
                    given = try db.transaction {
                        for (key, value) in settings { try db.query("SELECT set_config($1, $2, true)", [key, value]) }
                        let before = try passwordHashes(db, of: watched)
                        try db.execute(script: sql)
                        let after = try passwordHashes(db, of: watched)
                        return Set(watched.filter { after[$0] != nil && after[$0] != before[$0] })
                    }
                } catch let e as PostgresError {
                    throw BillingError("seed \(name) failed and was rolled back: \(e)\(e.missingSchemaHint)")
                }
                logger.info("seed \(name): \(verb)")
                committed(given)
            }
        }
    }

    /// The password hashes of those of `users` that exist; none when there is no users table yet.
    private func passwordHashes(_ db: Connection, of users: [String]) throws -> [String: String] {
        guard !users.isEmpty, try db.query("SELECT to_regclass('users') IS NOT NULL").scalar == "t" else { return [:] }
        let rows = try db.query("SELECT username, password FROM users WHERE username = ANY($1::text[])", [postgresArrayLiteral(users)]).rows
        return Dictionary(uniqueKeysWithValues: rows.map { ($0[0]!, $0[1]!) })
    }
}
