import ConcurrencyHelpers
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
    /// Opens another connection to the database, for the reads of stored calls beside the writes (`SnapshotReader`).
    private let connect: (@Sendable () throws -> Connection)?
    /// Set once the rerate stages its changes and holds its lock: reads the stored calls in its snapshot.
    private var reader: SnapshotReader?
    private lazy var step = StepTimer(logger: logger)

    /// `connect`: when given, the stored calls are read on connections it opens, in the rerate's snapshot,
    /// while the rerate's own connection writes (the bulk path only: `SnapshotReader`).
    public convenience init(db: Connection, options: RerateOptions, logger: Logger, connect: (@Sendable () throws -> Connection)? = nil) {
        self.init(db: db, options: options, logger: logger, store: PostgresBillingStore(db: db), runs: PostgresRerateRunStore(db: db),
                  connect: connect)
    }

    init(db: Connection, options: RerateOptions, logger: Logger, store: any BillingStore, runs: any RerateRunStore,
         connect: (@Sendable () throws -> Connection)? = nil) {
        self.db = db
        self.options = options
        self.logger = logger
        self.store = store
        self.runs = runs
        self.connect = connect
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
        if months != nil, let connect, let snapshot = try db.query("SELECT pg_export_snapshot()").rows.first?[0] {
            reader = SnapshotReader(connect: connect, snapshot: snapshot, stop: options.stop)
        }

        // 1. Match the selected calls again; note every usage period touched.
        var rematcher = Rematcher(classifier: CallClassifier(catalog: catalog, businessZone: zone))
        try forEachStoredCall(selection.selectedCalls) { rematcher.take($0) }
        let found = rematcher.result
        (report.callsExamined, report.callsKept, report.callsRematched) = (found.examined, found.kept, found.rematched)
        changes.add(found.changes)
        try changes.flush()
        step("match the selected calls again")

        // 2. Price every touched period again, whole: never one whose calls are partly archived.
        let span = found.span(from: from, to: to)
        try Partitions.refuseArchived(db, from: span.from, to: span.to)
        try changes.flush()
        let pricing = PeriodPricing(found: found, before: try found.periods.map { try store.usageRow($0.key) }, zone: zone, book: catalog.tariffs)
        let priced: [RepricedPeriod]
        if let reader {
            // Read and priced on threads of their own, in the snapshot; staged here, on the writing connection, meanwhile.
            let handOff = BoundedHandOff<[CallChange]>(capacity: 1)
            (priced, _) = try ProducerThread.run(through: handOff, produce: {
                try pricing.run(read: reader.forEachStoredCall) { batch in
                    guard handOff.put(batch) else { throw SnapshotReader.ConsumerGone() }
                }
            }, consume: {
                while let batch = try handOff.next() {
                    changes.add(batch)
                    try changes.flush()
                }
            })
        } else {
            priced = try pricing.run(read: db.forEachStoredCall) { batch in
                changes.add(batch)
                try changes.flush()
            }
        }
        var writes: [UsageWrite] = []
        for period in priced {
            report.periods.append(period.line)
            if let write = period.write { writes.append(write) }
        }
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

    /// A query's stored calls: read beside the writes when the rerate has a reader, else on its own connection.
    private func forEachStoredCall(_ query: StoredCallQuery, _ body: (StoredCall) throws -> Void) throws {
        if let reader { try reader.forEachStoredCall(query, body) } else { try db.forEachStoredCall(query, body) }
    }
}

/// Phase 2 of a rerate: every touched period priced again, whole, its stored calls streamed in charge order by
/// `read`, the changes handed to `emit` in batches of about `ChangeBatcher.batchCalls` as they come. Values only,
/// so that it can run on a thread of its own while the rerate's connection writes the batches before.
struct PeriodPricing: Sendable {
    let found: RematchResult
    /// Each period's usage row as stored, in `found.periods` order.
    let before: [UsageRow?]
    let zone: ZoneRules
    let book: TariffBook

    func run(read: (StoredCallQuery, (StoredCall) throws -> Void) throws -> Void,
             emit: ([CallChange]) throws -> Void) throws -> [RepricedPeriod] {
        // `emit` is called from `read`'s body: two non-escaping closures, which the compiler will not nest by itself.
        try withoutActuallyEscaping(emit) { emit in try run(read: read, emitting: emit) }
    }

    private func run(read: (StoredCallQuery, (StoredCall) throws -> Void) throws -> Void,
                     emitting emit: @escaping ([CallChange]) throws -> Void) throws -> [RepricedPeriod] {
        var pending: [CallChange] = []
        var priced: [RepricedPeriod] = []
        for (period, before) in zip(found.periods, before) {
            var repricer = PeriodRepricer(period, before: before, arriving: found.arriving[period.key] ?? [],
                                          skip: found.skip, repriced: found.repriced, zone: zone, book: book)
            try read(RerateSelection.periodCalls(period.subscription.id, period.span)) { stored in
                guard repricer.prices(stored) else { return }
                if pending.count >= ChangeBatcher.batchCalls {
                    try emit(pending)
                    pending.removeAll(keepingCapacity: true)
                }
                pending += try repricer.price(stored)
            }
            let period = try repricer.finish()
            pending += period.changes
            priced.append(period)
        }
        if !pending.isEmpty { try emit(pending) }
        return priced
    }
}
