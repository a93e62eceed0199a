import Foundation
import Logging
import Postgres

/// The rating lock: one `rate` or `rerate` at a time on a database (a
/// session advisory lock, released when the session ends, kill -9 included).
/// A run that finds it taken says at once who holds it and since when, waits
/// at most `wait` seconds, then gives up with `RunLock.Busy` (exit 75).
enum RunLock {
    static let key: Int64 = 0x6364_7272_0003
    static let name = "rating"

    /// Takes the lock; returns the seconds spent waiting for it.
    static func acquire(_ db: Connection, wait: Double, command: String, logger: Logger, stop: StopRequest? = nil) throws -> Double {
        if try take(db) { try record(db, command: command); return 0 }
        let started = Date()
        let holder = try describeHolder(db)
        logger.info("cdr-rater: waiting for the rating lock: \(holder)\(wait > 0 ? "; waiting up to \(format(wait)) s (--lock-wait)" : "")")
        while Date().timeIntervalSince(started) < wait {
            usleep(200_000)
            try stop?.check(file: nil)
            if try take(db) {
                try record(db, command: command)
                return Date().timeIntervalSince(started)
            }
        }
        if try take(db) { try record(db, command: command); return Date().timeIntervalSince(started) } // let go just now
        throw RunLockBusy(holder: try describeHolder(db), waited: Date().timeIntervalSince(started))
    }

    static func release(_ db: Connection) {
        _ = try? db.query("DELETE FROM run_lock_holders WHERE lock_name = $1 AND backend_pid = pg_backend_pid()", [name])
        _ = try? db.query("SELECT pg_advisory_unlock($1)", [String(key)])
    }

    private static func take(_ db: Connection) throws -> Bool {
        try db.query("SELECT pg_try_advisory_lock($1)", [String(key)]).scalar == "t"
    }

    private static func record(_ db: Connection, command: String) throws {
        try db.query("""
            INSERT INTO run_lock_holders (lock_name, host, pid, command, backend_pid, since)
            VALUES ($1, $2, $3, $4, pg_backend_pid(), now())
            ON CONFLICT (lock_name) DO UPDATE SET host = EXCLUDED.host, pid = EXCLUDED.pid, command = EXCLUDED.command,
                backend_pid = EXCLUDED.backend_pid, since = EXCLUDED.since
            """, [name, ProcessInfo.processInfo.hostName, String(getpid()), command])
    }

    /// "cdr-rater rate on host H, pid P, since T": from the holder's record when it
    /// is the session holding the lock, else what pg_stat_activity knows.
    static func describeHolder(_ db: Connection) throws -> String {
        let hi = String(key >> 32), lo = String(key & 0xFFFF_FFFF)
        guard let r = try db.query("""
            SELECT a.pid, coalesce(host(a.client_addr), 'local socket'), to_char(a.backend_start, 'YYYY-MM-DD HH24:MI:SS TZ'),
                   h.host, h.pid, h.command, to_char(h.since, 'YYYY-MM-DD HH24:MI:SS TZ')
            FROM pg_locks l
            JOIN pg_stat_activity a ON a.pid = l.pid
            LEFT JOIN run_lock_holders h ON h.lock_name = $3 AND h.backend_pid = l.pid
            WHERE l.locktype = 'advisory' AND l.granted AND l.classid::bigint = $1::bigint AND l.objid::bigint = $2::bigint
            """, [hi, lo, name]).rows.first else { return "the holder has just let go" }
        if let host = r[3], let pid = r[4], let command = r[5], let since = r[6] {
            return "cdr-rater \(command) on host \(host), pid \(pid), since \(since)"
        }
        return "a session from \(r[1] ?? "?") (server process \(r[0] ?? "?")), connected since \(r[2] ?? "?")"
    }

    private static func format(_ s: Double) -> String { String(format: "%.0f", s) }
}

/// Another run held the rating lock for longer than this one would wait (exit 75).
public struct RunLockBusy: Error, CustomStringConvertible {
    let holder: String
    let waited: Double
    public var description: String {
        "another cdr-rater run still holds the rating lock after \(String(format: "%.0f", waited)) s: \(holder). "
            + "Nothing was done; run again later, or give --lock-wait SECONDS to wait longer"
    }
}
