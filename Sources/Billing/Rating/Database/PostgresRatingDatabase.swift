import Postgres
import RatingRules

/// `RatingDatabase` and `CallCopySink` on one PostgreSQL connection.
final class PostgresRatingDatabase: RatingDatabase, CallCopySink {
    let db: Connection

    init(db: Connection) { self.db = db }

    var isConnected: Bool { db.isConnected }

    func transaction<T>(_ body: () throws -> T) throws -> T { try db.transaction(body) }

    func beginReadOnlySnapshot() throws { try db.execute(script: "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY") }

    func endReadOnlySnapshot() { _ = try? db.execute(script: "ROLLBACK") }

    func exportSnapshot() throws -> String? { try db.query("SELECT pg_export_snapshot()").rows.first?[0] }

    /// In the run's own snapshot: the same answer the side connection would have in the exported one.
    func snapshotHoldsNoCalls() throws -> Bool { try db.holdsNoStoredCalls() }

    func cancelOnStop(_ stop: StopRequest) { stop.watch(db) }

    func stallForFailPoint() { _ = try? db.query("SELECT pg_sleep(60)") }

    /// The rows in PostgreSQL's binary COPY format (`CDRRowEncoder`), sent 256 KiB at a time.
    func copyCalls(into table: String, fileName: String, book: TariffBook, _ rows: (_ send: (RatedCall) throws -> Void) throws -> Void) throws {
        try db.copyIn(CDRRowEncoder.copyStatement(into: table)) { sink in
            var encoder = CDRRowEncoder(fileName: fileName, book: book)
            var row = BinaryCopyEncoder(capacity: 256 * 1024)
            row.append(BinaryCopyEncoder.header)
            try rows { call in
                encoder.encode(call, into: &row)
                if row.buffer.count >= 256 * 1024 {
                    try sink.write(row.buffer)
                    row.clear()
                }
            }
            row.append(BinaryCopyEncoder.trailer)
            try sink.write(row.buffer)
        }
    }
}
