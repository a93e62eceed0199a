import Foundation
import Postgres
import RatingRules

/// The stored calls (`cdrs`, its uuid registry `cdr_uuids`) and their cost
/// history, as rating and re-rating read and change them (COPY aside:
/// `CopyPipeline`).
protocol CallStore: AnyObject {
    /// The stored charged calls of a usage period that hold included minutes;
    /// with `earliest`, that many of its first charged calls instead, holding minutes or not.
    func heldCalls(subscriptionId: String, period: UsagePeriod, earliest: Int?, book: TariffBook) throws -> [HeldCall]
    /// The uuids among `uuids` that are stored already (`cdr_uuids`).
    func storedUUIDs(_ uuids: [String]) throws -> Set<CDRKey>
    /// Applies price and match changes to stored calls and records them in
    /// the cost history (with no `source`: not recorded, for a file's own calls).
    func apply(_ changes: [CallChange], source: ChangeSource?) throws
}

extension PostgresBillingStore: CallStore {
    func heldCalls(subscriptionId: String, period: UsagePeriod, earliest: Int?, book: TariffBook) throws -> [HeldCall] {
        // The predicate is the partial index cdrs_holding_included_minutes's.
        let which = earliest.map { "\(CDRMetadata.chargedMinutes.int()) > 0 ORDER BY start_time, uuid COLLATE \"C\" LIMIT \($0)" }
            ?? "\(CDRMetadata.includedMinutes.int()) > 0"
        return try db.query("""
            SELECT uuid, extract(epoch FROM start_time)::bigint, \(CDRMetadata.seconds(.billedSeconds)),
                   \(CDRMetadata.seconds(.bundleSeconds)), \(CDRMetadata.seconds(.coveredSeconds)), cost,
                   (\(CDRMetadata.tariffVersion.text()))::bigint, \(CDRMetadata.prefix.text()), billable_seconds
            FROM cdrs
            WHERE subscription_id = $1 AND start_time >= to_timestamp($2) AND start_time < to_timestamp($3)
              AND \(which)
            """, [subscriptionId, String(period.start), String(period.end)]).rows.map { r in
            let start = Int64(r[1]!)!
            let stored = PricedCall(subscriptionId: subscriptionId, cost: Money(r[5]!)!, billedSeconds: Int(r[2]!)!,
                                    bundleSeconds: Int(r[3]!)!, coveredSeconds: Int(r[4]!)!,
                                    tariff: r[6].flatMap(Int64.init).map { TariffAudit(tariff: "", version: $0, prefix: r[7] ?? "", bands: "") })
            return HeldCall(uuid: r[0]!, start: start, price: stored.charge(start: start, billsec: Int(r[8]!)!, book: book),
                            coveredSeconds: stored.coveredSeconds, cost: stored.cost)
        }
    }

    func storedUUIDs(_ uuids: [String]) throws -> Set<CDRKey> {
        var found = Set<CDRKey>()
        var start = 0
        while start < uuids.count {
            let batch = uuids[start ..< min(start + 5000, uuids.count)]
            start += batch.count
            // cdr_uuids: one index for every month (and for the months detached for archiving).
            for row in try db.query("SELECT uuid FROM cdr_uuids WHERE uuid = ANY($1::text[])", [postgresArrayLiteral(batch)]).rows {
                found.insert(CDRKey(row[0]!))
            }
        }
        return found
    }

    /// A column of the temporary table changes are copied into: its name, its type, and how a change fills it.
    struct ChangeColumn: Sendable {
        let name: String
        let type: String
        let encode: @Sendable (inout CopyEncoder, CallChange) -> Void
    }

