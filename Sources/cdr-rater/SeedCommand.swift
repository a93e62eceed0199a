import ArgumentParser
import Billing
import Foundation
import Postgres

struct SeedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seed",
        abstract: "Loads the initial data in Seeds/ (admin users, rate plans, demo customers), or removes it with 'seed undo'.",
        discussion: """
            Seeding twice adds nothing the second time. Demo customers never load in production \
            (--env, else CDR_RATER_ENV, else development); 'seed --env production' marks the database as production \
            (billing_settings 'environment'). 'seed undo' holds the rating lock alone (waiting at most --lock-wait \
            seconds, then exit 75), is refused in production, and needs --force when it would drop billed data or \
            detach rated calls from their subscriptions.

            The admin and support users get their passwords from CDR_RATER_ADMIN_PASSWORD and \
            CDR_RATER_SUPPORT_PASSWORD when set. Otherwise development gives them the documented \
            Admin@123, and production generates one each (20 random letters and digits), printed \
            once on standard output and nowhere else, and leaves password_changed_at empty: each \
            is to be changed at the first login. Production refuses the published demo passwords.

            Examples:
              cdr-rater seed
              cdr-rater seed --env production              passwords generated, printed once
              CDR_RATER_ADMIN_PASSWORD=... CDR_RATER_SUPPORT_PASSWORD=... cdr-rater seed --env production
              cdr-rater seed undo

            \(HelpText.environment)

            \(HelpText.exitCodes)
            """)

    enum Action: String, ExpressibleByArgument { case undo }

    @Argument(help: "'undo' removes the seeded rows, last seed first.")
    var action: Action?

    @Option(help: "development (default, or $CDR_RATER_ENV) or production.")
    var env: String?

    @Option(help: "Load only this seed (admin-users, rate-plans, demo-customers).")
    var only: String?

    @OptionGroup var safety: SafetyOptions

    @OptionGroup var database: DatabaseOptions

    func validate() throws {
        if action != .undo && safety.force { throw ValidationError("--force goes with 'seed undo' only") }
    }

    /// The environment the run names: --env, else CDR_RATER_ENV; nil when neither does.
    var namedEnvironment: Seeder.Environment? {
        get throws {
            guard let name = DeploymentEnvironment.named(env) else { return nil }
            guard let e = Seeder.Environment(rawValue: name) else {
                throw BillingError.usage("unknown environment '\(name)': use development or production")
            }
            return e
        }
    }

    /// The seeds' environment: the one named, else the database's own mark,
    /// else development. A database marked production never takes the
    /// development seeds (demo customers with published passwords).
    func environment(_ db: Connection) throws -> Seeder.Environment {
        let marked = try DeploymentEnvironment.isProduction(db, named: nil)
        let named = try namedEnvironment
        if marked && named == .development {
            throw BillingError.usage("this database is marked production (billing_settings 'environment'): the development seeds "
                + "(demo customers, published passwords) never load into it")
        }
        return named ?? (marked ? .production : .development)
    }

    func run() throws {
        let folder = try ProjectFiles.folder("Seeds")
        _ = try Seeder(db: nil, folder: folder).select(environment: try namedEnvironment ?? .development, only: only) // usage errors before connecting
        let db = try database.connect()
        let environment = try environment(db)
        let selected = try Seeder(db: nil, folder: folder).select(environment: environment, only: only)
        let seeder = try Seeder(db: db, folder: folder)
        if action == .undo {
            try seeder.undo(selected, force: safety.force, confirm: safety.confirmation(db), environment: DeploymentEnvironment.named(env),
                            lockWait: safety.lockWait, logger: OperatorLogHandler.logger())
        } else {
            let passwords = try StaffPasswords(environment: environment, variables: ProcessInfo.processInfo.environment)
            var shown = 0
            try seeder.load(selected, environment: environment, passwords: passwords, reveal: { user, password in
                // Unbuffered: shown even if a later seed fails.
                FileHandle.standardOutput.write(Data("seed: generated password for \(user): \(password)\n".utf8))
                shown += 1
            }, logger: OperatorLogHandler.logger())
            if shown > 0 {
                note("seed: the generated password(s) above are shown this once and stored nowhere else: keep them now; "
                    + "each must be changed at the first login")
            }
            if environment == .production { try DeploymentEnvironment.markProduction(db) }
        }
    }
}
