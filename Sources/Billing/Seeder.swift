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

    static let lockKey: Int64 = 0x6364_7272_0002

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

    /// Loads the seeds in order, one transaction each.
    public func load(_ selected: [Seed], logger: Logger = Logger(label: "cdr-rater")) throws {
        try run(selected.map { ($0.name, $0.up) }, verb: "loaded (rows already there are left as they are)", logger: logger)
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

    private func run(_ files: [(String, URL)], verb: String, logger: Logger) throws {
        guard let db else { return }
        try db.withAdvisoryLock(Seeder.lockKey) {
            for (name, url) in files {
                let sql = try ProjectFiles.read(url)
                do {
                    try db.transaction { try db.execute(script: sql) }
                } catch let e as PostgresError {
                    throw BillingError("seed \(name) failed and was rolled back: \(e)\(e.missingSchemaHint)")
                }
                logger.info("seed \(name): \(verb)")
            }
        }
    }
}
