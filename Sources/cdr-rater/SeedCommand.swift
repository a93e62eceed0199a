import ArgumentParser
import Billing
import Foundation

struct SeedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seed",
        abstract: "Loads the initial data in Seeds/ (admin users, rate plans, demo customers), or removes it with 'seed undo'.",
        discussion: """
            Seeding twice adds nothing the second time. Demo customers never load in production \
            (--env, else CDR_RATER_ENV, else development).

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

    @OptionGroup var database: DatabaseOptions

    var environment: Seeder.Environment {
        get throws {
            let name = env ?? ProcessInfo.processInfo.environment["CDR_RATER_ENV"] ?? "development"
            guard let e = Seeder.Environment(rawValue: name) else {
                throw BillingError.usage("unknown environment '\(name)': use development or production")
            }
            return e
        }
    }

    func run() throws {
        let folder = try ProjectFiles.folder("Seeds")
        let selected = try Seeder(db: nil, folder: folder).select(environment: try environment, only: only)
        let seeder = try Seeder(db: try database.connect(), folder: folder)
        if action == .undo {
            try seeder.undo(selected, logger: OperatorLogHandler.logger())
        } else {
            try seeder.load(selected, logger: OperatorLogHandler.logger())
        }
    }
}
