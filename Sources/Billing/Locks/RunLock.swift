import Foundation
import Logging
import Postgres

/// The rating lock, a session advisory lock (released when the session
/// ends, kill -9 included). Any number of `rate` runs hold it together
/// (shared): the database keeps them apart file by file (`FileClaim`) and
/// usage row by usage row. `rerate`, which prices whole periods again, holds
/// it alone (exclusive). A run that finds it taken says at once who holds it
/// and since when, waits at most `wait` seconds, then gives up with
/// `RunLockBusy` (exit 75).
enum RunLock {
    static let key = AdvisoryLock.rating.key
    static let name = "rating"

    enum Mode {
        case shared, exclusive
        var function: String { self == .shared ? "pg_try_advisory_lock_shared" : "pg_try_advisory_lock" }
    }

    /// Takes the lock; returns the seconds spent waiting for it. Sessions
    /// left holding it by a run that is gone (`LockHolder.isGone`) are ended first.
    static func acquire(_ db: Connection, _ mode: Mode, wait: Double, command: String, logger: Logger, stop: StopRequest? = nil) throws -> Double {
        if try take(db, mode) || LockHolder.endOrphans(db, try holders(db), what: "the rating lock", logger: logger) && take(db, mode) {
            try record(db, command: command)
            return 0
        }
        let started = Date()
        let holder = try describeHolders(db)
        logger.info("cdr-rater: waiting for the rating lock: \(holder)\(wait > 0 ? "; waiting up to \(format(wait)) s (--lock-wait)" : "")")
        while Date().timeIntervalSince(started) < wait {
            usleep(200_000)
            try stop?.check(file: nil)
            if try take(db, mode) {
                try record(db, command: command)
                return Date().timeIntervalSince(started)
            }
        }
        if try take(db, mode) { try record(db, command: command); return Date().timeIntervalSince(started) } // let go just now
        throw RunLockBusy(holder: try describeHolders(db), waited: Date().timeIntervalSince(started))
    }

    static func release(_ db: Connection, _ mode: Mode) {
        if (try? LockHolder.recordsExist(db)) == true {
            _ = try? db.query("DELETE FROM run_lock_holders WHERE lock_name = $1 AND backend_pid = pg_backend_pid()", [name])
        }
        _ = try? db.query(mode == .shared ? "SELECT pg_advisory_unlock_shared($1)" : "SELECT pg_advisory_unlock($1)", [String(key)])
    }

    private static func take(_ db: Connection, _ mode: Mode) throws -> Bool {
        try db.query("SELECT \(mode.function)($1)", [String(key)]).scalar == "t"
    }

    /// Records who holds the lock, once the table for it exists (`migrate` takes the lock on an empty database too).
    private static func record(_ db: Connection, command: String) throws {
        guard try LockHolder.recordsExist(db) else { return }
        // Rows of sessions that are gone (a run killed) go first.
        try db.query("""
            DELETE FROM run_lock_holders WHERE lock_name = $1 AND backend_pid NOT IN (SELECT pid FROM pg_stat_activity)
            """, [name])
        try db.query("""
            INSERT INTO run_lock_holders (lock_name, host, pid, command, backend_pid, since)
            VALUES ($1, $2, $3, $4, pg_backend_pid(), now())
            ON CONFLICT (lock_name, backend_pid) DO UPDATE SET host = EXCLUDED.host, pid = EXCLUDED.pid,
                command = EXCLUDED.command, since = EXCLUDED.since
            """, [name, ProcessInfo.processInfo.hostName, String(getpid()), command])
    }

    /// The sessions holding the rating lock.
    static func holders(_ db: Connection) throws -> [LockHolder] {
        try LockHolder.holding(db, "l.classid::bigint = $1::bigint AND l.objid::bigint = $2::bigint AND l.objsubid = 1",
                               [String(key >> 32), String(key & 0xFFFF_FFFF)])
    }

    /// "cdr-rater rate on host H, pid P, since T" for each session holding the lock.
    static func describeHolders(_ db: Connection) throws -> String {
        let all = try holders(db)
        return all.isEmpty ? "the holder has just let go" : all.map(\.description).joined(separator: "; ")
    }

    private static func format(_ s: Double) -> String { String(format: "%.0f", s) }
}

/// Another run held the rating lock for longer than this one would wait (exit 75).
public struct RunLockBusy: OperatorFacingError, CustomStringConvertible {
    let holder: String
    let waited: Double
    public var description: String {
        "another cdr-rater run still holds the rating lock after \(String(format: "%.0f", waited)) s: \(holder). "
            + "Nothing was done; run again later, or give --lock-wait SECONDS to wait longer"
    }
    /// Distinct, so a nightly job can tell "try later" from a failure.
    public var exitCode: Int32 { 75 }
}
