import ArgumentParser
import Billing

struct MigrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Applies, reverts or lists the schema migrations in Migrations/.",
        discussion: """
            Each migration runs in its own transaction under an advisory lock; a migration whose file changed after \
            it was applied stops the run. migrate holds the rating lock alone, so it never runs across a rate or \
            rerate: it waits for them at most --lock-wait seconds, then exits 75. 'down' reverts in one transaction; \
            one that would drop billed data (rated calls, usage, the file ledger, the cost history) is refused \
            without --force, and production (--env, CDR_RATER_ENV, or the database's billing_settings 'environment') \
            refuses 'down --all'.

            Examples:
              cdr-rater migrate
              cdr-rater migrate status
              cdr-rater migrate --lock-wait 600
              cdr-rater migrate down --steps 1

            \(HelpText.environment)

            \(HelpText.exitCodes)
            """)

    enum Action: String, ExpressibleByArgument, CaseIterable { case up, down, status }

    @Argument(help: "up (default): apply pending; down: revert (needs --steps N or --all); status: list.")
    var action: Action = .up

    @Option(help: "With down: how many of the latest migrations to revert.")
    var steps: Int?

    @Flag(help: "With down: revert every applied migration.")
    var all = false

    @Option(help: "development or production (default $CDR_RATER_ENV, else the database's own setting).")
    var env: String?

    @OptionGroup var safety: SafetyOptions

    @OptionGroup var database: DatabaseOptions

    func validate() throws {
        if action == .down {
            guard (steps != nil) != all else { throw ValidationError("migrate down needs exactly one of --steps N or --all") }
            if let steps, steps < 1 { throw ValidationError("--steps must be 1 or more") }
        } else if steps != nil || all || safety.force {
            throw ValidationError("--steps, --all and --force go with 'migrate down' only")
        }
    }

    func run() throws {
        let folder = try ProjectFiles.folder("Migrations")
        let db = try database.connect()
        let migrator = try Migrator(db: db, folder: folder)
        switch action {
        case .up:
            let applied = try migrator.up(lockWait: safety.lockWait, logger: OperatorLogHandler.logger())
            note(applied.isEmpty ? "migrate: nothing to apply, the schema is up to date" : "migrate: applied \(applied.count) migration(s)")
        case .down:
            let reverted = try migrator.down(steps: all ? nil : steps, force: safety.force, confirm: safety.confirmation(db),
                                             environment: DeploymentEnvironment.named(env), lockWait: safety.lockWait,
                                             logger: OperatorLogHandler.logger())
            note("migrate: reverted \(reverted.count) migration(s)")
        case .status:
            for s in try migrator.status() {
                print("\(s.appliedAt.map { "applied \($0)" } ?? "pending                        ")  \(s.name)")
            }
        }
    }
}
