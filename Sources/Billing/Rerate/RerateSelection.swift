import Foundation
import Postgres
import RatingRules

/// The stored calls a rerate examines (SPEC section 3b): those starting in
/// [from, to), narrowed by subscription, account, plan or `--unmatched`;
/// and the queries that read them and the periods they touch.
struct RerateSelection {
    /// Instants, from the options' wall-clock times in the business zone.
    let from: Int64
    let to: Int64
    let subscriptions: [String]
    let accounts: [String]
    let plans: [String]
    let unmatchedOnly: Bool

    init(_ options: RerateOptions, from: Int64, to: Int64) {
        self.from = from
        self.to = to
        subscriptions = options.subscriptions
        accounts = options.accounts
        plans = options.plans
        unmatchedOnly = options.unmatchedOnly
    }

    /// A misspelt --subscription, --account or --plan would select nothing and look like a rerate that ran.
    func refuseUnknownNames(_ db: Connection) throws {
        for (option, values, table, column) in [("--subscription", subscriptions, "subscriptions", "subscription_number"),
                                                ("--account", accounts, "accounts", "account_number"),
                                                ("--plan", plans, "rate_plans", "name")] where !values.isEmpty {
            let known = Set(try db.query("SELECT \(column) FROM \(table) WHERE \(column) = ANY($1::text[])",
                                         [postgresArrayLiteral(values)]).rows.compactMap { $0.first ?? nil })
            let unknown = values.filter { !known.contains($0) }
            if !unknown.isEmpty {
                throw BillingError.usage("\(option) \(unknown.map { "'\($0)'" }.joined(separator: ", ")) names no row of \(table) "
                    + "(names are matched exactly, case included)")
            }
        }
    }

    /// The selected calls: start in [from, to), narrowed by the options.
    var selectedCalls: StoredCallQuery {
        var sql = "SELECT \(StoredCall.columns) FROM cdrs c WHERE c.start_time >= to_timestamp($1) AND c.start_time < to_timestamp($2)"
        var params: [String?] = [String(from), String(to)]
        func narrow(_ values: [String], _ condition: (String) -> String) {
            guard !values.isEmpty else { return }
            params.append(postgresArrayLiteral(values))
            sql += " AND " + condition("$\(params.count)::text[]")
        }
        narrow(subscriptions) { "c.subscription_id IN (SELECT id FROM subscriptions WHERE subscription_number = ANY(\($0)))" }
        narrow(accounts) { "c.account_id IN (SELECT id FROM accounts WHERE account_number = ANY(\($0)))" }
        narrow(plans) {
            "c.subscription_id IN (SELECT s.id FROM subscriptions s JOIN rate_plans p ON p.id = s.rate_plan_id WHERE p.name = ANY(\($0)))"
        }
        if unmatchedOnly { sql += " AND c.subscription_id IS NULL" }
        return StoredCallQuery(sql: sql, parameters: params)
    }

    /// A period's stored calls in allocation order: uuids in byte order, as "C" collates them.
    static func periodCalls(_ subscriptionId: String, _ period: UsagePeriod) -> StoredCallQuery {
        StoredCallQuery(sql: """
            SELECT \(StoredCall.columns) FROM cdrs c
            WHERE c.subscription_id = $1 AND c.start_time >= to_timestamp($2) AND c.start_time < to_timestamp($3)
            ORDER BY c.start_time, c.uuid COLLATE "C"
            """, parameters: [subscriptionId, String(period.start), String(period.end)])
    }

    /// The selection as `rerate_runs.selection` records it, for the auditor.
    struct Recorded: Codable, Equatable {
        /// `postgresTimestamp` texts.
        let from: String
        let to: String
        let subscriptions: [String]
        let accounts: [String]
        let plans: [String]
        let unmatched: Bool
    }

    var recorded: Recorded {
        Recorded(from: postgresTimestamp(from), to: postgresTimestamp(to), subscriptions: subscriptions,
                 accounts: accounts, plans: plans, unmatched: unmatchedOnly)
    }

    /// `recorded` as JSON text, keys sorted.
    func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(recorded), as: UTF8.self)
    }
}

/// A query over `cdrs c` that selects `StoredCall.columns`, with its text parameters.
struct StoredCallQuery {
    let sql: String
    let parameters: [String?]
}

extension Connection {
    /// Streams a query's stored calls through a cursor, so memory holds one batch at a time.
    ///
    /// Every row is read, so the cursor is planned for all of them (`cursor_tuple_fraction` 1), not for its
    /// first tenth: a period's calls were otherwise read through the month's start_time index, filtered by
    /// subscription, one random heap fetch a row (3.3 s for a 300k-call period against 1.5 s by a bitmap
    /// scan and a sort in memory, hence the sort's `work_mem`). Both are reset when the cursor is closed.
    func forEachStoredCall(_ query: StoredCallQuery, _ body: (StoredCall) throws -> Void) throws {
        try execute(script: "SET LOCAL cursor_tuple_fraction = 1; SET LOCAL work_mem = '256MB'")
        try self.query("DECLARE rerate_rows NO SCROLL CURSOR FOR " + query.sql, query.parameters)
        defer { _ = try? execute(script: "CLOSE rerate_rows; RESET cursor_tuple_fraction; RESET work_mem") }
        while true {
            let rows = try self.query("FETCH 20000 FROM rerate_rows").rows
            for row in rows { try body(try StoredCall(row: row)) }
            if rows.count < 20000 { break }
        }
    }
}
