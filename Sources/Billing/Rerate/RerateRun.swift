import Foundation
import Logging
import Postgres
import RatingRules
import Reports

/// Re-matches and re-prices stored calls against the catalog as it is now,
/// from the database alone, in one transaction.
///
/// First the selected calls are matched again from what each row keeps (the
/// account code and the numbers as received: `Rematcher`); then every usage
/// period they were or now are in is priced again as a whole, its calls read
/// in (start_time, uuid) order (`PeriodRepricer`), and only what changed is
/// written: calls (with their cost history), usage rows, prepaid balances by
/// the difference. This type only runs those steps, in order, in the lock and
/// the transaction.
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
        let whatIf = options.proposedPlans != nil || !options.proposedTariffs.isEmpty
        let catalog = whatIf ? try CatalogLoader.proposing(options.proposedPlans ?? [], tariffs: options.proposedTariffs, in: context.catalog)
            : context.catalog
        let zone = context.businessZone
        let from = zone.instant(of: options.from), to = zone.instant(of: options.to)
        guard from < to else { throw BillingError.usage("--from must be before --to") }
        let selection = RerateSelection(options, from: from, to: to)
        try selection.refuseUnknownNames(db)
        var report = RerateReport(dryRun: options.dryRun)
        report.whatIf = whatIf
        report.businessZone = zone.identifier
        let runId = options.dryRun ? "" : try runs.insert(selection: selection, started: started)
        let share = options.dryRun ? nil : options.rewriteShare
        step.restart() // the steps below are timed from here, not from the timer's first use
        let months = try share.flatMap { try MonthRewrite.available(db) ? MonthRewrite(db: db, zone: zone, share: $0, runId: runId, logger: logger) : nil }
        var changes = ChangeBatcher(store: options.dryRun ? nil : store, source: .rerate(runId: runId), staging: months)

        // 1. Match the selected calls again; note every usage period touched.
        var rematcher = Rematcher(classifier: CallClassifier(catalog: catalog, businessZone: zone))
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
        for period in found.periods {
            let priced = try reprice(period, found, zone: zone, book: catalog.tariffs, into: &changes)
            report.periods.append(priced.line)
            if let write = priced.write { writes.append(write) }
        }
        try changes.flush()
        report.callsRepriced = changes.flushed
        step("price the periods again, write the calls that changed")
        months?.traceStaging()
        report.periods.sort { ($0.subscription, $0.periodStart) < ($1.subscription, $1.periodStart) }
        if !options.dryRun {
            // The bulk path: each month's staged changes, rewritten or UPDATEd.
            try months?.write(step: step.callAsFunction)
            FailPoint.hit("rerate:calls-updated")
            defer { step("usage rows, balances, commit") }
            try store.write(writes)
            try runs.finish(runId, report: report)
        }
        report.seconds = Date().timeIntervalSince(started)
        return report
    }

    /// One period priced again: its stored calls streamed in charge order, the changes batched as they come.
    private func reprice(_ period: TouchedPeriod, _ found: RematchResult, zone: ZoneRules, book: TariffBook,
                         into changes: inout ChangeBatcher) throws -> RepricedPeriod {
        var repricer = PeriodRepricer(period, before: try store.usageRow(period.key), arriving: found.arriving[period.key] ?? [],
                                      skip: found.skip, repriced: found.repriced, zone: zone, book: book)
        try db.forEachStoredCall(RerateSelection.periodCalls(period.subscription.id, period.span)) { stored in
            guard repricer.prices(stored) else { return }
            try changes.flushIfFull()
            changes.add(try repricer.price(stored))
        }
        let priced = try repricer.finish()
        changes.add(priced.changes)
        return priced
    }
}
