import ConcurrencyHelpers
import Foundation
import Postgres
import RatingRules
@testable import Billing

/// A stored call as the in-memory cdrs keeps it: what `CDRRowEncoder` writes
/// of a `RatedCall` that rating reads back (held calls, stored uuids) and
/// what the cost history and tests compare.
struct InMemoryCall: Equatable, Sendable {
    let uuid: String
    var subscriptionId: String?
    let start: Int64
    var cost: Money
    /// metadata's usage period and split; nil and zeros for a call in no period.
    var periodStart: Int64?
    /// Billed seconds (0 when not charged), those of in-bundle segments, those the bundle covers:
    /// metadata's split. (The plans here have no tariff: a call's price is its seconds at the plan's rate.)
    var billedSeconds: Int, bundleSeconds: Int, coveredSeconds: Int
    var chargedMinutes: Int { CallCharge.minutes(billedSeconds) }
    var includedMinutes: Int { CallCharge.minutes(coveredSeconds) }
    var overageMinutes: Int { CallCharge.minutes(billedSeconds - coveredSeconds) }
    let file: String
    let line: Int

    init(_ r: RatedCall, file: String) {
        uuid = r.call.record.uuid
        subscriptionId = r.call.subscription?.id
        start = r.call.record.start
        cost = r.cost
        periodStart = r.call.period?.start
        billedSeconds = r.call.period == nil ? 0 : r.call.billedSeconds
        bundleSeconds = r.call.period == nil ? 0 : r.call.charge?.bundleSeconds ?? 0
        coveredSeconds = r.call.period == nil ? 0 : r.coveredSeconds
        self.file = file
        line = r.call.record.lineNumber
    }
}

/// A row of `cdr_cost_history`.
struct InMemoryCostChange: Equatable, Sendable {
    let uuid: String
    let oldCost: Money, newCost: Money
    let reason: String
    let fileId: String?, runId: String?
}

/// The tables a rating run writes: cdrs (by uuid, with cdr_uuids' uniqueness),
/// subscription_usage, prepaid balances, the cost history.
struct InMemoryTables: Equatable, Sendable {
    var calls: [String: InMemoryCall] = [:]
    var usage: [UsageKey: UsageRow] = [:]
    /// Prepaid accounts' balances, by account id.
    var balances: [String: Money] = [:]
    var history: [InMemoryCostChange] = []
}

/// The database of a rating run in memory: the role NIOEmbedded plays for a
/// channel. What is committed, and the open transaction's own view of it;
/// the run's store reads and writes that view, the single pass's lookups
/// (another connection, READ COMMITTED) read what is committed. The file
/// ledger (`InMemoryLedgerStore`) rolls back with the transaction too.
///
/// Left out: other sessions (row locks and advisory locks never wait),
/// partitions (every month has one), what-if books, `rerate`.
final class InMemoryRatingDatabase: RatingDatabase, CallCopySink {
    private struct State {
        var committed = InMemoryTables()
        /// The open transaction's (or a dry run's snapshot's) tables.
        var open: InMemoryTables?
    }

    /// Touched by the run's thread and by the single pass's reading thread (its lookups).
    private let state = Locked(State())
    let ledger = InMemoryLedgerStore()
    let locks = InMemoryLockService()
    /// The lookups' transactions in a dry run's snapshot (`SnapshotLookups`).
    let snapshots = InMemorySnapshot()
    /// Transactions rolled back: attempts that failed or were rated again.
    private(set) var rollbacks = 0

    init(balances: [String: Money] = [:]) {
        state.withLock { $0.committed.balances = balances }
    }

    /// What is committed.
    var committed: InMemoryTables { state.value.committed }

    /// A run's backend on this database, rating against `catalog`.
    func backend(catalog: Catalog, zone: ZoneRules) -> RatingBackend {
        let side = InMemoryBillingStore(self, committedOnly: true)
        return RatingBackend(database: self, copy: self, store: InMemoryBillingStore(self, committedOnly: false), ledger: ledger,
                             partitions: InMemoryPartitions(), locks: locks, lookups: InMemoryLookups(side, snapshot: snapshots),
                             context: { RatingContext(catalog: catalog, businessZone: zone) })
    }

