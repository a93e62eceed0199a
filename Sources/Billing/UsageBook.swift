import RatingRules

/// The usage rows a run touches, and the calls holding their included
/// minutes: read from the store, then kept up to date as each file is
/// applied. Other runs may rate the same rows between two files, so a file's
/// transaction reads its rows again once it has locked them (`refresh`); in
/// a dry run (one read-only snapshot) this book is all that remembers earlier files.
final class UsageBook {
    private let store: BillingStore
    private let catalog: Catalog
    private let businessZone: ZoneRules
    private var rows: [UsageKey: UsageRow?] = [:]
    private var held: [UsageKey: [HeldCall]] = [:]
    /// A what-if book: its catalog holds proposed plans, whose included
    /// minutes replace the rows', and it keeps every charged call of a period,
    /// since more included minutes can reach calls that hold none today.
    private let everyCall: Bool

    init(store: BillingStore, catalog: Catalog, businessZone: ZoneRules, everyCall: Bool = false) {
        self.store = store
        self.catalog = catalog
        self.businessZone = businessZone
        self.everyCall = everyCall
    }

    func period(_ key: UsageKey) -> UsagePeriod {
        UsagePeriod.containing(key.periodStart, anchor: catalog.subscription(id: key.subscriptionId)!.start, zone: businessZone)
    }

    /// Reads the rows and held calls for `keys` not read yet.
    func load(_ keys: Set<UsageKey>) throws {
        for key in keys.sorted() where rows[key] == nil {
            rows[key] = .some(try store.usageRow(key))
            // A what-if book reads the earliest `room` charged calls: no later one can hold included minutes.
            held[key] = try store.heldCalls(subscriptionId: key.subscriptionId, period: period(key),
                                            earliest: everyCall ? basis(key).room : nil, book: catalog.tariffs)
        }
    }

    /// Reads `keys` again, as other runs may have changed them; the calls
    /// of `own` (the file's own, stored in its transaction) are not held calls.
    func refresh(_ keys: Set<UsageKey>, excluding own: Set<CDRKey> = []) throws {
        for key in keys { rows[key] = nil }
        try load(keys)
        if !own.isEmpty { for key in keys { held[key] = held[key]?.filter { !own.contains(CDRKey($0.uuid)) } } }
    }

    /// Included minutes the row has left before any call (`PeriodBasis.room`).
    func room(_ key: UsageKey) throws -> Int {
        try load([key])
        return basis(key).room
    }

    /// What allocation starts from: the row's included minutes (the plan's,
    /// for a new row), its imported minutes, the plan's rate now, its held calls.
    func basis(_ key: UsageKey) -> PeriodBasis {
        let plan = catalog.subscription(id: key.subscriptionId)!.plan
        let row = rows[key] ?? nil
        return PeriodBasis(included: everyCall ? plan.includedMinutes : row?.minutesIncluded ?? plan.includedMinutes, imported: row?.importedMinutes ?? 0,
                           rate: plan.overageRatePerMinute, held: held[key] ?? [], book: catalog.tariffs)
    }

    /// The usage rows a file's batch writes: its calls' usage and cost, and
    /// the re-pricing of stored calls it caused.
    func writes(adding added: [UsageKey: UsageTotals], plan: AllocationPlan) -> [UsageWrite] {
        added.keys.sorted().map { key in
            let sub = catalog.subscription(id: key.subscriptionId)!
            let before = rows[key] ?? nil
            let start = before ?? UsageRow(minutesIncluded: sub.plan.includedMinutes)
            let cost = (plan.batch[key]?.cost ?? .zero) + (plan.repricings[key] ?? []).reduce(Money.zero) { $0 + $1.costDelta }
            let covered = (plan.batch[key]?.coveredSeconds ?? 0)
                + (plan.repricings[key] ?? []).reduce(0) { $0 + $1.after.coveredSeconds - $1.before.coveredSeconds }
            var usage = added[key]!
            usage.coveredSeconds += covered
            return UsageWrite(key: key, periodEnd: period(key).end, subscription: sub, before: before,
                              after: start.adding(usage, cost: cost))
        }
    }

    /// Takes in what a file's batch changed, once it committed (or, in a dry run, once it was planned).
    func record(_ writes: [UsageWrite], plan: AllocationPlan) {
        for w in writes { rows[w.key] = .some(w.after) }
        for (key, calls) in plan.held { held[key] = calls }
    }
}