    /// The temporary table changes are copied into: names, types and encodings in one list, so they cannot drift apart.
    static let changeTable: [ChangeColumn] = {
        @Sendable func bool(_ v: Bool, _ row: inout CopyEncoder) { row.raw(v ? [UInt8(ascii: "t")] : [UInt8(ascii: "f")]) }
        /// Minutes of a call in a usage period; none (NULL) for one that is in none.
        @Sendable func minutes(_ p: PricedCall, _ v: Int, _ row: inout CopyEncoder) { if p.periodStart == nil { row.text(nil) } else { row.int(v) } }
        return [
            ChangeColumn(name: "uuid", type: "text PRIMARY KEY") { $0.text($1.uuid) },
            ChangeColumn(name: "start_time", type: "timestamptz NOT NULL") { $0.timestamp($1.start) },
            ChangeColumn(name: "rematch", type: "boolean NOT NULL") { bool($1.match != nil, &$0) },
            ChangeColumn(name: "minutes_changed", type: "boolean NOT NULL") { row, c in
                bool(c.match != nil || c.before.periodStart != c.after.periodStart || c.before.billedSeconds != c.after.billedSeconds
                     || c.before.bundleSeconds != c.after.bundleSeconds || c.before.coveredSeconds != c.after.coveredSeconds
                     || c.before.tariff != c.after.tariff, &row)
            },
            ChangeColumn(name: "subscription_id", type: "uuid") { $0.text($1.match.map { $0.subscriptionId } ?? $1.after.subscriptionId) },
            ChangeColumn(name: "account_id", type: "uuid") { $0.text($1.match?.accountId) },
            ChangeColumn(name: "call_direction", type: "enum_cdrs_call_direction") { $0.text($1.match?.direction.rawValue) },
            ChangeColumn(name: "call_type", type: "enum_cdrs_call_type") { $0.text($1.match?.type.rawValue) },
            ChangeColumn(name: "call_status", type: "enum_cdrs_call_status") { $0.text($1.match?.status.rawValue) },
            ChangeColumn(name: "processing_error", type: "text") { $0.text($1.match?.error) },
            ChangeColumn(name: "cost", type: "numeric(10,4) NOT NULL") { $0.text($1.after.cost.description) },
            ChangeColumn(name: "period_start", type: "text") { $0.text($1.after.periodStart.map(postgresTimestamp)) },
            ChangeColumn(name: "charged", type: "integer") { minutes($1.after, $1.after.chargedMinutes, &$0) },
            ChangeColumn(name: "included", type: "integer") { minutes($1.after, $1.after.includedMinutes, &$0) },
            ChangeColumn(name: "overage", type: "integer") { minutes($1.after, $1.after.overageMinutes, &$0) },
            ChangeColumn(name: "billed_seconds", type: "integer") { minutes($1.after, $1.after.billedSeconds, &$0) },
            ChangeColumn(name: "bundle_seconds", type: "integer") { minutes($1.after, $1.after.bundleSeconds, &$0) },
            ChangeColumn(name: "covered_seconds", type: "integer") { minutes($1.after, $1.after.coveredSeconds, &$0) },
            ChangeColumn(name: "tariff", type: "text") { $0.text($1.after.tariff?.tariff) },
            ChangeColumn(name: "tariff_version", type: "bigint") { row, c in if let v = c.after.tariff?.version { row.int(Int(v)) } else { row.text(nil) } },
            ChangeColumn(name: "prefix", type: "text") { $0.text($1.after.tariff?.prefix) },
            ChangeColumn(name: "bands", type: "text") { $0.text($1.after.tariff?.bands) },
            ChangeColumn(name: "old_cost", type: "numeric(10,4) NOT NULL") { $0.text($1.before.cost.description) },
            ChangeColumn(name: "old_subscription_id", type: "uuid") { $0.text($1.before.subscriptionId) },
            ChangeColumn(name: "old_included", type: "integer") { minutes($1.before, $1.before.includedMinutes, &$0) },
            ChangeColumn(name: "old_overage", type: "integer") { minutes($1.before, $1.before.overageMinutes, &$0) },
        ]
    }()

    /// The metadata keys of a call's split and what priced it, and the `cdr_changes` columns they are set from.
    static let splitMembers: [(CDRMetadata, String)] = [
        (.usagePeriodStart, "period_start"), (.chargedMinutes, "charged"), (.includedMinutes, "included"), (.overageMinutes, "overage"),
        (.billedSeconds, "billed_seconds"), (.bundleSeconds, "bundle_seconds"), (.coveredSeconds, "covered_seconds"),
        (.tariff, "tariff"), (.tariffVersion, "tariff_version"), (.prefix, "prefix"), (.bands, "bands"),
    ]
    static let splitKeys: String = "ARRAY[" + splitMembers.map { (k, _) -> String in "'\(k.rawValue)'" }.joined(separator: ", ") + "]"
    static let splitColumns: String = splitMembers.map { "'\($0.0.rawValue)', x.\($0.1)" }.joined(separator: ", ")

    /// How a changed call's columns are set, `c` being its stored row and `x` its row of the changes table:
    /// the UPDATE's SET list, and the month rewrite's (`MonthRewrite`) select list, so both write the same row.
    static let changedColumns: [(column: String, value: String)] = [
        ("cost", "x.cost"),
        ("subscription_id", "CASE WHEN x.rematch THEN x.subscription_id ELSE c.subscription_id END"),
        ("account_id", "CASE WHEN x.rematch THEN x.account_id ELSE c.account_id END"),
        ("call_direction", "CASE WHEN x.rematch THEN x.call_direction ELSE c.call_direction END"),
        ("call_type", "CASE WHEN x.rematch THEN x.call_type ELSE c.call_type END"),
        ("call_status", "CASE WHEN x.rematch THEN x.call_status ELSE c.call_status END"),
        ("processing_status", """
            CASE WHEN NOT x.rematch THEN c.processing_status
                 WHEN x.subscription_id IS NULL THEN 'failed'::enum_cdrs_processing_status
                 ELSE 'processed' END
            """),
        ("processing_error", "CASE WHEN x.rematch THEN x.processing_error ELSE c.processing_error END"),
        // A change of price alone (a new rate) leaves metadata as it is: cheaper to write.
        ("metadata", """
            CASE WHEN NOT x.minutes_changed THEN c.metadata ELSE (coalesce(c.metadata, '{}'::jsonb) - \(splitKeys))
               || CASE WHEN x.period_start IS NULL THEN '{}'::jsonb
                       ELSE jsonb_strip_nulls(jsonb_build_object(\(splitColumns))) END END
            """),
        ("updated_at", "now()"),
    ]