    /// Reads the tables as the run's connection sees them, or (`committedOnly`) as another connection does.
    func read<R: Sendable>(committedOnly: Bool, _ body: (InMemoryTables) throws -> R) rethrows -> R {
        let tables = state.withLock { s in committedOnly ? s.committed : s.open ?? s.committed }
        return try body(tables)
    }

    /// Changes the tables through the run's connection: in its transaction, or at once outside one.
    func write(_ body: (inout InMemoryTables) throws -> Void) throws {
        try state.withLock { s in
            if s.open != nil { try body(&s.open!) } else { try body(&s.committed) }
        }
    }

    // MARK: RatingDatabase

    var isConnected: Bool { true }

    func transaction<T>(_ body: () throws -> T) throws -> T {
        state.withLock { s in
            precondition(s.open == nil, "a transaction inside a transaction")
            s.open = s.committed
        }
        let ledgerBefore = ledger.snapshot()
        do {
            let value = try body()
            state.withLock { s in
                s.committed = s.open!
                s.open = nil
            }
            return value
        } catch {
            state.withLock { $0.open = nil }
            ledger.restore(ledgerBefore)
            rollbacks += 1
            throw error
        }
    }

    func beginReadOnlySnapshot() throws { state.withLock { $0.open = $0.committed } }

    func endReadOnlySnapshot() { state.withLock { $0.open = nil } }

    /// Nothing commits beside a dry run here (no other sessions): its snapshot is what is committed, as the
    /// lookups (`committedOnly`) read it.
    func exportSnapshot() throws -> String? { "in-memory" }

    func cancelOnStop(_ stop: StopRequest) {}

    func stallForFailPoint() {}

    // MARK: CallCopySink

    /// Every row or none: a uuid stored already (or twice in the COPY) fails it as cdr_uuids' unique index does.
    func copyCalls(into table: String, fileName: String, book: TariffBook, _ rows: (_ send: (RatedCall) throws -> Void) throws -> Void) throws {
        var copied: [InMemoryCall] = []
        try rows { copied.append(InMemoryCall($0, file: fileName)) }
        try write { tables in
            var seen = Set<String>()
            for c in copied where tables.calls[c.uuid] != nil || !seen.insert(c.uuid).inserted {
                throw PostgresError(kind: .query, sqlState: PostgresError.Code.uniqueViolation.rawValue,
                                    message: "duplicate key value violates unique constraint \"cdr_uuids_pkey\"",
                                    detail: "Key (uuid)=(\(c.uuid)) already exists.")
            }
            for c in copied { tables.calls[c.uuid] = c }
        }
    }
}

/// `BillingStore` over the in-memory tables: the run's connection, or another one (`committedOnly`).
final class InMemoryBillingStore: BillingStore {
    private let db: InMemoryRatingDatabase
    private let committedOnly: Bool

    init(_ db: InMemoryRatingDatabase, committedOnly: Bool) {
        self.db = db
        self.committedOnly = committedOnly
    }

    private func write(_ body: (inout InMemoryTables) throws -> Void) throws {
        precondition(!committedOnly, "the single pass's lookups only read")
        try db.write(body)
    }

    func usageRow(_ key: UsageKey) throws -> UsageRow? {
        db.read(committedOnly: committedOnly) { $0.usage[key] }
    }

    /// A missing row is made as a rated row with no calls: what reading no row at all gives.
    func lockUsageRows(_ rows: [(key: UsageKey, periodEnd: Int64, included: Int)]) throws {
        try write { tables in
            for r in rows where tables.usage[r.key] == nil { tables.usage[r.key] = UsageRow(minutesIncluded: r.included) }
        }
    }

    func write(_ usage: [UsageWrite]) throws {
        try write { tables in
            for w in usage {
                tables.usage[w.key] = w.after
                if let balance = tables.balances[w.subscription.accountId] { tables.balances[w.subscription.accountId] = balance - w.debit }
            }
        }
    }

