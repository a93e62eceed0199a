import Foundation
import Postgres
import RatingRules
import CDRIngest
import Reports

/// The file ledger (`cdr_files`) as `cdr-rater files` lists it, newest first.
public struct FileLedger {
    public static let columns = ["finished_at", "status", "file_name", "lines", "stored", "unmatched", "duplicates", "rejected",
                                 "charged_minutes", "cost", "seconds", "sha256", "path", "rejects_path", "error", "accepted"]
    public let rows: [[String]]

    /// `status` rated, partial or failed; `since` a date or time in the business zone (finished at or after it).
    public init(db: Connection, status: String?, since: LocalDateTime?) throws {
        var sql = """
            SELECT to_char(f.finished_at AT TIME ZONE z.zone, 'YYYY-MM-DD HH24:MI:SS'), f.status, f.file_name, f.lines, f.stored,
                   f.unmatched, f.duplicates, f.rejected, f.charged_minutes, f.cost,
                   round(extract(epoch FROM f.finished_at - f.started_at)::numeric, 2), f.sha256, f.path,
                   coalesce(f.rejects_path, ''), coalesce(f.error, ''),
                   coalesce(f.accepted_by || ' at ' || to_char(f.accepted_at AT TIME ZONE z.zone, 'YYYY-MM-DD HH24:MI:SS'), '')
            FROM cdr_files f
            CROSS JOIN (SELECT \(CatalogLoader.businessZoneSQL) AS zone) z
            WHERE true
            """
        var params: [String?] = []
        if let status {
            params.append(status)
            sql += " AND f.status = $\(params.count)"
        }
        if let since {
            params.append(since.text)
            sql += " AND f.finished_at >= ($\(params.count)::timestamp AT TIME ZONE z.zone)"
        }
        sql += " ORDER BY f.finished_at DESC, f.file_name"
        // Names (and errors naming them) as shown: a row written before names were escaped is escaped here.
        rows = try db.query(sql, params).rows.map { $0.map { escapedName(($0 ?? "").utf8) } }
    }

    /// Rows as the listing has them (for rendering tests).
    init(rows: [[String]]) { self.rows = rows }

    public func render(_ format: RunReport.Format) -> String {
        switch format {
        case .csv: return Tabular(columns: FileLedger.columns, rows: rows).csv()
        case .json: return Tabular(columns: FileLedger.columns, rows: rows).json()
        case .table:
            // The table leaves out the hash and paths, and cuts long errors; json and csv have them whole.
            let shown = [0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 14, 15], error = 14
            let cells = rows.map { r in shown.map { i in i == error && r[i].count > 60 ? String(r[i].prefix(57)) + "..." : r[i] } }
            let table = Tabular(columns: shown.map { FileLedger.columns[$0] }, rows: cells)
            return table.tableLines().joined(separator: "\n") + "\n" + (rows.isEmpty ? "(no files)\n" : "")
        }
    }
}

extension FileLedger {
    /// What `files accept` did.
    public enum Acceptance {
        case accepted(fileName: String, stored: String)
        case acceptedBefore(fileName: String, by: String)
    }

    /// Marks a partial file as final, so that runs that meet it treat it as
    /// rated: `file` is a path on disk (found by its content's sha256) or,
    /// when the file is gone, a file name or path as the ledger has it.
    /// `by` says who (the operator's login and host), kept with the time.
    public static func accept(_ db: Connection, file: String, by: String) throws -> Acceptance {
        let key: (column: String, value: String)
        if FileManager.default.fileExists(atPath: file) {
            key = ("sha256", try CDRFileReader.sha256(path: RawPath(file)).hex)
        } else {
            key = (file.contains("/") ? "path" : "file_name", file)
        }
        return try db.transaction {
            let rows = try db.execute("""
                SELECT id, file_name, status, stored, accepted_by || ' at ' || to_char(accepted_at, 'YYYY-MM-DD HH24:MI:SS TZ')
                FROM cdr_files WHERE \(unescaped: key.column) = \(key.value) ORDER BY finished_at DESC FOR UPDATE
                """).decode((String, String, String, Int, String?).self)
            guard let (id, name, status, stored, acceptedBefore) = rows.first else {
                throw BillingError("\(file): the file ledger has no such file (by \(key.column == "sha256" ? "its content" : key.column)); "
                    + "see 'cdr-rater files --status partial'")
            }
            guard rows.count == 1 else {
                throw BillingError("\(file): \(rows.count) files of the ledger have that \(key.column == "path" ? "path" : "name"); "
                    + "name the file on disk, or its full path as 'cdr-rater files --format csv' shows it")
            }
            switch status {
            case "partial": break
            case "rated": throw BillingError("\(name) is rated in full: there is nothing to accept")
            default: throw BillingError("\(name) failed, and nothing of it was stored: there is nothing to accept; the next run rates it again")
            }
            if let before = acceptedBefore { return .acceptedBefore(fileName: name, by: before) }
            try db.execute("UPDATE cdr_files SET accepted_at = now(), accepted_by = \(by), updated_at = now() WHERE id = \(id)")
            return .accepted(fileName: name, stored: String(stored))
        }
    }
}

