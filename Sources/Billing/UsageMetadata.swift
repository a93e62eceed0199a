import RatingRules

/// The one home of what rating keeps in `subscription_usage.metadata`
/// beside the table's columns, and of the SQL that reads, writes and checks
/// it (`PostgresBillingStore`, `MoneyCheck`). Migrations spell the keys as
/// well: they are frozen text.
///
/// Imported usage (SPEC section 3: what a row records beyond what its stored
/// calls account for, from an earlier system) is kept apart figure by
/// figure, minutes and answered calls by type alike, under `imported_...`
/// keys. A row rating never wrote (no `imported_minutes`) is all imported;
/// the first time rating writes it, its imported part is stored, and from
/// then on it stays as it is.
enum UsageMetadata {
    /// Answered toll-free calls: the table has no column for them.
    static let tollFreeCalls = "toll_free_calls"
    /// The exact sum of the period's call costs; `overage_cost` is its rounding to paise.
    static let callCost = "call_cost"
    /// The calls' exact billed seconds and those the bundle covers (SPEC 3c); rows written before have neither.
    static let billedSeconds = "billed_seconds", coveredSeconds = "covered_seconds"
    /// The imported part of each figure, in `UsageTotals` order (minutes, local, std, isd, mobile, toll-free).
    /// The first also marks a row rating has written.
    static let importedKeys = ["imported_minutes", "imported_local_calls", "imported_std_calls",
                               "imported_isd_calls", "imported_mobile_calls", "imported_toll_free_calls"]

    /// The row's figures in `UsageTotals` order, in SQL over the row alias `u` ("u." or "").
    static func figures(_ u: String) -> [String] {
        ["\(u)minutes_used", "\(u)local_calls", "\(u)std_calls", "\(u)isd_calls", "\(u)mobile_calls",
         "coalesce((\(u)metadata->>'\(tollFreeCalls)')::int, 0)"]
    }

    /// The imported part of each figure, in `UsageTotals` order: what the row
    /// keeps apart, or, for a row rating never wrote, the whole figure.
    static func imported(_ u: String) -> [String] {
        zip(importedKeys, figures(u)).map { key, figure in
            "CASE WHEN \(u)metadata ? '\(importedKeys[0])' THEN coalesce((\(u)metadata->>'\(key)')::int, 0) ELSE \(figure) END"
        }
    }

    /// The exact call cost the row keeps, as text; NULL for a row rating never wrote.
    static func keptCallCost(_ u: String) -> String { "\(u)metadata->>'\(callCost)'" }

    /// A `jsonb_build_object` of what rating keeps, its values the parameters
    /// `$first`... in the order of `values(_:)`.
    static func object(parameters first: Int) -> String {
        let named: [(String, String)] = [(tollFreeCalls, "int"), (callCost, "text"), (billedSeconds, "int"), (coveredSeconds, "int")]
        let keys: [(String, String)] = named + importedKeys.map { ($0, "int") }
        return "jsonb_build_object(" + keys.enumerated().map { i, k in "'\(k.0)', $\(first + i)::\(k.1)" }.joined(separator: ", ") + ")"
    }

    /// The parameters of `object(parameters:)` for `row`.
    static func values(_ row: UsageRow) -> [String] {
        let i = row.imported
        let own: [String] = [String(row.totals.tollFreeCalls), row.callCost.description, String(row.totals.billedSeconds),
                             String(row.totals.coveredSeconds)]
        let imported: [Int] = [i.minutesUsed, i.localCalls, i.stdCalls, i.isdCalls, i.mobileCalls, i.tollFreeCalls]
        return own + imported.map { String($0) }
    }

    /// What a row rating makes holds: no calls, nothing imported.
    static let empty = "jsonb_build_object('\(tollFreeCalls)', 0, '\(callCost)', '0', '\(billedSeconds)', 0, '\(coveredSeconds)', 0, "
        + importedKeys.map { "'\($0)', 0" }.joined(separator: ", ") + ")"

    /// Usage totals from figures in `UsageTotals` order.
    static func totals(_ v: [Int]) -> UsageTotals {
        UsageTotals(minutesUsed: v[0], localCalls: v[1], stdCalls: v[2], isdCalls: v[3], mobileCalls: v[4], tollFreeCalls: v[5])
    }
}
