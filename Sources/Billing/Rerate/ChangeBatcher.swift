/// The changed calls of a rerate, written in batches through the store's
/// `apply` as they are found (in the pauses of the period's cursor), so that
/// memory holds a batch, not the month. A dry run counts them and writes none.
struct ChangeBatcher {
    /// Changed calls written together.
    static let batchCalls = 20_000

    /// nil: a dry run.
    private let store: (any BillingStore)?
    private let source: ChangeSource
    /// The bulk path: changes are staged for the months to be written at the end (rewritten or UPDATEd), not applied now.
    private let staging: MonthRewrite?
    private var pending: [CallChange] = []
    /// The changes flushed so far, written or (in a dry run) not: the report's calls re-priced.
    private(set) var flushed = 0

    init(store: (any BillingStore)?, source: ChangeSource, staging: MonthRewrite? = nil) {
        self.store = store
        self.source = source
        self.staging = store == nil ? nil : staging
    }

    /// Changes not written yet.
    var pendingCount: Int { pending.count }

    mutating func add(_ changes: [CallChange]) { pending += changes }

    /// Writes the pending changes once they are a batch. The rerate asks before each stored call it prices, so a
    /// batch can hold a few more than `batchCalls`: the calls matched anew come in with the stored call after them.
    mutating func flushIfFull() throws {
        if pending.count >= ChangeBatcher.batchCalls { try flush() }
    }

    /// Writes the pending changes (none in a dry run).
    mutating func flush() throws {
        flushed += pending.count
        if let staging { try staging.stage(pending) } else if let store, !pending.isEmpty { try store.apply(pending, source: source) }
        pending.removeAll(keepingCapacity: true)
    }
}
