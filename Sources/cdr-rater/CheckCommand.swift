import ArgumentParser
import Billing
import Foundation

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Checks the money equalities of the stored usage rows and calls, in SQL; exits 1 when one fails.",
        discussion: """
            For every subscription_usage row: overage_cost = the period's call costs rounded half-up to paise; \
            minutes_used = imported minutes + the calls' billed seconds / 60, rounded up; minutes_overage = their \
            uncovered billed seconds / 60, rounded up, + imported minutes past the included; the bundle covers \
            min(the calls' in-bundle seconds, (included - imported) x 60), in (start_time, uuid) order; \
            the counters of answered calls by type = the calls' + the imported ones (metadata.imported_*). \
            It does not check balances: the database keeps no \
            starting balance. Rating moves a prepaid balance by exactly the growth of overage_cost, so, payments \
            aside, balance = starting balance - the sum of the account's overage_cost.

            Examples:
              cdr-rater check                     after a night's run: exit 0 when every row agrees
              cdr-rater check || cdr-rater rerate --from 2024-10-01 --to 2024-11-01 --dry-run

            \(HelpText.environment)

            \(HelpText.exitCodes)
            """)

    @OptionGroup var database: DatabaseOptions

    func run() throws {
        let problems = try MoneyCheck.violations(try database.connect())
        for p in problems { print(p) }
        if !problems.isEmpty {
            note("cdr-rater: error: \(problems.count) money equality violation(s); 'cdr-rater rerate' over the periods named re-prices them")
            throw ExitCode(1)
        }
        note("check: every usage row agrees with its calls")
    }
}
