import Foundation
import Postgres

/// What rating has written and no command may lose unasked: rated calls
/// (and their tie to a subscription), usage rows, the file ledger, the cost
/// history, payments and invoices. A down migration or `seed undo` counts
/// them before and after its SQL, in its transaction, and commits a loss
/// only when the operator said `--force` (and, on a terminal, confirmed).
public struct BilledData: Equatable {
    /// Count by what it counts (`BilledData.measures`); a table that does not exist counts 0.
    let counts: [String: Int]

    /// Each measure: its name for the operator, the table it needs, and its query.
    static let measures: [(name: String, table: String, sql: String)] = [
        ("rated calls", "cdrs", "SELECT count(*) FROM cdrs"),
        ("rated calls tied to a subscription", "cdrs", "SELECT count(*) FROM cdrs WHERE subscription_id IS NOT NULL"),
        ("usage rows", "subscription_usage", "SELECT count(*) FROM subscription_usage"),
        ("ledger entries of rated files", "cdr_files", "SELECT count(*) FROM cdr_files"),
        ("cost history rows", "cdr_cost_history", "SELECT count(*) FROM cdr_cost_history"),
        ("rerate runs", "rerate_runs", "SELECT count(*) FROM rerate_runs"),
        ("payments", "payments", "SELECT count(*) FROM payments"),
        ("invoices", "invoices", "SELECT count(*) FROM invoices"),
    ]

    /// Counts what is there now (inside the caller's transaction, so that it sees the caller's changes).
    static func count(_ db: Connection) throws -> BilledData {
        var counts: [String: Int] = [:]
        for m in measures {
            guard try db.query("SELECT to_regclass($1) IS NOT NULL", [m.table]).scalar == "t" else { counts[m.name] = 0; continue }
            counts[m.name] = Int(try db.query(m.sql).scalar ?? "0") ?? 0
        }
        return BilledData(counts: counts)
    }

    /// What `after` has less of than `self`, e.g. "1,200 rated calls, 3 usage rows"; nil when nothing is lost.
    func loss(to after: BilledData) -> String? {
        let lost = BilledData.measures.compactMap { m -> String? in
            let n = (counts[m.name] ?? 0) - (after.counts[m.name] ?? 0)
            return n > 0 ? "\(n) \(m.name)" : nil
        }
        return lost.isEmpty ? nil : lost.joined(separator: ", ")
    }

    /// Runs `body` in one transaction and commits it unless it lost billed
    /// data: then, without `force`, it rolls back and throws a message naming
    /// the loss; with `force`, `confirm` (a terminal's typed confirmation; nil
    /// when there is no terminal) has the last word.
    static func guarding<T>(_ db: Connection, what: String, force: Bool, confirm: ((String) -> Bool)?,
                            _ body: () throws -> T) throws -> T {
        try db.transaction {
            let before = try count(db)
            let value = try body()
            if let loss = before.loss(to: try count(db)) {
                guard force else {
                    throw BillingError("\(what) would drop billed data: \(loss). Nothing was changed. Back the database up first "
                        + "(pg_dump); to drop it anyway, run the same command with --force")
                }
                if let confirm, !confirm(loss) {
                    throw BillingError("\(what): not confirmed; nothing was changed")
                }
            }
            return value
        }
    }
}
