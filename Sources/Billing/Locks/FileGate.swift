import Foundation
import Postgres

/// Takes turns when raters keep storing each other's calls: each attempt at
/// a file holds the gate shared, so raters run side by side; a file that
/// failed twice on calls another run stored meanwhile holds it alone for its
/// next attempt, so that no run commits between its lookup and its COPY, and
/// it gets through. A session advisory lock, gone with a run that dies.
enum FileGate {
    private static let key = AdvisoryLock.fileGate.key

    static func enter(_ db: Connection, alone: Bool) throws {
        try db.query(alone ? "SELECT pg_advisory_lock($1)" : "SELECT pg_advisory_lock_shared($1)", [String(key)])
    }

    static func leave(_ db: Connection, alone: Bool) {
        _ = try? db.query(alone ? "SELECT pg_advisory_unlock($1)" : "SELECT pg_advisory_unlock_shared($1)", [String(key)])
    }
}
