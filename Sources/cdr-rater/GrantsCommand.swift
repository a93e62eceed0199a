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
            migrate, seed, partitions detach and attach stay with the owner. --revoke takes it all back \
            (every privilege of the role on the schema's tables, sequences and those functions) and \
            forgets the role, so migrations no longer give it anything.

            Examples:
              cdr-rater grants --role cdr_nightly                     print the statements
              cdr-rater grants --role cdr_nightly --apply             apply them and keep them across migrations
              cdr-rater grants --role cdr_nightly --revoke --apply    retire the role: revoke, and forget it

            Create the role first, as a superuser, and give it its password in psql (\\password), not on \
            a command line: CREATE ROLE cdr_nightly LOGIN;

            \(HelpText.environment)

            \(HelpText.exitCodes)
            """)

    @Option(help: "The nightly role: a LOGIN role that is neither the owner of the schema nor a superuser.")
    var role: String

    @Flag(help: "Apply the statements in one transaction (as the owner of the schema) and record the role, so migrations keep them.")
    var apply = false

    @Flag(help: "Revoke instead: everything the role has on the schema's tables, sequences and month functions; with --apply, also forget it.")
    var revoke = false

    @OptionGroup var database: DatabaseOptions

    func run() throws {
        let db = try database.connect()
        let statements: [String]
        switch (revoke, apply) {
        case (false, false):
            statements = try NightlyGrants.statements(db, role: role)
            print("-- what the nightly role \(role) needs; 'cdr-rater grants --role \(role) --apply' applies it and keeps it across migrations")
        case (false, true):
            statements = try NightlyGrants.apply(db, role: role)
            print("-- applied, and kept by every later 'cdr-rater migrate':")
        case (true, false):
            statements = try NightlyGrants.revocations(db, role: role)
            print("-- what takes it back from \(role); 'cdr-rater grants --role \(role) --revoke --apply' applies it and forgets the role")
        case (true, true):
            statements = try NightlyGrants.revoke(db, role: role)
            print("-- applied; later migrations no longer give \(role) anything:")
        }
        print((["BEGIN"] + statements + ["COMMIT"]).map { $0 + ";" }.joined(separator: "\n"))
        if apply {
            note(revoke ? "grants: \(role) has nothing on the schema any more, and is forgotten (\(statements.count) statements)"
                : "grants: \(role) has what the nightly job needs (\(statements.count) statements)")
        }
    }
}
