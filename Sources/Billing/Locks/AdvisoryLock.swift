import Foundation

/// The one home of cdr-rater's advisory-lock key space: which key each
/// lock is, so that no two locks share one by accident. PostgreSQL has two
/// spaces: one 64-bit key (`pg_advisory_lock(bigint)`, here "cdrr" and a
/// number), and two 32-bit keys (`pg_advisory_lock(int, int)`, here a
/// file's claim); `pg_locks` tells them apart by `objsubid` 1 or 2.
enum AdvisoryLock {
    /// One `migrate` at a time (`Migrator`).
    case migrate
    /// One `seed` at a time (`Seeder`).
    case seed
    /// The rating lock: shared by `rate`, alone for `rerate`, `migrate`, `seed undo` (`RunLock`).
    case rating
    /// Raters' turns at a file that keeps meeting calls others stored (`FileGate`).
    case fileGate
    /// A file's claim, by its content (`FileClaim`).
    case fileClaim(sha256: String)

    /// The 64-bit key of a lock of the first space.
    var key: Int64 {
        switch self {
        case .migrate: return 0x6364_7272_0001
        case .seed: return 0x6364_7272_0002
        case .rating: return 0x6364_7272_0003
        case .fileGate: return 0x6364_7272_0004
        case .fileClaim: preconditionFailure("a file's claim has two 32-bit keys (`claimKeys`)")
        }
    }

    /// A file's claim's two 32-bit keys, as query parameters: the first 16 hex digits of the sha256.
    static func claimKeys(_ sha256: String) -> [String?] {
        let hex = Array(sha256.utf8.prefix(16))
        func int32(_ s: ArraySlice<UInt8>) -> String { String(Int32(bitPattern: UInt32(String(decoding: s, as: UTF8.self), radix: 16) ?? 0)) }
        return [int32(hex[0 ..< 8]), int32(hex[8 ..< 16])]
    }

    /// The transaction lock of a month's bulk load (`Partitions.claimBulk`), as SQL taking the month as `$1`:
    /// a hash of its name, in the 64-bit space, where cdr-rater's own keys are not.
    static let bulkLoadSQL = "SELECT pg_advisory_xact_lock(hashtext('cdr-rater bulk load ' || $1))"
}
