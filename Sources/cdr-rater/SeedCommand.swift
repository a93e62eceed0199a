import ArgumentParser
import Billing
import Foundation

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

            Examples:
              cdr-rater seed
              cdr-rater seed --env production
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

    var environment: Seeder.Environment {
        get throws {
            let name = DeploymentEnvironment.named(env) ?? "development"
            guard let e = Seeder.Environment(rawValue: name) else {
                throw BillingError.usage("unknown environment '\(name)': use development or production")
            }
            return e
        }
    }

    func run() throws {
        let folder = try ProjectFiles.folder("Seeds")
        let selected = try Seeder(db: nil, folder: folder).select(environment: try environment, only: only)
        let db = try database.connect()
        let seeder = try Seeder(db: db, folder: folder)
        if action == .undo {
            try seeder.undo(selected, force: safety.force, confirm: safety.confirmation(db), environment: DeploymentEnvironment.named(env),
                            lockWait: safety.lockWait, logger: OperatorLogHandler.logger())
        } else {
            try seeder.load(selected, logger: OperatorLogHandler.logger())
            if try environment == .production { try DeploymentEnvironment.markProduction(db) }
        }
    }
}