    /// The predicate and order of the SQL's: included minutes held, or the `earliest` charged calls by start and uuid bytes.
    func heldCalls(subscriptionId: String, period: UsagePeriod, earliest: Int?, book: TariffBook) throws -> [HeldCall] {
        db.read(committedOnly: committedOnly) { tables in
            let calls = tables.calls.values.filter {
                $0.subscriptionId == subscriptionId && $0.start >= period.start && $0.start < period.end
                    && (earliest == nil ? $0.coveredSeconds > 0 : $0.chargedMinutes > 0)
            }.sorted { a, b in a.start != b.start ? a.start < b.start : a.uuid.utf8.lexicographicallyPrecedes(b.uuid.utf8) }
            return (earliest.map { Array(calls.prefix($0)) } ?? calls).map {
                HeldCall(uuid: $0.uuid, start: $0.start,
                         price: CallCharge(billedSeconds: $0.billedSeconds, bundleSeconds: $0.bundleSeconds, fullCost: .zero, tariff: nil),
                         coveredSeconds: $0.coveredSeconds, cost: $0.cost)
            }
        }
    }

    func storedUUIDs(_ uuids: [String]) throws -> Set<CDRKey> {
        db.read(committedOnly: committedOnly) { tables in Set(uuids.filter { tables.calls[$0] != nil }.map(CDRKey.init)) }
    }

    /// What `PostgresBillingStore.apply`'s UPDATE and cost history INSERT do, call by call.
    func apply(_ changes: [CallChange], source: ChangeSource?) throws {
        try write { tables in
            for c in changes {
                guard var call = tables.calls[c.uuid], call.start == c.start else { continue }
                call.cost = c.after.cost
                if let match = c.match { call.subscriptionId = match.subscriptionId }
                let splitChanged = c.match != nil || c.before.periodStart != c.after.periodStart
                    || c.before.billedSeconds != c.after.billedSeconds || c.before.coveredSeconds != c.after.coveredSeconds
                if splitChanged {
                    call.periodStart = c.after.periodStart
                    let inPeriod = c.after.periodStart != nil
                    (call.billedSeconds, call.bundleSeconds, call.coveredSeconds)
                        = inPeriod ? (c.after.billedSeconds, c.after.bundleSeconds, c.after.coveredSeconds) : (0, 0, 0)
                }
                tables.calls[c.uuid] = call
                guard let source, call.cost != c.before.cost || call.subscriptionId != c.before.subscriptionId else { continue }
                switch source {
                case .lateCall(let id):
                    tables.history.append(InMemoryCostChange(uuid: c.uuid, oldCost: c.before.cost, newCost: call.cost,
                                                             reason: "late_call", fileId: id, runId: nil))
                case .rerate(let id):
                    tables.history.append(InMemoryCostChange(uuid: c.uuid, oldCost: c.before.cost, newCost: call.cost,
                                                             reason: "rerate", fileId: nil, runId: id))
                }
            }
        }
    }
}

/// Every month has a partition: no backfill path.
struct InMemoryPartitions: CallPartitions {
    func prepare(months: Set<Int32>, bulk: Bool) throws -> String? { nil }
    func firstMissing(months: Set<Int32>) throws -> String? { nil }
    func claimBulk(month: String) throws -> Bool { false }
    func bulkLoad(month: String, step: (String) -> Void, load: (String) throws -> Void) throws {
        try load("cdrs_" + month.replacingOccurrences(of: "-", with: "_"))
    }
}

/// The single pass's lookups: the store as another connection sees it (what is committed).
final class InMemoryLookups: LookupSource {
    private let store: InMemoryBillingStore
    private let snapshot: InMemorySnapshot

    init(_ store: InMemoryBillingStore, snapshot: InMemorySnapshot) {
        self.store = store
        self.snapshot = snapshot
    }

    func get() -> RatingLookups? { RatingLookups(store: store, partitions: InMemoryPartitions(), snapshot: snapshot) }
}

/// The lookups in the run's snapshot: what is committed, which nothing changes during a dry run here.
/// Begun and ended on the run's thread; counted, so a test sees the lookups went beside the reading.
final class InMemorySnapshot: SnapshotTransaction {
    private(set) var begun = 0, ended = 0

    func begin(snapshot: String) throws -> Bool {
        begun += 1
        return true
    }

    func end() throws { ended += 1 }
}
