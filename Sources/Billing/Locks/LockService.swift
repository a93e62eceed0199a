import Logging
import Postgres

/// The advisory locks a rating run takes, as one service: the rating lock
/// (`RunLock`), a file's claim (`FileClaim`), the turns at a file
/// (`FileGate`). `PostgresLockService` is them on the run's connection; a
/// unit test's in-memory one keeps them in a set.
protocol LockService: AnyObject {
    /// Takes the rating lock; the seconds spent waiting for it (`RunLock.acquire`).
    func acquireRatingLock(_ mode: RunLock.Mode, wait: Double, command: String, logger: Logger, stop: StopRequest?) throws -> Double
    func releaseRatingLock(_ mode: RunLock.Mode)
    /// Claims the file by its content without waiting; false when another session holds it.
    func claimFile(sha256: String) throws -> Bool
    func releaseFile(sha256: String)
    /// The sessions holding the file's claim.
    func fileHolders(sha256: String) throws -> [LockHolder]
    /// Ends the sessions of `holders` that are gone (`LockHolder.endOrphans`); whether any was ended.
    func endOrphans(_ holders: [LockHolder], what: String, logger: Logger) -> Bool
    /// An attempt's turn at the gate: shared, or `alone` (`FileGate`).
    func enterGate(alone: Bool) throws
    func leaveGate(alone: Bool)
}

/// The PostgreSQL implementation: session advisory locks on one connection.
final class PostgresLockService: LockService {
    let db: Connection

    init(db: Connection) { self.db = db }

    func acquireRatingLock(_ mode: RunLock.Mode, wait: Double, command: String, logger: Logger, stop: StopRequest?) throws -> Double {
        try RunLock.acquire(db, mode, wait: wait, command: command, logger: logger, stop: stop)
    }

    func releaseRatingLock(_ mode: RunLock.Mode) { RunLock.release(db, mode) }

    func claimFile(sha256: String) throws -> Bool { try FileClaim.take(db, sha256: sha256) }

    func releaseFile(sha256: String) { FileClaim.release(db, sha256: sha256) }

    func fileHolders(sha256: String) throws -> [LockHolder] { try FileClaim.holders(db, sha256: sha256) }

    func endOrphans(_ holders: [LockHolder], what: String, logger: Logger) -> Bool {
        LockHolder.endOrphans(db, holders, what: what, logger: logger)
    }

    func enterGate(alone: Bool) throws { try FileGate.enter(db, alone: alone) }

    func leaveGate(alone: Bool) { FileGate.leave(db, alone: alone) }
}
