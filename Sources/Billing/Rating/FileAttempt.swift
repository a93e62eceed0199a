import Foundation
import Postgres
import RatingRules
import CDRIngest
import Reports

/// One attempt at a file: read and planned, and in a full run stored in one
/// transaction. Three compositions of the same pieces (`FirstReading`,
/// `FilePlanner`, `CopyPipeline`, `FileCommit`): in one pass (`onePass`,
/// when a lookup connection is given), in two (`twoPasses`), or, in a dry
/// run, read and planned only.
struct FileAttempt {
    let session: RatingSession
    let job: FileJob
    let lookup: Lookup

    /// Why a file is rated in two passes after all; nothing of it was stored.
    struct TwoPasses: Error { let reason: String }

    /// Calls the single pass keeps one hash of each for: 8 bytes each, 32 MiB
    /// at most; a file with more (or that looks as if it had, by its size)
    /// is rated in two passes.
    static let onePassCalls = 3_000_000

    private var planner: FilePlanner { FilePlanner(session: session) }

    /// The outcome and the report's tallies of the file, once it committed (or, in a dry run, was read).
    func run(lookupsOn side: RatingLookups?) throws -> (FileOutcome, [String: CallTally]) {
        var outcome = FileOutcome(path: job.path.shown, status: .rated)
        outcome.sha256 = job.digest
        let rejects = session.dryRun ? nil
            : RejectsFile(directory: session.options.effects.rejectsDirectory, cdrName: job.path.name, digest: job.digest)
        var committed = false
        // A rejects file of a file that did not commit goes; one whose commit may have happened (put in
        // place failed, or the connection went during COMMIT) stays for the next run's repair.
        defer { if !committed && session.db.isConnected { rejects?.discard() } }
        let (read, plan): (FileRead, FilePlan)
        if let rejects {
            if let side {
                (read, plan) = try onePass(lookupsOn: side, rejects: rejects, outcome: &outcome)
            } else {
                (read, plan) = try twoPasses(rejects: rejects, outcome: &outcome)
            }
            committed = true
            FailPoint.hit("rate:committed")
            do { try rejects.putInPlace() } catch {
                session.logger.warning("\(job.path): rated and committed, but \(error); the next run puts it in place")
            }
            session.step("usage, balances, ledger, commit")
        } else {
            read = try FirstReading(session: session, job: job, lookup: lookup, rejects: nil).run(outcome: &outcome)
            plan = try planner.allocate(read)
            planner.account(plan, read, outcome: &outcome) // a full run's `FileCommit` does, before the ledger entry
        }
        try planner.tally(plan, read)
        session.usage.record(plan.usage, plan: plan.allocation)
        session.seen.digests.insert(job.digest)
        if session.dryRun, let whatIf = session.whatIf { try planner.proposeAlternative(read, book: whatIf) }
        return (outcome, read.scan.tallies)
    }

    /// The first reading, then the file's transaction: the rows go in priced
    /// by a provisional plan, against the usage rows as committed now (other
    /// runs COPY at the same time), then `lockAndPlan` and `FileCommit`.
    private func twoPasses(rejects: RejectsFile, outcome: inout FileOutcome) throws -> (FileRead, FilePlan) {
        let (db, partitions) = (session.db, session.partitions)
        try checkTemporaryRoom()
        let read = try FirstReading(session: session, job: job, lookup: lookup, rejects: rejects).run(outcome: &outcome)
        outcome.rejectsPath = try rejects.close()
        let bulkMonth = try partitions.prepare(months: read.scan.months, bulk: session.options.tuning.bulkLoad)
        let plan = try db.transaction {
            try session.usage.refresh(Set(read.scan.added.keys))
            let provisional = try planner.allocate(read)
            let bulk = try bulkMonth.map { try partitions.claimBulk(month: $0) } == true ? bulkMonth : nil
            try CopyPipeline(session: session).copy(read, provisional, bulkMonth: bulk)
            FailPoint.hit("rate:copied")
            let own = planner.ownCallsToCheck(read)
            let plan = try planner.lockAndPlan(read, own: Set(own.map(\.charge.key)))
            try FileCommit(session: session).finish(read, plan, changed: planner.ownCalls(own, plan, storedAs: provisional.allocation),
                                                    outcome: &outcome)
            return plan
        }
        return (read, plan)
    }

    /// Fails a file in two passes before anything is read when the temporary
    /// folder (TMPDIR) has less room than its call log takes: about 200
    /// bytes a call (`CallLog`), about its lines' size decompressed
    /// (`CDRFileReader.expandedSize`), and a quarter more for the sorted runs
    /// of a large file (`CallSorter`, 48 bytes a call).
    private func checkTemporaryRoom() throws {
        let folder = FileManager.default.temporaryDirectory.path
        var disk = statvfs()
        guard let expanded = CDRFileReader.expandedSize(path: job.path), statvfs(folder, &disk) == 0 else { return }
        let needed = expanded + expanded / 4, free = Int64(disk.f_bavail) * Int64(disk.f_frsize)
        guard needed > free else { return }
        func mb(_ bytes: Int64) -> String { String(format: "%.1f MB", Double(bytes) / 1e6) }
        throw BillingError("not enough room in the temporary folder \(escapedName(folder.utf8)) (TMPDIR) for this file's call log: "
            + "it needs about \(mb(needed)) (its lines are \(mb(expanded)) decompressed) and \(mb(free)) is free; nothing of it was read. "
            + "Free room there or point TMPDIR at a larger disk, then run again")
    }

