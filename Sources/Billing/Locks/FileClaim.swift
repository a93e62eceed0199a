import Foundation
import Postgres

/// A file claimed by one run: a session advisory lock keyed by the file's
/// content (its sha256), taken without waiting before the file is read and
/// let go once its transaction ended. A run that dies lets go of it with its
/// session. Two runs on one inbox thus never rate the same file at once; the
/// second leaves it (`busy`), and the ledger tells the next run it is rated.
enum FileClaim {
    private static func keys(_ sha256: String) -> [String?] { AdvisoryLock.claimKeys(sha256) }

    /// Claims the file; false when another session holds it.
    static func take(_ db: Connection, sha256: String) throws -> Bool {
        try db.query("SELECT pg_try_advisory_lock($1::int, $2::int)", keys(sha256)).scalar == "t"
    }

    static func release(_ db: Connection, sha256: String) {
        _ = try? db.query("SELECT pg_advisory_unlock($1::int, $2::int)", keys(sha256))
    }

    /// The sessions holding the file's claim.
    static func holders(_ db: Connection, sha256: String) throws -> [LockHolder] {
        try LockHolder.holding(db, "l.classid::int = $1::int AND l.objid::int = $2::int AND l.objsubid = 2", keys(sha256))
    }
}