    /// The UPDATE of the stored calls from a changes table `x` (`cdr_changes`; a rerate's staged changes
    /// with `extra` conditions: `MonthRewrite`).
    static func updateFromChanges(_ table: String, where extra: String? = nil) -> String {
        """
        UPDATE cdrs c SET \(changedColumns.map { "\($0.column) = \($0.value)" }.joined(separator: ",\n"))
        FROM \(table) x WHERE c.uuid = x.uuid AND c.start_time = x.start_time /* the month: one partition a call */
        """ + (extra.map { " AND " + $0 } ?? "")
    }

    /// Gives the months of cdrs from `first` to `last` (epoch seconds) that
    /// have no planner statistics yet (a month just loaded, autovacuum not
    /// round yet) those of their uuid column, in the caller's transaction,
    /// before changes are UPDATEd into them (`cdrs_analyze_months`): without
    /// them a few changes were joined by a scan of the whole month.
    /// A schema before migration 20241201000015, or a role given grants printed
    /// before it and never recorded: the UPDATE goes on without.
    static func analyzeMonths(_ db: Connection, first: Int64, last: Int64) throws {
        guard try db.query("""
            SELECT coalesce(has_function_privilege(to_regprocedure('public.cdrs_analyze_months(timestamptz, timestamptz)'), 'EXECUTE'), false)
            """).scalar == "t" else { return }
        try db.query("SELECT cdrs_analyze_months(to_timestamp($1::double precision), to_timestamp($2::double precision))",
                     [String(first), String(last)])
    }

    /// COPYs `changes` into a table of `changeTable`'s columns (`cdr_changes`, or a rerate's staged changes).
    func copy(_ changes: [CallChange], into table: String) throws {
        let columns = PostgresBillingStore.changeTable
        _ = try db.copyIn("COPY \(table) (\(columns.map(\.name).joined(separator: ", "))) FROM STDIN") { sink in
            var row = CopyEncoder(capacity: 256 * 1024)
            for c in changes {
                for column in columns { column.encode(&row, c) }
                row.endRow()
                if row.buffer.count >= 256 * 1024 { try sink.write(row.buffer); row.clear() }
            }
            try sink.write(row.buffer)
        }
    }

    func apply(_ changes: [CallChange], source: ChangeSource?) throws {
        guard !changes.isEmpty else { return }
        let table = PostgresBillingStore.changeTable
        try db.execute(script: """
            CREATE TEMP TABLE IF NOT EXISTS cdr_changes (\(table.map { $0.name + " " + $0.type }.joined(separator: ", ")))
                ON COMMIT DELETE ROWS;
            TRUNCATE cdr_changes;
            """)
        try copy(changes, into: "cdr_changes")
        // Its statistics and the months', so that a few changes are joined through the uuid indexes, not by scanning the months.
        try db.execute(script: "ANALYZE cdr_changes")
        try PostgresBillingStore.analyzeMonths(db, first: changes.lazy.map(\.start).min()!, last: changes.lazy.map(\.start).max()!)
        try db.execute(script: PostgresBillingStore.updateFromChanges("cdr_changes"))
        guard let source else { return }
        let reason: String, fileId: String?, runId: String?
        switch source {
        case .lateCall(let id): (reason, fileId, runId) = ("late_call", id, nil)
        case .rerate(let id): (reason, fileId, runId) = ("rerate", nil, id)
        }
        try db.query("""
            INSERT INTO cdr_cost_history (cdr_uuid, call_start_time, old_cost, new_cost, old_subscription_id, new_subscription_id,
                old_included_minutes, new_included_minutes, old_overage_minutes, new_overage_minutes,
                reason, cdr_file_id, rerate_run_id)
            SELECT uuid, start_time, old_cost, cost, old_subscription_id, subscription_id, old_included, included,
                   old_overage, overage, $1, $2::uuid, $3::uuid
            FROM cdr_changes
            WHERE cost <> old_cost OR subscription_id IS DISTINCT FROM old_subscription_id
            """, [reason, fileId, runId])
    }
}

extension Connection {
    /// Whether no call is stored in this connection's snapshot (the uuid registry is empty): then no uuid needs looking up.
    func holdsNoStoredCalls() throws -> Bool {
        try query("SELECT NOT EXISTS (SELECT 1 FROM cdr_uuids)").decodeFirst(Bool.self) ?? false
    }
}

/// A PostgreSQL text[] literal: `{"a","b"}`, quotes and backslashes escaped (`PostgresEncodable`'s).
func postgresArrayLiteral<S: Sequence>(_ items: S) -> String where S.Element == String {
    Array(items).postgresText
}
