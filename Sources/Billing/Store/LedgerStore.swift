import Foundation
import Postgres
import RatingRules

/// What the file ledger (`cdr_files`) knows of a file's content.
enum LedgerVerdict: Equatable {
    case rated
    /// It ends early (a truncated gzip); the lines before the damage are stored.
    case partial
    /// A partial file an operator accepted as final (`files accept`): "by WHO at WHEN".
    case accepted(String)
    /// Nothing of it was stored; it is rated again.
    case failed
}

/// One file's ledger entry, rated or failed.
struct LedgerEntry {
    var fileName: String
    var path: String
    var size: Int64
    var sha256: String
    var layout: CDRLayout?
    var status: String
    var lines = 0, stored = 0, unmatched = 0, duplicates = 0, rejected = 0, chargedMinutes = 0
    var cost = Money.zero
    var rejectsPath: String?
    var error: String?
    var started: Date
}

/// The file ledger: every read and write of `cdr_files` that rating makes.
protocol LedgerStore: AnyObject {
    /// The ledger's word on a file with this content; nil when it has none.
    func verdict(sha256: String) throws -> LedgerVerdict?
    /// Writes the entry, over a failed one of the same content; its id, nil
    /// when another run recorded the same content as rated or partial meanwhile.
    func record(_ entry: LedgerEntry) throws -> String?
    /// The entry's finished_at: the end of the file's work, not the start of its transaction.
    func markFinished(id: String) throws
    /// Whether an entry names a rejects file of this name (its file committed).
    func holdsRejects(named name: String) throws -> Bool
}

/// The PostgreSQL implementation.
final class PostgresLedgerStore: LedgerStore {
    let db: Connection

    init(db: Connection) { self.db = db }

    func verdict(sha256: String) throws -> LedgerVerdict? {
        guard let r = try db.query("""
            SELECT status, accepted_by || ' at ' || to_char(accepted_at, 'YYYY-MM-DD HH24:MI:SS TZ')
            FROM cdr_files WHERE sha256 = $1
            """, [sha256]).rows.first else { return nil }
        if let accepted = r[1] { return .accepted(accepted) }
        switch r[0] {
        case "rated": return .rated
        case "partial": return .partial
        default: return .failed
        }
    }

    func record(_ e: LedgerEntry) throws -> String? {
        try db.query("""
            INSERT INTO cdr_files (file_name, path, size_bytes, sha256, layout, status, lines, stored, unmatched,
                duplicates, rejected, charged_minutes, cost, rejects_path, error, started_at, finished_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, to_timestamp($16), clock_timestamp())
            ON CONFLICT (sha256) DO UPDATE SET file_name = EXCLUDED.file_name, path = EXCLUDED.path, layout = EXCLUDED.layout,
                status = EXCLUDED.status, lines = EXCLUDED.lines, stored = EXCLUDED.stored, unmatched = EXCLUDED.unmatched,
                duplicates = EXCLUDED.duplicates, rejected = EXCLUDED.rejected, charged_minutes = EXCLUDED.charged_minutes,
                cost = EXCLUDED.cost, rejects_path = EXCLUDED.rejects_path, error = EXCLUDED.error,
                started_at = EXCLUDED.started_at, finished_at = EXCLUDED.finished_at, updated_at = now()
            WHERE cdr_files.status = 'failed'
            RETURNING id
            """, [e.fileName, e.path, String(e.size), e.sha256, e.layout?.rawValue, e.status,
                  String(e.lines), String(e.stored), String(e.unmatched), String(e.duplicates), String(e.rejected),
                  String(e.chargedMinutes), e.cost.description, e.rejectsPath, e.error,
                  String(e.started.timeIntervalSince1970)]).scalar
    }

    func markFinished(id: String) throws {
        try db.query("UPDATE cdr_files SET finished_at = clock_timestamp() WHERE id = $1", [id])
    }

    func holdsRejects(named name: String) throws -> Bool {
        // By file name (it holds the CDR file's name and sha256 prefix), whichever spelling of the folder the run used.
        try db.query("SELECT 1 FROM cdr_files WHERE rejects_path = $1 OR right(rejects_path, length($1) + 1) = '/' || $1",
                     [name]).rows.count > 0
    }
}
