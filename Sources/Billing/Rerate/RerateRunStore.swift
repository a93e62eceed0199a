import Foundation
import Postgres
import RatingRules
import Reports

/// The `rerate_runs` row of a run that writes (SPEC section 3b: each rerate
/// is a row of the cost history, with its selection, counts and cost delta):
/// made when the run starts, so its calls' history rows can name it, and
/// completed in the same transaction before the commit.
protocol RerateRunStore {
    /// Inserts the run's row with zero counts; returns its id.
    func insert(selection: RerateSelection, started: Date) throws -> String
    /// Records what the run did, and when it finished.
    func finish(_ runId: String, report: RerateReport) throws
}

/// The PostgreSQL implementation.
final class PostgresRerateRunStore: RerateRunStore {
    let db: Connection

    init(db: Connection) { self.db = db }

    func insert(selection: RerateSelection, started: Date) throws -> String {
        let id = try db.query("""
            INSERT INTO rerate_runs (selection, calls_examined, calls_rematched, calls_repriced, periods,
                                     cost_before, cost_after, cost_delta, started_at, finished_at)
            VALUES ($1::jsonb, 0, 0, 0, 0, 0, 0, 0, to_timestamp($2), now()) RETURNING id
            """, [try selection.json(), String(started.timeIntervalSince1970)]).scalar
        guard let id else { throw BillingError("INSERT INTO rerate_runs returned no id") }
        return id
    }

    func finish(_ runId: String, report: RerateReport) throws {
        try db.query("""
            UPDATE rerate_runs SET calls_examined = $2, calls_rematched = $3, calls_repriced = $4, periods = $5,
                cost_before = $6, cost_after = $7, cost_delta = $8, finished_at = clock_timestamp()
            WHERE id = $1
            """, [runId, String(report.callsExamined), String(report.callsRematched), String(report.callsRepriced),
                  String(report.periods.count), report.oldCost.description, report.newCost.description,
                  (report.newCost - report.oldCost).description])
    }
}