    /// The file in one pass, for a file whose months all have partitions:
    /// in its transaction, the first reading runs on a second thread and its
    /// calls go to COPY as they are read, priced provisionally
    /// (`ProvisionalPricing`, against the usage rows as committed now), each
    /// uuid's first line only (a set of hashes, checked against the first
    /// reading's exact count of duplicates at the end). The reading's lookups
    /// go to `side`. Then `lockAndPlan` and `FileCommit`, as in two passes.
    /// Whatever one pass does not handle (a month without a partition, a very
    /// large file, two uuids of one hash, its lookups failing) throws
    /// `TwoPasses` before anything commits.
    private func onePass(lookupsOn side: RatingLookups, rejects: RejectsFile, outcome: inout FileOutcome) throws -> (FileRead, FilePlan) {
        let lookups = side.store
        let book = UsageBook(store: lookups, catalog: session.catalog, businessZone: session.businessZone)
        // A line of a switch's CSV is about 200 bytes: a file of many more calls than one pass keeps goes in two.
        let expected = Int((CDRFileReader.expandedSize(path: job.path) ?? 0) / 200)
        guard expected <= FileAttempt.onePassCalls else { throw TwoPasses(reason: "about \(expected) calls") }
        let (session, job, start) = (session, job, outcome)
        let plan = try session.db.transaction {
            // The reading thread's state, built there and returned at the join.
            let reading = try CopyPipeline(session: session).copyRows(of: job.path, into: "cdrs") { emit, flush in
                // Separate variables, not one struct: the reading's callbacks change the pricing while it fills the outcome.
                var outcome = start, repeats = 0, read: FileRead?
                var pricing = ProvisionalPricing { key in
                    try book.load([key])
                    return book.basis(key)
                }
                var uuids = Set<Int>(minimumCapacity: expected), months = 0
                do {
                    try withoutActuallyEscaping(emit) { emit in try withoutActuallyEscaping(flush) { flush in
                        let along = FirstReading.AlongTheReading(store: lookups, room: { try book.room($0) }, each: { chunk, scan in
                            if scan.months.count > months {
                                if let missing = try side.partitions.firstMissing(months: scan.months) {
                                    throw TwoPasses(reason: "\(missing) has no partition yet")
                                }
                                months = scan.months.count
                            }
                            for c in chunk.calls {
                                if uuids.insert(c.record.key.hashValue).inserted {
                                    try emit(pricing.rate(c))
                                } else {
                                    repeats += 1
                                }
                            }
                            if uuids.count > FileAttempt.onePassCalls { throw TwoPasses(reason: "more than \(FileAttempt.onePassCalls) calls") }
                        }, parsed: flush)
                        read = try FirstReading(session: session, job: job, lookup: .sample, rejects: rejects, along: along)
                            .run(outcome: &outcome)
                    } }
                } catch let error as PostgresError {
                    // Every statement of this thread is a lookup on `side`; the run's connection is in COPY.
                    throw TwoPasses(reason: "a lookup failed: \(error)")
                }
                return OnePassReading(read: read, outcome: outcome, pricing: pricing, repeats: repeats)
            }
            session.step("one pass: COPY cdrs, after the reading")
            guard let read = reading.read else { preconditionFailure("the reading thread ended without its reading") }
            guard reading.repeats == read.scan.duplicates else {
                throw TwoPasses(reason: "two uuids share a hash: \(reading.repeats) lines left out, \(read.scan.duplicates) duplicates")
            }
            FailPoint.hit("rate:copied")
            var finished = reading.outcome
            finished.rejectsPath = try rejects.close()
            let own = planner.ownCallsToCheck(read, granted: Array(reading.pricing.grants.values))
            let plan = try planner.lockAndPlan(read, own: Set(own.map(\.charge.key)))
            try FileCommit(session: session).finish(read, plan, changed: planner.ownCalls(own, plan, storedAs: reading.pricing),
                                                    outcome: &finished)
            return (read, plan, finished)
        }
        outcome = plan.2
        return (plan.0, plan.1)
    }

    /// What the one pass's reading thread builds: the first reading, the
    /// outcome's counts, the pricing as read, and the lines left out as
    /// repeats of an earlier line's uuid (hash). Returned at the join.
    private struct OnePassReading {
        var read: FileRead?
        var outcome: FileOutcome
        var pricing: ProvisionalPricing
        var repeats: Int
    }
}
