import Foundation
import Postgres
import RatingRules

/// The database side of rating and re-rating, usage rows and stored calls
/// (`UsageStore`, `CallStore`); the ledger is `LedgerStore`, the rating
/// lock and claims `RunLock` and `FileClaim`, months `Partitions`.
protocol BillingStore: UsageStore, CallStore {}

/// The PostgreSQL implementation (in UsageStore.swift and CallStore.swift).
final class PostgresBillingStore: BillingStore {
    let db: Connection

    init(db: Connection) { self.db = db }
}
