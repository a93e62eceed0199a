import ConcurrencyHelpers
import Foundation
import RatingRules
import CDRIngest

/// The COPY of a file's rated calls into cdrs: a producer thread rates the
/// calls and hands them over in uuid-sorted batches, while this thread
/// sends them (`CallCopySink`: encoded in PostgreSQL's binary format).
struct CopyPipeline {
    let session: RatingSession

    /// Rows sorted together before COPY; at most three batches are held (one rated, one handed over, one sent):
    /// about 256 bytes a rated call and its strings besides, so 50,000 a batch held some 45 MiB of a full run's peak.
    static let batchRows = 16_384

    /// In the file's transaction: the second pass, rated against `plan`,
    /// COPYed into cdrs, or with `bulkMonth` into a fresh table of that month (the backfill path).
    func copy(_ read: FileRead, _ plan: FilePlan, bulkMonth: String?) throws {
        func copy(into table: String) throws {
            try copyCalls(read, plan: plan.allocation, into: table)
        }
        if let month = bulkMonth {
            session.logger.info("\(read.path): every call is of \(month), which has no partition yet: loading it into a fresh one (the backfill path)")
            try session.partitions.bulkLoad(month: month, step: { session.step($0) }, load: copy)
        } else {
            try copy(into: "cdrs")
            session.step("second pass: COPY cdrs")
        }
    }

    /// The second pass: rates every call of the file's call log that is not
    /// a duplicate against the plan and COPYs it into `table`.
    private func copyCalls(_ read: FileRead, plan: AllocationPlan, into table: String) throws {
        guard let calls = read.calls else { preconditionFailure("a second pass without the first reading's call log") }
        let (duplicates, progress) = (read.scan.duplicateLines, session.environment.progress)
        try copyRows(of: read.path, into: table) { emit, _ in
            try calls.read { chunk in
                progress?.read(bytes: chunk.bytesRead, lines: chunk.lineCount, second: true)
                for c in chunk.calls where !duplicates.contains(c.record.lineNumber) {
                    try emit(plan.rate(c))
                }
            }
        }
    }

    /// COPYs the rated calls `produce` hands to `emit` into `table`.
    /// `produce` runs on a second thread, which rates the next batch while this
    /// one encodes and sends the last (the server is not left waiting while a
    /// batch is read); it may call `flush` once its last call is emitted, to
    /// send it before it does more work. Rows go in uuid order within batches,
    /// so the uuid indexes fill page by page rather than at random. An error
    /// of `produce` before its last call aborts the COPY; one after it, once
    /// the COPY ended.
    func copyRows<Produced>(of path: RawPath, into table: String,
                            produce: @escaping (_ emit: (RatedCall) throws -> Void, _ flush: () throws -> Void) throws -> Produced)
        throws -> Produced {
        let batches = BoundedHandOff<(calls: [RatedCall], order: [Int])>(capacity: 1)
        // The caller's closure runs on the producer's thread alone while this one sends, and what it
        // captures is not touched here until the join: the one unchecked hand-over of the pipeline.
        nonisolated(unsafe) let produce = produce
        let (produced, _) = try ProducerThread.run(through: batches, produce: { () throws -> Produced in
            var batch: [RatedCall] = []
            func send() throws {
                guard !batch.isEmpty else { return }
                // Sorting the keys, not the rated calls: moving those costs more than rating them.
                let keys = batch.map { $0.call.record.key }
                guard batches.put((batch, batch.indices.sorted { keys[$0] < keys[$1] })) else { throw CancellationError() }
                batch = []
                batch.reserveCapacity(CopyPipeline.batchRows)
            }
            var flushed = false
            let result = try produce({ call in
                precondition(!flushed, "a call emitted after the last batch was sent")
                batch.append(call)
                if batch.count >= CopyPipeline.batchRows { try send() }
            }, {
                try send()
                flushed = true
                batches.finish() // the COPY ends while the producer goes on; an error after this comes at the join
            })
            if !flushed { try send() }
            return result
        }, consume: {
            try session.copySink.copyCalls(into: table, fileName: path.name, book: session.catalog.tariffs) { send in
                // An error of the producer before its last call comes here, after the batches before it: the COPY is aborted.
                while let batch = try batches.next() {
                    for i in batch.order { try send(batch.calls[i]) }
                }
            }
        })
        return produced
    }
}
