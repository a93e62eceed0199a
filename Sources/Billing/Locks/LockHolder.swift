import Foundation
import Logging
import Postgres

/// A server session holding one of cdr-rater's advisory locks (the rating
/// lock, a file's claim), with what its `run_lock_holders` record says of
/// the process behind it.
///
/// A rater killed with SIGKILL leaves its session behind for as long as the
/// server takes to notice: a statement in flight runs to its end, and the
/// locks stay held. Such a session is an orphan when its record names a
/// process on this host that no longer exists; `endOrphans` ends it, so that
/// the next run takes over at once instead of leaving the work to nobody.
struct LockHolder: CustomStringConvertible {
    /// The server process of the session (`pg_backend_pid()`).
    let backendPid: String
    let clientAddress: String
    let connectedSince: String
    /// From the session's `run_lock_holders` record, when it has one.
    let host: String?
    let pid: String?
    let command: String?
    let since: String?

    var description: String {
        if let host, let pid, let command, let since {
            return "cdr-rater \(command) on host \(host), pid \(pid), since \(since)"
        }
        return "a session from \(clientAddress) (server process \(backendPid)), connected since \(connectedSince)"
    }

    /// Its record names a process of this host that no longer exists.
    var isGone: Bool {
        guard host == ProcessInfo.processInfo.hostName, let pid = pid.flatMap(pid_t.init), pid > 0 else { return false }
        return kill(pid, 0) != 0 && errno == ESRCH
    }

    /// Whether `run_lock_holders` exists yet (`migrate` takes the rating lock on an empty database).
    static func recordsExist(_ db: Connection) throws -> Bool {
        try db.query("SELECT to_regclass('run_lock_holders') IS NOT NULL").scalar == "t"
    }

    /// The sessions holding the advisory lock that `lock` selects in `pg_locks l`, oldest first.
    static func holding(_ db: Connection, _ lock: String, _ keys: [String?]) throws -> [LockHolder] {
        let record = try recordsExist(db)
        let rows = try db.query("""
            SELECT a.pid, coalesce(host(a.client_addr), 'local socket'), to_char(a.backend_start, 'YYYY-MM-DD HH24:MI:SS TZ'),
                   \(record ? "h.host, h.pid::text, h.command, to_char(h.since, 'YYYY-MM-DD HH24:MI:SS TZ')" : "NULL, NULL, NULL, NULL")
            FROM pg_locks l
            JOIN pg_stat_activity a ON a.pid = l.pid
            \(record ? "LEFT JOIN run_lock_holders h ON h.lock_name = '\(RunLock.name)' AND h.backend_pid = l.pid" : "")
            WHERE l.locktype = 'advisory' AND l.granted AND \(lock)
            ORDER BY a.backend_start
            """, keys).rows
        return rows.map { r in
            LockHolder(backendPid: r[0] ?? "?", clientAddress: r[1] ?? "?", connectedSince: r[2] ?? "?",
                       host: r[3], pid: r[4], command: r[5], since: r[6])
        }
    }

    /// Ends the sessions of `holders` that are gone, waiting up to 10 s for
    /// each to exit; whether any was ended. A session the server refuses to
    /// end (another role's, without the right to signal it) is left, and said.
    static func endOrphans(_ db: Connection, _ holders: [LockHolder], what: String, logger: Logger) -> Bool {
        var ended = false
        for h in holders where h.isGone {
            logger.info("cdr-rater: \(what) is held by \(h), which is gone: ending its server session \(h.backendPid)")
            do {
                let done = try db.query("SELECT pg_terminate_backend($1::int, 10000)", [h.backendPid]).scalar == "t"
                if done { ended = true } else { logger.warning("cdr-rater: server session \(h.backendPid) did not end within 10 s") }
            } catch {
                logger.warning("cdr-rater: could not end server session \(h.backendPid) of \(h): \(error)")
            }
        }
        return ended
    }
}
