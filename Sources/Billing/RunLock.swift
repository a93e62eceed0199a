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
    static let key: Int64 = 0x6364_7272_0003
    static let name = "rating"

    enum Mode {
        case shared, exclusive
        var function: String { self == .shared ? "pg_try_advisory_lock_shared" : "pg_try_advisory_lock" }
    }

    /// Takes the lock; returns the seconds spent waiting for it.
    static func acquire(_ db: Connection, _ mode: Mode, wait: Double, command: String, logger: Logger, stop: StopRequest? = nil) throws -> Double {
        if try take(db, mode) { try record(db, command: command); return 0 }
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
        _ = try? db.query("DELETE FROM run_lock_holders WHERE lock_name = $1 AND backend_pid = pg_backend_pid()", [name])
        _ = try? db.query(mode == .shared ? "SELECT pg_advisory_unlock_shared($1)" : "SELECT pg_advisory_unlock($1)", [String(key)])
    }

    private static func take(_ db: Connection, _ mode: Mode) throws -> Bool {
        try db.query("SELECT \(mode.function)($1)", [String(key)]).scalar == "t"
    }

    private static func record(_ db: Connection, command: String) throws {
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

    /// "cdr-rater rate on host H, pid P, since T" for each session holding
    /// the lock: from its holder record, else from what pg_stat_activity knows.
    static func describeHolders(_ db: Connection) throws -> String {
        let hi = String(key >> 32), lo = String(key & 0xFFFF_FFFF)
        let rows = try db.query("""
            SELECT a.pid, coalesce(host(a.client_addr), 'local socket'), to_char(a.backend_start, 'YYYY-MM-DD HH24:MI:SS TZ'),
                   h.host, h.pid, h.command, to_char(h.since, 'YYYY-MM-DD HH24:MI:SS TZ')
            FROM pg_locks l
            JOIN pg_stat_activity a ON a.pid = l.pid
            LEFT JOIN run_lock_holders h ON h.lock_name = $3 AND h.backend_pid = l.pid
            WHERE l.locktype = 'advisory' AND l.granted AND l.classid::bigint = $1::bigint AND l.objid::bigint = $2::bigint
              AND l.objsubid = 1
            ORDER BY a.backend_start
            """, [hi, lo, name]).rows
        guard !rows.isEmpty else { return "the holder has just let go" }
        return rows.map { r in
            if let host = r[3], let pid = r[4], let command = r[5], let since = r[6] {
                return "cdr-rater \(command) on host \(host), pid \(pid), since \(since)"
            }
            return "a session from \(r[1] ?? "?") (server process \(r[0] ?? "?")), connected since \(r[2] ?? "?")"
        }.joined(separator: "; ")
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

/// A file claimed by one run: a session advisory lock keyed by the file's
/// content (its sha256), taken without waiting before the file is read and
/// let go once its transaction ended. A run that dies lets go of it with its
/// session. Two runs on one inbox thus never rate the same file at once; the
/// second leaves it (`busy`), and the ledger tells the next run it is rated.
enum FileClaim {
    /// The two 32-bit keys: the first 16 hex digits of the sha256, apart from the rating lock's 64-bit key space.
    private static func keys(_ sha256: String) -> [String?] {
        let hex = Array(sha256.utf8.prefix(16))
        func int32(_ s: ArraySlice<UInt8>) -> String { String(Int32(bitPattern: UInt32(String(decoding: s, as: UTF8.self), radix: 16) ?? 0)) }
        return [int32(hex[0 ..< 8]), int32(hex[8 ..< 16])]
    }

    /// Claims the file; false when another session holds it.
    static func take(_ db: Connection, sha256: String) throws -> Bool {
        try db.query("SELECT pg_try_advisory_lock($1::int, $2::int)", keys(sha256)).scalar == "t"
    }

    static func release(_ db: Connection, sha256: String) {
        _ = try? db.query("SELECT pg_advisory_unlock($1::int, $2::int)", keys(sha256))
    }

    /// Which run holds the claim, for the report.
    static func holder(_ db: Connection, sha256: String) -> String {
        let k = keys(sha256)
        let r = try? db.query("""
            SELECT h.host, h.pid, a.pid FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
            LEFT JOIN run_lock_holders h ON h.backend_pid = l.pid
            WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2 AND l.classid::int = $1::int AND l.objid::int = $2::int
            """, k).rows.first
        guard let r else { return "another run" }
        if let host = r[0], let pid = r[1] { return "cdr-rater on host \(host), pid \(pid)" }
        return "server process \(r[2] ?? "?")"
    }
}

/// Takes turns when raters keep storing each other's calls: each attempt at
/// a file holds the gate shared, so raters run side by side; a file that
/// failed twice on calls another run stored meanwhile holds it alone for its
/// next attempt, so that no run commits between its lookup and its COPY, and
/// it gets through. A session advisory lock, gone with a run that dies.
enum FileGate {
    private static let key: Int64 = 0x6364_7272_0004

    static func enter(_ db: Connection, alone: Bool) throws {
        try db.query(alone ? "SELECT pg_advisory_lock($1)" : "SELECT pg_advisory_lock_shared($1)", [String(key)])
    }

    static func leave(_ db: Connection, alone: Bool) {
        _ = try? db.query(alone ? "SELECT pg_advisory_unlock($1)" : "SELECT pg_advisory_unlock_shared($1)", [String(key)])
    }
}
