import ArgumentParser
import Billing
import Foundation

/// `cdr-rater grants`: the privileges of a nightly role that owns nothing.
struct GrantsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grants",
        abstract: "Prints, or applies with --apply, what a nightly role needs: neither owner nor superuser, it rates, re-rates, lists and checks.",
        discussion: """
            The nightly job (rate, rerate, files, check, partitions ensure) need not run as the owner of \
            the schema. This prints the GRANT statements that give a role what the job reads and writes, \
            and nothing more: the rated calls and their months, the uuid registry, usage rows, balances, \
            the file ledger, the rating lock's holders, rerate runs and the cost history; the catalog \
            read-only; the functions that make a month with no partition yet (they run as the owner). \
            --apply applies them in one transaction, as the owner (the role that ran 'cdr-rater migrate'), \
            and records the role, so that every later 'cdr-rater migrate' (up or down) gives them again. \
            migrate, seed, partitions detach and attach stay with the owner.

            Examples:
              cdr-rater grants --role cdr_nightly            print the statements
              cdr-rater grants --role cdr_nightly --apply    apply them and keep them across migrations

            Create the role first, as a superuser, and give it its password in psql (\\password), not on \
            a command line: CREATE ROLE cdr_nightly LOGIN;

            \(HelpText.environment)

            \(HelpText.exitCodes)
            """)

    @Option(help: "The nightly role: a LOGIN role that is neither the owner of the schema nor a superuser.")
    var role: String

    @Flag(help: "Apply the statements in one transaction (as the owner of the schema) and record the role, so migrations keep them.")
    var apply = false

    @OptionGroup var database: DatabaseOptions

    func run() throws {
        let db = try database.connect()
        let statements = apply ? try NightlyGrants.apply(db, role: role) : try NightlyGrants.statements(db, role: role)
        print(apply ? "-- applied, and kept by every later 'cdr-rater migrate':"
            : "-- what the nightly role \(role) needs; 'cdr-rater grants --role \(role) --apply' applies it and keeps it across migrations")
        print((["BEGIN"] + statements + ["COMMIT"]).map { $0 + ";" }.joined(separator: "\n"))
        if apply { note("grants: \(role) has what the nightly job needs (\(statements.count) statements)") }
    }
}
