import ConcurrencyHelpers
import Postgres

/// Reads a rerate's stored calls on a connection of its own, in the rerate's
/// snapshot, on a thread of its own: the writing connection's COPYs (the
/// staged changes and the cost history, most of the pricing step's time on
/// the server) then go on while the next calls are read and parsed, instead
/// of the two taking turns on one connection.
///
/// Used only where the rerate stages its changes (`MonthRewrite`): there cdrs
/// are not written until every change is known, so the snapshot, exported by
/// the rerate's transaction once it holds the run lock, sees the calls as the
/// writing connection would. Each query's connection is closed before
/// `forEachStoredCall` returns, so no read-only transaction is left holding
/// the month's partition while it is swapped.
struct SnapshotReader {
    /// Opens a connection to the rerate's database.
    let connect: @Sendable () throws -> Connection
    /// `pg_export_snapshot()` of the rerate's transaction, which stays open while the reader runs.
    let snapshot: String
    let stop: StopRequest?

    /// Batches of calls read ahead while the last ones are priced.
    static let batchesAhead = 1

    /// As `Connection.forEachStoredCall`: `body` gets the calls in the query's order, on the calling thread.
    func forEachStoredCall(_ query: StoredCallQuery, _ body: (StoredCall) throws -> Void) throws {
        let handOff = BoundedHandOff<[StoredCall]>(capacity: SnapshotReader.batchesAhead)
        let (connect, snapshot, stop) = (self.connect, self.snapshot, self.stop)
        _ = try ProducerThread.run(through: handOff, produce: {
            let reader = try connect()
            defer { reader.close() }
            try reader.transaction(readOnly: true) {
                try reader.execute(script: "SET TRANSACTION SNAPSHOT '\(snapshot)'")
                try reader.forEachStoredCallBatch(query) { batch in
                    try stop?.check(file: nil)
                    // false: the consumer has gone (it failed); its error is the one thrown.
                    guard handOff.put(batch) else { throw ConsumerGone() }
                }
            }
        }, consume: {
            while let batch = try handOff.next() {
                for stored in batch { try body(stored) }
            }
        })
    }

    /// The consumer of a hand-off has gone (it failed): its error is the one the join throws.
    struct ConsumerGone: Error {}
}
