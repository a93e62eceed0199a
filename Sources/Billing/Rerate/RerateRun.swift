import Foundation
import Logging
import Postgres
import RatingCore

/// Re-matches and re-prices stored calls against the catalog as it is now,
/// from the database alone, in one transaction.
///
/// First the selected calls are matched again from what each row keeps (the
/// account code and the numbers as received); then every usage period they
/// were or now are in is priced again as a whole, its calls read in
/// (start_time, uuid) order, and only what changed is written: calls (with
/// their cost history), usage rows, prepaid balances by the difference.
public final class RerateRun {
    let db: Connection
    let options: RerateOptions
    let logger: Logger
    /// Both write in `db`'s transaction.
    private let store: any BillingStore
    private let runs: any RerateRunStore
    private lazy var step = StepTimer(logger: logger)

    public convenience init(db: Connection, options: RerateOptions, logger: Logger) {
        self.init(db: db, options: options, logger: logger, store: PostgresBillingStore(db: db), runs: PostgresRerateRunStore(db: db))
    }

    init(db: Connection, options: RerateOptions, logger: Logger, store: any BillingStore, runs: any RerateRunStore) {
        self.db = db
        self.options = options
        self.logger = logger
        self.store = store
        self.runs = runs
    }

    public func run() throws -> RerateReport {
        options.stop?.watch(db)
        do { return try runLocked() } catch {
            try options.stop?.check(file: nil) // a stop cancelled the statement that failed
            throw error
        }
    }

    private func runLocked() throws -> RerateReport {
        let started = Date()
        if options.dryRun {
            return try db.transaction(readOnly: true) { try rerate(started: started) }
        }
        // The lock `rate` holds for its whole run: a rerate never interleaves with one.
        let waited = try RunLock.acquire(db, .exclusive, wait: options.lockWait, command: "rerate", logger: logger, stop: options.stop)
        defer { RunLock.release(db, .exclusive) }
        var report = try db.transaction { try rerate(started: Date()) }
        report.lockWaitSeconds = waited
        return report
    }

    private func rerate(started: Date) throws -> RerateReport {
        let context = try CatalogLoader.context(db)
        let catalog = try options.proposedPlans.map { try CatalogLoader.proposing($0, in: context.catalog) } ?? context.catalog
        let zone = context.businessZone
        let classifier = CallClassifier(catalog: catalog, businessZone: zone)
        let from = zone.instant(of: options.from), to = zone.instant(of: options.to)
        guard from < to else { throw BillingError.usage("--from must be before --to") }
        let selection = RerateSelection(options, from: from, to: to)
        try selection.refuseUnknownNames(db)
        var report = RerateReport(dryRun: options.dryRun)
        report.whatIf = options.proposedPlans != nil
        report.businessZone = zone.identifier

        let runId = options.dryRun ? "" : try runs.insert(selection: selection, started: started)

        // 1. Match the selected calls again; note every usage period touched.
        var changes = ChangeBatcher(store: options.dryRun ? nil : store, source: .rerate(runId: runId))
        var rematcher = Rematcher(classifier: classifier)
        try db.forEachStoredCall(selection.selectedCalls) { rematcher.take($0) }
        let found = rematcher.result
        (report.callsExamined, report.callsKept, report.callsRematched) = (found.examined, found.kept, found.rematched)
        changes.add(found.changes)
        try changes.flush()
        step("match the selected calls again")

        // 2. Price every touched period again, whole: never one whose calls are partly archived.
        let span = found.span(from: from, to: to)
        try Partitions.refuseArchived(db, from: span.from, to: span.to)
        var writes: [UsageWrite] = []
        for touched in found.periods {
            let (key, sub, period) = (touched.key, touched.subscription, touched.span)
            let before = try store.usageRow(key)
            var pricer = PeriodPricer(plan: sub.plan, imported: before?.imported ?? UsageTotals())
            var line = RerateReport.Period(subscription: sub.number, periodStart: zone.local(of: period.start).text)
            let arriving = found.arriving[key] ?? []
            var next = 0
            func price(uuid: String, start: Int64, call: (charged: Int, status: CallStatus, type: CallType), stored: PricedCall,
                       match: CallMatch?) throws {
                let (included, overage, cost) = pricer.price(chargedMinutes: call.charged, status: call.status, type: call.type)
                if cost > Money.largestCallCost {
                    throw BillingError("call \(uuid) would cost \(cost) at \(sub.plan.name)'s rate, more than cdrs.cost holds "
                        + "(\(Money.largestCallCost)); nothing was changed: check the plan's overage_rate_per_minute")
                }
                let after = PricedCall(subscriptionId: sub.id, cost: cost, periodStart: key.periodStart,
                                       chargedMinutes: call.charged, includedMinutes: included)
                line.calls += 1
                line.chargedMinutes += call.charged
                line.includedMinutes += included
                line.overageMinutes += overage
                if after != stored || match != nil {
                    changes.add([CallChange(uuid: uuid, start: start, before: stored, after: after, match: match)])
                }
            }
            func takeArriving(before limit: Charge?) throws {
                while next < arriving.count, limit.map({ arriving[next].charge.precedes($0) }) ?? true {
                    let m = arriving[next]
                    next += 1
                    try price(uuid: m.call.record.uuid, start: m.call.record.start,
                          call: (m.call.chargedMinutes, m.call.status, m.call.type), stored: m.before, match: CallMatch(m.call))
                }
            }
            try db.forEachStoredCall(RerateSelection.periodCalls(sub.id, period)) { stored in
                if found.skip.contains(stored.uuid) { return }
                try changes.flushIfFull()
                try takeArriving(before: Charge(start: stored.start, uuid: stored.uuid, minutes: stored.priced.chargedMinutes))
                try price(uuid: stored.uuid, start: stored.start, call: (stored.priced.chargedMinutes, stored.match.status, stored.match.type),
                      stored: stored.priced, match: nil)
            }
            try takeArriving(before: nil)
            line.oldCost = before?.callCost ?? .zero
            line.newCost = pricer.callCost
            report.periods.append(line)
            let after = pricer.row
            if after != before {
                writes.append(UsageWrite(key: key, periodEnd: period.end, subscription: sub, before: before, after: after))
            }
        }
        try changes.flush()
        report.callsRepriced = changes.flushed
        step("price the periods again, write the calls that changed")
        report.periods.sort { ($0.subscription, $0.periodStart) < ($1.subscription, $1.periodStart) }
        if !options.dryRun {
            FailPoint.hit("rerate:calls-updated")
            defer { step("usage rows, balances, commit") }
            try store.write(writes)
            try runs.finish(runId, report: report)
        }
        report.seconds = Date().timeIntervalSince(started)
        return report
    }
}
