import ArgumentParser
import Billing
import Foundation
import RatingRules

struct RerateCommand: ParsableCommand, PlansHelp {
    static let configuration = CommandConfiguration(
        commandName: "rerate",
        abstract: "Re-matches and re-prices stored calls against the catalog as it is now (a tariff change, a DID assigned late, calls rated before seeding).",
        discussion: """
            Selects the stored calls whose start time is in [--from, --to) (a date alone means midnight in the business \
            zone, billing_settings.business_zone), narrowed by --subscription, --account, --plan (each repeatable; kinds \
            combine with AND) or --unmatched. The selected calls are matched again from what each row keeps; every usage \
            period they were or now are in is priced again as a whole, so its included minutes go to its calls in \
            (start_time, uuid) order. Only what changed is written, in one transaction: calls, usage rows, prepaid balances \
            by the difference, one cdr_cost_history row per call whose cost or subscription changed, and one rerate_runs \
            row. Running it again with nothing changed changes nothing. It never runs beside a 'rate': with --lock-wait S it \
            waits up to S seconds for running rates to finish, and by default (0) exits 75 at once.

            Examples:
              cdr-rater rerate --from 2024-10-01 --to 2024-11-01 --plan Starter --dry-run
              cdr-rater rerate --from 2024-10-01 --to 2024-11-01 --unmatched
              cdr-rater rerate --from 2024-10-01 --to 2024-11-01 --dry-run --plans new.json
              cdr-rater rerate --from 2024-10-01 --to 2024-11-01 --dry-run --plan-tariff Starter=deck.csv --plan-bands Starter=bands.csv

            \(HelpText.environment)

            \(HelpText.exitCodes)
            """)

    @Option(help: "Start of the calls' start times (inclusive): YYYY-MM-DD or 'YYYY-MM-DD HH:MM:SS' (or with a T) in the business zone.")
    var from: String

    @Option(help: "End of the calls' start times (exclusive), same form.")
    var to: String

    @Option(name: .customLong("subscription"), help: "Only calls stored for this subscription number (repeatable).")
    var subscriptions: [String] = []

    @Option(name: .customLong("account"), help: "Only calls stored for this account number (repeatable).")
    var accounts: [String] = []

    @Option(name: .customLong("plan"), help: "Only calls stored for subscriptions on this rate plan (repeatable).")
    var plans: [String] = []

    @Flag(help: "Only calls stored without a subscription.")
    var unmatched = false

    @Flag(help: "Work it all out in a read-only transaction and print the report; write nothing.")
    var dryRun = false

    @Option(help: ArgumentHelp("""
        Rewrite a month (its calls into a fresh table, indexed after, swapped in place of its partition) instead of \
        updating it when at least this share of its calls changed, 0 to 1; the result is the same either way.
        """, valueName: "share"))
    var rewriteShare: Double = RerateOptions.defaultRewriteShare

    @Flag(help: "Update the changed calls in place, batch by batch, whatever share of a month changed (no month is rewritten).")
    var noRewrite = false

    @OptionGroup var whatIf: WhatIfOptions<RerateCommand>

    @OptionGroup var output: ReportFormatOptions

    @OptionGroup var lock: LockWaitOptions

    @OptionGroup var database: DatabaseOptions

    static let plansHelp: ArgumentHelp = "What-if (with --dry-run): a JSON or CSV file of plan name -> included_minutes, overage_rate_per_minute."

    static func dateTime(_ text: String, _ option: String) throws -> LocalDateTime {
        let full = text.count == 10 ? text + " 00:00:00" : text
        guard let t = LocalDateTime(bytes: Array(full.utf8)) else {
            throw ValidationError("\(option) '\(text)' is not a date YYYY-MM-DD or a time 'YYYY-MM-DD HH:MM:SS'")
        }
        return t
    }

    func validate() throws {
        if !(0 ... 1).contains(rewriteShare) { throw ValidationError("--rewrite-share is a share of a month's calls, 0 to 1") }
        let start = try RerateCommand.dateTime(from, "--from"), end = try RerateCommand.dateTime(to, "--to")
        if start >= end { throw ValidationError("--from must be before --to") }
        if unmatched && !(subscriptions.isEmpty && accounts.isEmpty && plans.isEmpty) {
            throw ValidationError("--unmatched selects calls stored without a subscription: it cannot be combined with --subscription, --account or --plan")
        }
        try whatIf.check(dryRun: dryRun)
    }

    func run() throws {
        var options = RerateOptions(from: try RerateCommand.dateTime(from, "--from"), to: try RerateCommand.dateTime(to, "--to"))
        options.subscriptions = subscriptions
        options.accounts = accounts
        options.plans = plans
        options.unmatchedOnly = unmatched
        options.dryRun = dryRun
        options.rewriteShare = noRewrite ? nil : rewriteShare
        let proposed = try whatIf.whatIf()
        options.proposedPlans = proposed.flatMap { $0.proposedPlans.isEmpty && !$0.proposedTariffs.isEmpty ? nil : $0.proposedPlans }
        options.proposedTariffs = proposed?.proposedTariffs ?? [:]
        options.lockWait = lock.lockPolicy().wait
        options.stop = stopOnSignals()
        let db = try database.connect()
        let report = try RerateRun(db: db, options: options, logger: OperatorLogHandler.logger()).run()
        print(report.render(output.format), terminator: "")
        note("""
            summary: calls examined \(report.callsExamined), \(dryRun ? "would be matched anew" : "matched anew") \(report.callsRematched), \
            \(dryRun ? "would be re-priced" : "re-priced") \(report.callsRepriced), \
            kept their subscription \(report.callsKept), \
            periods \(report.periods.count), cost \(report.oldCost) -> \(report.newCost) (\((report.newCost - report.oldCost).signed)); \
            \(String(format: "%.2f", report.seconds)) s\(dryRun ? " (dry run, nothing written)" : "")
            """)
    }
}

/// Reads a what-if plans file (`--plans`), with errors that name it.
func loadProposedPlans(_ path: String) throws -> [ProposedPlan] {
    guard let data = FileManager.default.contents(atPath: path) else {
        throw BillingError.usage("cannot read the plans file \(path)")
    }
    do { return try ProposedPlan.parse(String(decoding: data, as: UTF8.self)) } catch {
        throw BillingError.usage("plans file \(path): \(error)")
    }
}
