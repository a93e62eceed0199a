import Foundation
import Logging
import Postgres
import RatingCore

/// What `cdr-rater rate` was asked to do.
public struct RatingOptions {
    public var paths: [String]
    public var dryRun = false
    public var workers = 2
    public var chunkLines = 8192
    /// A file whose calls all fall in one month without a partition yet is loaded into a fresh table (`Partitions.bulkLoad`).
    public var bulkLoad = true
    /// Calls sorted in memory before the first reading writes a run to disk (`FileScan.runLength`).
    public var sortRunCalls = FileScan.runLength
    public var switchZone: ZoneRules
    public var layout: CDRLayout?
    public var rejectsDirectory = "rejects"
    /// What-if (with dryRun): plans' included minutes and rates replaced by these.
    public var proposedPlans: [ProposedPlan]?
    /// Seconds to wait for another run's rating lock before giving up (exit 75).
    public var lockWait: Double = 0
    /// Set by SIGINT/SIGTERM: the file in progress rolls back and the run stops.
    public var stop: StopRequest?
    /// Rate a file in one pass where it can (`RatingRun.inOnePass`) rather than read it twice.
    public var singlePass = true
    /// Opens another connection to the database: the single pass's lookups
    /// go to it while the run's own is in COPY. nil: every file in two passes.
    public var connect: (() throws -> Connection)?
    /// Where each file goes once its rating committed (or once it is found already rated).
    public var archiveDirectory: String?
    /// Files modified more recently than this many seconds are left for a later run.
    public var minAge: Double = 0
    /// Kept up to date for a live progress line.
    public var progress: RunProgress?
    /// Percent of a file's lines that may be rejected before it fails as "mostly not CDRs"
    /// (from `RatingRun.rejectShareMinLines` lines on).
    public var maxRejectShare: Double = 50

    public init(paths: [String], switchZone: ZoneRules) {
        self.paths = paths
        self.switchZone = switchZone
    }
}

/// Rates CDR files into the database, one transaction per file: the file's
/// cdrs rows (COPY), its usage rows, prepaid balances and its ledger entry
/// commit together or not at all.
///
/// Files are rated in path order, so a run's result does not depend on the
/// order they were named in. Runs hold the rating lock (`RunLock`) together,
/// and the database keeps them apart file by file and usage row by usage row,
/// so several rate the same inbox at once; a dry run reads one read-only
/// snapshot and writes nothing.
public final class RatingRun {
    let db: Connection
    let options: RatingOptions
    let logger: Logger
    private let store: BillingStore
    /// The run's report so far: what committed before a run stopped or failed as a whole.
    public private(set) var report: RunReport?
    private var catalog: Catalog!
    private var businessZone: ZoneRules!
    private var usage: UsageBook!
    /// The what-if book (dry run with --plans): the proposed plans' view of the same periods.
    private var whatIf: UsageBook?
    /// Fingerprints and uuids rated earlier in this run: in a dry run the
    /// database never sees them, so duplicates across files are caught here.
    private var runDigests = Set<String>()
    private lazy var runUUIDs = SeenKeys(directory: FileManager.default.temporaryDirectory)

    /// What the run did is logged at info level, what needs a person (a file
    /// failed, cut short or incomplete) at warning, each step's time at debug.
    public init(db: Connection, options: RatingOptions, logger: Logger) {
        self.db = db
        self.options = options
        self.logger = logger
        store = PostgresBillingStore(db: db)
    }

    /// The files a run rates (`Inbox`), as shown: absolute (so that
    /// `./b.csv a.csv` and `b.csv a.csv` rate in the same order), sorted, each once.
    public static func inputFiles(_ paths: [String]) throws -> [String] {
        try Inbox(paths).files.map(\.shown)
    }

    public func run() throws -> RunReport {
        let started = Date()
        var report = RunReport(dryRun: options.dryRun)
        defer { self.report = report }
        let inbox = try Inbox(options.paths)
        if options.dryRun {
            try db.execute(script: "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        } else {
            report.lockWaitSeconds = try RunLock.acquire(db, .shared, wait: options.lockWait, command: "rate", logger: logger, stop: options.stop)
        }
        defer {
            if options.dryRun { _ = try? db.execute(script: "ROLLBACK") } else { RunLock.release(db, .shared) }
        }
        let context = try CatalogLoader.context(db)
        catalog = context.catalog
        businessZone = context.businessZone
        usage = UsageBook(store: store, catalog: catalog, businessZone: context.businessZone)
        if let proposed = options.proposedPlans {
            whatIf = UsageBook(store: store, catalog: try CatalogLoader.proposing(proposed, in: catalog),
                               businessZone: context.businessZone, everyCall: true)
        }
        let classifier = CallClassifier(catalog: catalog, businessZone: context.businessZone)
        let parser = FileParser(layout: options.layout, switchZone: options.switchZone, classifier: classifier,
                                workers: options.workers, chunkLines: options.chunkLines)
        options.stop?.watch(db)
        let eligible = inbox.files.filter { path in
            guard options.minAge > 0, let modified = modificationAge(path), modified < options.minAge else { return true }
            logger.info("\(path): modified \(Int(modified)) s ago, less than --min-age \(Int(options.minAge)) s: left for a later run")
            return false
        }
        options.progress?.begin(files: eligible, dryRun: options.dryRun)
        for (path, reason) in inbox.skipped {
            var outcome = FileOutcome(path: path.shown, status: .skipped)
            outcome.message = reason
            report.files.append(outcome)
            logger.warning("\(summaryLine(outcome))")
        }
        if !options.dryRun {
            try RejectsFile.checkWritable(options.rejectsDirectory)
            // By file name (it holds the CDR file's name and sha256 prefix), whichever spelling of the folder the run used.
            try RejectsFile.repair(options.rejectsDirectory) { target in
                let name = (target as NSString).lastPathComponent
                return try db.query("SELECT 1 FROM cdr_files WHERE rejects_path = $1 OR right(rejects_path, length($1) + 1) = '/' || $1",
                                    [name]).rows.count > 0
            }
        }
        for path in eligible {
            try options.stop?.check(file: nil)
            var info = stat()
            guard path.withCString({ lstat($0, &info) }) == 0 else {
                logger.info("\(path): no longer there: moved since this run listed it (archived by another run, or as the target of a link archived before it); nothing to do")
                continue
            }
            let fileStarted = Date()
            options.progress?.startFile(path.name)
            var outcome = rateFile(path, parser: parser, report: &report)
            options.progress?.finishFile(size: fileSize(path))
            if options.stop?.signal != nil {
                let committed = outcome.status == .rated || outcome.status == .partial
                if committed || outcome.status == .already_rated { report.files.append(outcome) }
                try options.stop?.check(file: committed ? nil : path.shown)
            }
            if !db.isConnected {
                throw BillingError("lost the connection to the database while rating \(path): \(outcome.message ?? "")"
                    + "; files before it are committed. Run again once the database is back")
            }
            outcome.seconds = Date().timeIntervalSince(fileStarted)
            if let archive = options.archiveDirectory, !options.dryRun, outcome.status == .rated || outcome.status == .already_rated {
                do { outcome.archivedTo = try archiveFile(path, into: archive) } catch {
                    logger.warning("\(path): rated, but \(error)")
                }
            }
            report.files.append(outcome)
            // A file that needs a person is a warning (--quiet still prints it); the rest is information.
            switch outcome.status {
            case .failed, .partial, .incomplete, .skipped: logger.warning("\(summaryLine(outcome))")
            case .rated, .already_rated, .busy, .empty: logger.info("\(summaryLine(outcome))")
            }
        }
        report.seconds = Date().timeIntervalSince(started) - report.lockWaitSeconds
        return report
    }

    /// What the first reading of a file found.
    private struct FileRead {
        let path: RawPath
        let digest: String
        let size: Int64
        let layout: CDRLayout?
        let scan: FileScan
        /// The calls as read, for the second pass (nil in a dry run and in one pass, which have none).
        let calls: CallLog?
    }

    /// The allocation planned from a file's first reading.
    private struct FilePlan {
        let allocation: AllocationPlan
        let usage: [UsageWrite]
        /// Stored calls re-priced because the file brings earlier calls.
        let repriced: [CallChange]
    }

    /// Rates one file and commits it, or says why not; never throws.
    ///
    /// Memory does not hold the file's calls: the first reading (`read`)
    /// finds duplicates, usage and the charged calls that can hold included
    /// minutes. In the file's transaction the calls are rated against a
    /// provisional allocation and streamed to COPY, side by side with other
    /// runs: as they are read (`inOnePass`), or from a log on disk the first
    /// reading wrote (`inTwoPasses`). Then the usage rows the file touches
    /// are locked in one order, allocation is made again against them as
    /// they are now, and `finish` prices again the few own calls it changed,
    /// re-prices stored calls, writes usage, balances and the ledger.
    ///
    /// The file is claimed first (`FileClaim`): a file another run is rating
    /// is left to it. If some of its calls turn out stored (by another run
    /// meanwhile, or missed by the sampled lookup) or the database broke a
    /// deadlock, the file rolls back and is rated again from the start.
    private func rateFile(_ path: RawPath, parser: FileParser, report: inout RunReport) -> FileOutcome {
        var outcome = FileOutcome(path: path.shown, status: .rated)
        var fileDigest: String?
        do {
            let (digest, size) = try CDRFileReader.sha256(path: path) { try options.stop?.check(file: nil) }
            fileDigest = digest
            outcome.sha256 = digest
            // A switch may have made the file and not written it yet: it stays, and is never a ledger entry
            // (else every later empty file would be "already rated", and archived before it is written).
            guard size > 0 else {
                outcome.status = .empty
                outcome.message = "empty (0 bytes), left for a later run"
                return outcome
            }
            if !options.dryRun {
                guard try claim(path, digest) else {
                    let holders = try FileClaim.holders(db, sha256: digest)
                    if let gone = holders.first(where: \.isGone) {
                        // Never reported as in hand: nobody is rating it.
                        outcome.status = .failed
                        outcome.message = "claimed by \(gone), which is gone, and its server session \(gone.backendPid) "
                            + "could not be ended; nothing from this file was stored. Run again, or end that session "
                            + "(SELECT pg_terminate_backend(\(gone.backendPid)))"
                    } else {
                        outcome.status = .busy
                        outcome.message = "\(holders.first.map(\.description) ?? "another run") is rating it now"
                    }
                    return outcome
                }
            }
            defer { if !options.dryRun { FileClaim.release(db, sha256: digest) } }
            FailPoint.stall("rate:claimed", db)
            switch try runDigests.contains(digest) ? "rated" : ledgerStatus(digest) {
            case "rated"?:
                outcome.status = .already_rated
                outcome.message = "a file with the same content (sha256 \(digest.prefix(12))) is already rated"
                return outcome
            case let accepted? where accepted.hasPrefix("accepted by "):
                outcome.status = .already_rated
                outcome.message = "it ends early, and was \(accepted) as final (files accept): the lines before the damage are stored"
                return outcome
            case "partial"?:
                outcome.status = .incomplete
                outcome.message = "this file was rated before and ends early (truncated or corrupt): the lines before "
                    + "the damage are stored; put the complete file in its place and run again"
                return outcome
            default: break // new, or failed before (nothing of it was stored): rate it
            }
            // The first attempt looks up a sample of the file's uuids before COPY (the unique index
            // of cdr_uuids catches any it missed); a sample found stored, or a retry, looks up every one.
            // From the third attempt on, the file holds the gate alone (`FileGate`): no other run
            // can store its calls between its lookup and its COPY.
            var lookup: Lookup = options.dryRun ? .every : .sample
            // The first attempt goes in one pass when it can; the others, in two.
            var onePass = !options.dryRun && options.singlePass
            for attempt in 1 ... RatingRun.attempts {
                let alone = attempt >= 3
                do {
                    if !options.dryRun { try FileGate.enter(db, alone: alone) }
                    defer { if !options.dryRun { FileGate.leave(db, alone: alone) } }
                    let side = onePass ? sideConnection() : nil
                    onePass = false
                    if let side {
                        do {
                            return try rateOnce(path, digest: digest, size: size, parser: parser, lookup: lookup, side: side, report: &report)
                        } catch let why as TwoPasses {
                            logger.debug("\(path): rated in two passes: \(why.reason)")
                        }
                    }
                    return try rateOnce(path, digest: digest, size: size, parser: parser, lookup: lookup, side: nil, report: &report)
                } catch is StoredCallsSampled {
                    lookup = .every
                } catch let error as PostgresError where attempt < RatingRun.attempts && db.isConnected && options.stop?.signal == nil
                    && (error.code == .uniqueViolation || error.code == .deadlockDetected) {
                    lookup = .every
                    logger.info("\(path): \(error.code == .deadlockDetected ? "a deadlock with another run" : "some of its calls are stored already (by another run meanwhile, or not in the sample looked up)"); rating it again, every call looked up")
                } catch let error as RateAgain where attempt < RatingRun.attempts {
                    lookup = .every
                    logger.info("\(path): \(error.reason); rating it again")
                }
            }
            fatalError("unreachable: the last attempt returns or throws")
        } catch let error as NotARegularFile {
            // Swapped in after the listing (`Inbox`): left alone as the listing would have.
            outcome = FileOutcome(path: path.shown, status: .skipped)
            outcome.message = "\(error.kind), not a regular file: skipped, never read"
        } catch {
            outcome = FileOutcome(path: path.shown, status: .failed)
            outcome.sha256 = fileDigest
            outcome.message = "\(error); nothing from this file was stored"
            outcome.rejectsPath = (error as? MostlyNotCDRs)?.rejectsPath
            // A stopped run or a lost connection is not the file's failure.
            if !options.dryRun, options.stop?.signal == nil, db.isConnected, let digest = fileDigest {
                recordFailure(outcome, path: path, digest: digest, started: Date())
            }
        }
        return outcome
    }

    /// Claims the file; a claim left by a run that is gone is taken over
    /// (its session ended), within --lock-wait or at least a few seconds.
    private func claim(_ path: RawPath, _ digest: String) throws -> Bool {
        if try FileClaim.take(db, sha256: digest) { return true }
        guard LockHolder.endOrphans(db, try FileClaim.holders(db, sha256: digest), what: path.shown, logger: logger) else { return false }
        let deadline = Date().addingTimeInterval(max(options.lockWait, 5))
        repeat {
            if try FileClaim.take(db, sha256: digest) { return true }
            usleep(100_000)
            try options.stop?.check(file: nil)
        } while Date() < deadline
        return false
    }

    /// Something another run changed meanwhile: the file is rated again from the start.
    private struct RateAgain: Error, CustomStringConvertible {
        let reason: String
        var description: String { reason + ": rate the file again" }
    }

    /// Times a file is rated from the start when concurrent runs got in its way.
    static let attempts = 4

    /// Which uuids the first reading looks up in cdr_uuids before COPY.
    /// Each lookup costs a random probe of an index that grows for years;
    /// most files hold no stored call, and the unique index catches any.
    enum Lookup {
        /// One call in `sampleEvery`: a file overlapping stored calls by more than a few lines is found out.
        case sample
        case every
    }
    static let sampleEvery = 64

    /// A sampled uuid is stored already: the file is read again, every uuid looked up.
    private struct StoredCallsSampled: Error {}

    /// One attempt at a file: read, planned, and in a full run stored in
    /// one transaction, in one pass when `side` is given (`inOnePass`), else
    /// in two (`inTwoPasses`).
    private func rateOnce(_ path: RawPath, digest: String, size: Int64, parser: FileParser, lookup: Lookup, side: Connection?,
                          report: inout RunReport) throws -> FileOutcome {
        let started = Date()
        var outcome = FileOutcome(path: path.shown, status: .rated)
        outcome.sha256 = digest
        let rejects = options.dryRun ? nil : RejectsFile(directory: options.rejectsDirectory, cdrName: path.name, digest: digest)
        var committed = false
        // A rejects file of a file that did not commit goes; one whose commit may have happened (put in
        // place failed, or the connection went during COMMIT) stays for the next run's repair.
        defer { if !committed && db.isConnected { rejects?.discard() } }
        let (read, plan): (FileRead, FilePlan)
        if let rejects {
            if let side {
                (read, plan) = try inOnePass(path, digest: digest, size: size, parser: parser, side: side, rejects: rejects,
                                             outcome: &outcome, started: started)
            } else {
                (read, plan) = try inTwoPasses(path, digest: digest, size: size, parser: parser, lookup: lookup, rejects: rejects,
                                               outcome: &outcome, started: started)
            }
            committed = true
            FailPoint.hit("rate:committed")
            do { try rejects.putInPlace() } catch {
                logger.warning("\(path): rated and committed, but \(error); the next run puts it in place")
            }
            step("usage, balances, ledger, commit")
        } else {
            read = try self.read(path, digest: digest, size: size, parser: parser, lookup: lookup, rejects: nil, outcome: &outcome)
            plan = try allocate(read)
            account(plan, read, outcome: &outcome) // a full run's `finish` does, before the ledger entry
        }
        tally(plan, read)
        usage.record(plan.usage, plan: plan.allocation)
        runDigests.insert(digest)
        if options.dryRun, let whatIf { try proposeAlternative(read, book: whatIf) }
        report.add(read.scan.tallies)
        return outcome
    }

    /// The first reading, then the file's transaction: the rows go in priced
    /// by a provisional plan, against the usage rows as committed now (other
    /// runs COPY at the same time), then `lockAndPlan` and `finish`.
    private func inTwoPasses(_ path: RawPath, digest: String, size: Int64, parser: FileParser, lookup: Lookup, rejects: RejectsFile,
                             outcome: inout FileOutcome, started: Date) throws -> (FileRead, FilePlan) {
        try checkTemporaryRoom(path)
        let read = try self.read(path, digest: digest, size: size, parser: parser, lookup: lookup, rejects: rejects, outcome: &outcome)
        outcome.rejectsPath = try rejects.close()
        let bulkMonth = try Partitions.prepare(db, months: read.scan.months, bulk: options.bulkLoad)
        let plan = try db.transaction {
            try usage.refresh(Set(read.scan.added.keys))
            let provisional = try allocate(read)
            let bulk = try bulkMonth.map { try Partitions.claimBulk(db, month: $0) } == true ? bulkMonth : nil
            try copy(read, provisional, bulkMonth: bulk)
            FailPoint.hit("rate:copied")
            let own = ownCallsToCheck(read)
            let plan = try lockAndPlan(read, own: Set(own.map(\.charge.key)))
            try finish(read, plan, changed: ownCalls(own, plan, storedAs: provisional.allocation.price),
                       outcome: &outcome, started: started)
            return plan
        }
        return (read, plan)
    }

    /// Fails a file in two passes before anything is read when the temporary
    /// folder (TMPDIR) has less room than its call log takes: about 200
    /// bytes a call (`CallLog`), about its lines' size decompressed
    /// (`CDRFileReader.expandedSize`), and a quarter more for the sorted runs
    /// of a large file (`CallSorter`, 48 bytes a call).
    private func checkTemporaryRoom(_ path: RawPath) throws {
        let folder = FileManager.default.temporaryDirectory.path
        var disk = statvfs()
        guard let expanded = CDRFileReader.expandedSize(path: path), statvfs(folder, &disk) == 0 else { return }
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
    /// go to `side`. Then `lockAndPlan` and `finish`, as in two passes.
    /// Whatever one pass does not handle (a month without a partition, a very
    /// large file, two uuids of one hash, its lookups failing) throws
    /// `TwoPasses` before anything commits.
    private func inOnePass(_ path: RawPath, digest: String, size: Int64, parser: FileParser, side: Connection, rejects: RejectsFile,
                           outcome: inout FileOutcome, started: Date) throws -> (FileRead, FilePlan) {
        let lookups = PostgresBillingStore(db: side)
        let book = UsageBook(store: lookups, catalog: catalog, businessZone: businessZone)
        /// What the reading thread leaves for this one, read once the COPY is over.
        final class Reading: @unchecked Sendable {
            var read: FileRead?
            var outcome: FileOutcome
            var pricing: ProvisionalPricing
            /// Lines left out as repeats of an earlier line's uuid (hash).
            var repeats = 0
            init(outcome: FileOutcome, pricing: ProvisionalPricing) { (self.outcome, self.pricing) = (outcome, pricing) }
        }
        let reading = Reading(outcome: outcome, pricing: ProvisionalPricing { key in
            try book.load([key])
            return book.basis(key)
        })
        // A line of a switch's CSV is about 200 bytes: a file of many more calls than one pass keeps goes in two.
        let expected = Int((CDRFileReader.expandedSize(path: path) ?? 0) / 200)
        guard expected <= RatingRun.onePassCalls else { throw TwoPasses(reason: "about \(expected) calls") }
        let plan = try db.transaction {
            try copyRows(of: path, into: "cdrs") { emit, flush in
                var uuids = Set<Int>(minimumCapacity: expected), months = 0
                do {
                    try withoutActuallyEscaping(emit) { emit in try withoutActuallyEscaping(flush) { flush in
                        let along = AlongTheReading(store: lookups, room: { try book.room($0) }, each: { chunk, scan in
                            if scan.months.count > months {
                                if let missing = try Partitions.firstMissing(side, months: scan.months) {
                                    throw TwoPasses(reason: "\(missing) has no partition yet")
                                }
                                months = scan.months.count
                            }
                            for c in chunk.calls {
                                if uuids.insert(CDRKey(c.record.uuid).hashValue).inserted {
                                    try emit(reading.pricing.rate(c))
                                } else {
                                    reading.repeats += 1
                                }
                            }
                            if uuids.count > RatingRun.onePassCalls { throw TwoPasses(reason: "more than \(RatingRun.onePassCalls) calls") }
                        }, parsed: flush)
                        reading.read = try self.read(path, digest: digest, size: size, parser: parser, lookup: .sample, rejects: rejects,
                                                along: along, outcome: &reading.outcome)
                    } }
                } catch let error as PostgresError {
                    // Every statement of this thread is a lookup on `side`; the run's connection is in COPY.
                    throw TwoPasses(reason: "a lookup failed: \(error)")
                }
            }
            step("one pass: COPY cdrs, after the reading")
            let read = reading.read!
            guard reading.repeats == read.scan.duplicates else {
                throw TwoPasses(reason: "two uuids share a hash: \(reading.repeats) lines left out, \(read.scan.duplicates) duplicates")
            }
            FailPoint.hit("rate:copied")
            reading.outcome.rejectsPath = try rejects.close()
            let pricing = reading.pricing
            let own = ownCallsToCheck(read, granted: Array(pricing.grants.values))
            let plan = try lockAndPlan(read, own: Set(own.map(\.charge.key)))
            try finish(read, plan, changed: ownCalls(own, plan, storedAs: { pricing.price($0, $1)! }),
                       outcome: &reading.outcome, started: started)
            return (read, plan)
        }
        outcome = reading.outcome
        return plan
    }

    /// Calls the single pass keeps one hash of each for: 8 bytes each, 32 MiB
    /// at most; a file with more (or that looks as if it had, by its size)
    /// is rated in two passes.
    static let onePassCalls = 3_000_000

    /// Why a file is rated in two passes after all; nothing of it was stored.
    private struct TwoPasses: Error { let reason: String }

    /// In the file's transaction, its calls stored: the usage rows it
    /// touches are locked, in one order, and read again (other runs may have
    /// rated the same periods meanwhile; `own`, the file's calls stored with
    /// included minutes or that may get some (`ownCallsToCheck`), are not their held calls); the
    /// final plan is made against them.
    private func lockAndPlan(_ read: FileRead, own: Set<CDRKey>) throws -> FilePlan {
        let keys = Set(read.scan.added.keys)
        try store.lockUsageRows(keys.sorted().map {
            ($0, usage.period($0).end, catalog.subscription(id: $0.subscriptionId)!.plan.includedMinutes)
        })
        try usage.refresh(keys, excluding: own)
        let plan = try allocate(read)
        step("usage rows locked, read, allocated again")
        return plan
    }

    /// Seconds since the file was last modified.
    private func modificationAge(_ path: RawPath) -> Double? {
        var info = stat()
        guard path.withCString({ stat($0, &info) }) == 0 else { return nil }
        return Date().timeIntervalSince1970 - (Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9)
    }

    /// Moves a committed (or already rated) file into the archive folder; a
    /// file of the same name already there gets a numbered name beside it.
    private func archiveFile(_ path: RawPath, into directory: String) throws -> String {
        do {
            return try Archive.move(path, into: directory).shown
        } catch {
            throw BillingError("\(error); it stays in the inbox and the next run moves it")
        }
    }

    /// Keeps a failed file in the ledger, so that `files` and later runs know
    /// of it; a ledger that cannot be written (the database is gone) is left be.
    private func recordFailure(_ o: FileOutcome, path: RawPath, digest: String, started: Date) {
        _ = try? db.query("""
            INSERT INTO cdr_files (file_name, path, size_bytes, sha256, status, lines, stored, unmatched, duplicates, rejected,
                charged_minutes, cost, rejects_path, error, started_at, finished_at)
            VALUES ($1, $2, $3, $4, 'failed', 0, 0, 0, 0, 0, 0, 0, $5, $6, to_timestamp($7), clock_timestamp())
            ON CONFLICT (sha256) DO UPDATE SET file_name = EXCLUDED.file_name, path = EXCLUDED.path, error = EXCLUDED.error,
                rejects_path = EXCLUDED.rejects_path, started_at = EXCLUDED.started_at, finished_at = EXCLUDED.finished_at,
                updated_at = now()
            WHERE cdr_files.status = 'failed'
            """, [path.name, path.shown, String(fileSize(path)), digest, o.rejectsPath, o.message, String(started.timeIntervalSince1970)])
    }

    private lazy var step = StepTimer(logger: logger)

    /// The single pass's connection for lookups (`inOnePass`), opened at
    /// its first use and again when lost; nil when it cannot be (the file
    /// goes in two passes).
    private func sideConnection() -> Connection? {
        if let side, side.isConnected { return side }
        side = nil
        guard let connect = options.connect else { return nil }
        do {
            let c = try connect()
            // A lookup never waits long for a lock (one that another run's new partition queues behind this
            // file's COPY would wait for ever), nor runs long (a stop request cancels the run's own
            // connection, not this one): the file goes in two passes instead.
            try c.execute(script: "SET lock_timeout = '2s'; SET statement_timeout = '30s'; SET application_name = 'cdr-rater lookups'")
            side = c
        } catch {
            logger.debug("no second connection for the single pass: \(error)")
        }
        return side
    }
    private var side: Connection?

    /// What the single pass does besides the first reading's own work: the
    /// chunk's calls go to COPY as it is read (`each`, after the scan took
    /// them), and the last is sent before the reading ends (`parsed`). Its
    /// lookups go to a connection of their own (the run's is in COPY).
    private struct AlongTheReading {
        let store: BillingStore
        let room: (UsageKey) throws -> Int
        let each: (ParsedChunk, FileScan) throws -> Void
        let parsed: () throws -> Void
    }

    /// The first reading: duplicates, usage, the charged calls that can hold
    /// included minutes; and the call log for the second pass, unless the
    /// calls go to COPY as they are read (`along`).
    private func read(_ path: RawPath, digest: String, size: Int64, parser: FileParser, lookup: Lookup, rejects: RejectsFile?,
                      along: AlongTheReading? = nil, outcome: inout FileOutcome) throws -> FileRead {
        step.restart()
        let lookups = along?.store ?? store
        // A row's room for the what-if too: proposed plans may include more minutes.
        let scan = FileScan(businessZone: businessZone, runLength: options.sortRunCalls, room: along?.room ?? { [usage, whatIf] key in
            max(try usage!.room(key), try whatIf?.room(key) ?? 0)
        })
        let calls = options.dryRun || along != nil ? nil : try CallLog()
        let end = try parser.parse(path: path) { chunk in
            try options.stop?.check(file: path.shown)
            if along != nil {
                options.progress?.readInOnePass(bytes: chunk.bytesRead, lines: chunk.lineCount)
            } else {
                options.progress?.read(bytes: chunk.bytesRead, lines: chunk.lineCount, second: false)
            }
            try scan.take(chunk.calls) { uuids in
                guard lookup == .sample else { return try lookups.storedUUIDs(uuids) }
                let sample = stride(from: 0, to: uuids.count, by: RatingRun.sampleEvery).map { uuids[$0] }
                if try !lookups.storedUUIDs(sample).isEmpty { throw StoredCallsSampled() }
                return []
            }
            calls?.append(chunk)
            try along?.each(chunk, scan)
            // After `each`: a file the one pass gives up on at its first chunk (a backfill) logs its rejects once.
            for r in chunk.rejects {
                scan.rejected += 1
                if scan.rejected <= 10 { logger.info("\(path):\(r.lineNumber): rejected: \(r.reason)") }
                try rejects?.append(r)
            }
        }
        guard end.sha256 == nil || end.sha256 == digest else {
            throw BillingError("\(path) changed while it was being rated: rate it again once the switch has finished writing it")
        }
        try calls?.close()
        try along?.parsed()
        try scan.finish(seen: options.dryRun ? runUUIDs : nil)
        if scan.rejected > 10 {
            let kept = rejects.map { $0.leftOut == 0 ? ", all in the rejects file"
                : ", the first \($0.count - $0.leftOut) in the rejects file (it stops at \(RejectsFile.maxBytes >> 20) MiB)" } ?? ""
            logger.info("\(path): \(scan.rejected - 10) more rejected lines\(kept)")
        }
        step("first reading: parse, classify, duplicates, usage")
        outcome.lines = end.lineCount
        outcome.rejected = scan.rejected
        outcome.duplicates = scan.duplicates
        outcome.stored = scan.stored
        outcome.unmatched = scan.unmatched
        if end.lineCount > 0 && scan.stored + scan.duplicates == 0 && end.streamError == nil {
            throw BillingError("not a CDR file: none of its \(end.lineCount) line(s) is a \(options.layout.map { $0.rawValue + " record" } ?? "FreeSWITCH or Asterisk record") "
                + "that could be read; it was left as it is")
        }
        if end.lineCount >= RatingRun.rejectShareMinLines,
           Double(scan.rejected) * 100 > options.maxRejectShare * Double(end.lineCount) {
            // Nothing of it is stored; its rejects stay for a person to see what it is.
            throw MostlyNotCDRs(rejected: scan.rejected, lines: end.lineCount, share: options.maxRejectShare,
                                rejectsPath: try rejects?.keep())
        }
        if let error = end.streamError {
            outcome.status = .partial
            outcome.message = "\(error); the \(end.lineCount) whole lines before it were read"
        }

        return FileRead(path: path, digest: digest, size: size, layout: end.layout, scan: scan, calls: calls)
    }

    /// A file of fewer lines is judged by "not a CDR file" alone (no line is a
    /// record), not by its share of rejects: two bad lines of three are a
    /// damaged small file, not a file that is something else.
    public static let rejectShareMinLines = 100

    /// More of a file's lines were rejected than `--max-reject-share` allows:
    /// it is something else (an export, a log), not CDRs with a few bad lines.
    struct MostlyNotCDRs: Error, CustomStringConvertible {
        let rejected: Int, lines: Int
        let share: Double
        /// Where its rejected lines were kept (nil in a dry run).
        let rejectsPath: String?

        var description: String {
            // Rounded down: a file not wholly rejected never reads 100.0%.
            let percent = String(format: "%.1f", (Double(rejected) * 1000 / Double(lines)).rounded(.down) / 10)
            return "mostly not CDRs: \(rejected) of its \(lines) lines (\(percent)%) were rejected, more than --max-reject-share "
                + "\(share == share.rounded() ? String(Int(share)) : String(share))%" + (rejectsPath.map { "; they are in \(escapedName($0.utf8))" } ?? "")
                + "; if it is a CDR file after all, rate it with a higher --max-reject-share"
        }
    }

    /// Minute allocation of a file's calls against its usage rows as the book has them.
    private func allocate(_ read: FileRead) throws -> FilePlan {
        let scan = read.scan
        try usage.load(Set(scan.added.keys))
        for (key, charges) in scan.charges where charges.laterCalls > 0 && usage.basis(key).room > charges.room {
            throw RateAgain(reason: "the included minutes of a usage row of subscription \(key.subscriptionId) changed while the file was read")
        }
        let allocation = MinuteAllocator.plan(scan.charges, basis: usage.basis)
        let repriced = allocation.repricings.flatMap { key, list in
            list.map { r in
                CallChange(uuid: r.before.uuid, start: r.before.start,
                           before: PricedCall(held: r.before, key: key), after: PricedCall(held: r.after, key: key), match: nil)
            }
        }.sorted { $0.uuid < $1.uuid }
        step("minute allocation")
        return FilePlan(allocation: allocation, usage: usage.writes(adding: scan.added, plan: allocation), repriced: repriced)
    }

    /// The report's minutes and cost per subscription, from a file's final plan (once).
    private func tally(_ plan: FilePlan, _ read: FileRead) {
        for (key, minutes) in plan.allocation.batch {
            let number = catalog.subscription(id: key.subscriptionId)!.number
            read.scan.tallies[number]!.includedMinutes += minutes.included
            read.scan.tallies[number]!.overageMinutes += minutes.overage
            read.scan.tallies[number]!.cost += minutes.cost
        }
    }

    /// A file's minutes and cost in its outcome (and ledger entry), from its final plan.
    private func account(_ plan: FilePlan, _ read: FileRead, outcome: inout FileOutcome) {
        outcome.repriced = plan.repriced.count
        outcome.repricedCost = plan.repriced.reduce(Money.zero) { $0 + $1.after.cost - $1.before.cost }
        outcome.cost = plan.allocation.batch.values.reduce(Money.zero) { $0 + $1.cost }
        outcome.chargedMinutes = read.scan.added.values.reduce(0) { $0 + $1.minutesUsed }
    }

    /// The file's own calls that can be stored with included minutes or
    /// get some from the final plan: the earliest of each usage row, and
    /// those given some as they were read (`granted`, besides those); every
    /// other is overage both as stored and in the final plan.
    private func ownCallsToCheck(_ read: FileRead, granted: [ProvisionalPricing.Grant] = []) -> [(key: UsageKey, charge: Charge)] {
        var calls = read.scan.charges.flatMap { key, charges in charges.earliest.map { (key: key, charge: $0) } }
        let earliest = Set(calls.map(\.charge.key))
        calls += granted.filter { !earliest.contains($0.charge.key) }.map { ($0.key, $0.charge) }
        return calls
    }

    /// Those of `calls` (`ownCallsToCheck`) whose split and price differ
    /// between how they were stored (`storedAs`) and the final plan.
    private func ownCalls(_ calls: [(key: UsageKey, charge: Charge)], _ final: FilePlan,
                          storedAs stored: (UsageKey, Charge) -> (included: Int, overage: Int, cost: Money)) -> [CallChange] {
        calls.compactMap { key, c -> CallChange? in
            let a = stored(key, c), b = final.allocation.price(key, c)
            guard a != b else { return nil }
            func priced(_ p: (included: Int, overage: Int, cost: Money)) -> PricedCall {
                PricedCall(subscriptionId: key.subscriptionId, cost: p.cost, periodStart: key.periodStart,
                           chargedMinutes: c.minutes, includedMinutes: p.included)
            }
            return CallChange(uuid: c.key.text, start: c.start, before: priced(a), after: priced(b), match: nil)
        }
    }

    /// In the file's transaction: the second pass, rated against `plan`,
    /// COPYed into cdrs, or with `bulkMonth` into a fresh table of that month (the backfill path).
    private func copy(_ read: FileRead, _ plan: FilePlan, bulkMonth: String?) throws {
        func copy(into table: String) throws {
            try copyCalls(read, plan: plan.allocation, into: table)
        }
        if let month = bulkMonth {
            logger.info("\(read.path): every call is of \(month), which has no partition yet: loading it into a fresh one (the backfill path)")
            try Partitions.bulkLoad(db, month: month, step: { self.step($0) }, load: copy)
        } else {
            try copy(into: "cdrs")
            step("second pass: COPY cdrs")
        }
    }

    /// In the file's transaction, its usage rows locked: the ledger entry,
    /// the file's own calls priced again where the final plan changed them,
    /// the re-pricing of stored calls, usage rows and balances.
    private func finish(_ read: FileRead, _ plan: FilePlan, changed own: [CallChange], outcome: inout FileOutcome,
                        started: Date) throws {
        account(plan, read, outcome: &outcome)
        let fileId = try recordInLedger(outcome, path: read.path, size: read.size, digest: read.digest, layout: read.layout,
                                        rejectsPath: outcome.rejectsPath, started: started)
        try store.apply(own, source: nil)
        step("\(own.count) own call(s) priced again")
        try store.apply(plan.repriced, source: .lateCall(fileId: fileId))
        step("\(plan.repriced.count) stored call(s) re-priced")
        try store.write(plan.usage)
        try FailPoint.fail("rate:before-commit")
        try options.stop?.check(file: read.path.shown) // a stop that came between statements still rolls the file back
        // The ledger's finished_at: the end of the file's work, not the start of its transaction.
        try db.query("UPDATE cdr_files SET finished_at = clock_timestamp() WHERE id = $1", [fileId])
    }

    /// What-if (dry run with --plans): the file's calls allocated again, under
    /// the proposed plans, after every stored call of their periods.
    private func proposeAlternative(_ read: FileRead, book: UsageBook) throws {
        let scan = read.scan
        try book.load(Set(scan.added.keys))
        let allocation = MinuteAllocator.plan(scan.charges, basis: book.basis, keepEveryCall: true)
        for (key, minutes) in allocation.batch {
            let number = catalog.subscription(id: key.subscriptionId)!.number
            scan.tallies[number]!.proposed.includedMinutes += minutes.included
            scan.tallies[number]!.proposed.overageMinutes += minutes.overage
            scan.tallies[number]!.proposed.cost += minutes.cost
        }
        book.record(book.writes(adding: scan.added, plan: allocation), plan: allocation)
    }

    /// Records the file in the ledger; returns its id, which the cost history refers to.
    private func recordInLedger(_ o: FileOutcome, path: RawPath, size: Int64, digest: String, layout: CDRLayout?,
                                rejectsPath: String?, started: Date) throws -> String {
        let id = try db.query("""
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
            """, [path.name, path.shown, String(size), digest, layout?.rawValue,
                  o.status.rawValue, String(o.lines), String(o.stored), String(o.unmatched),
                  String(o.duplicates), String(o.rejected), String(o.chargedMinutes), o.cost.description,
                  rejectsPath, o.message, String(started.timeIntervalSince1970)]).scalar
        guard let id else { throw BillingError("another run rated a file with the same content meanwhile") }
        return id
    }

    /// The ledger's status of a file with this content, nil when it has none.
    /// The ledger's word on a file's content: rated, partial or failed, or
    /// `accepted by WHO at WHEN` for a partial file an operator accepted as final.
    private func ledgerStatus(_ digest: String) throws -> String? {
        try db.query("""
            SELECT CASE WHEN accepted_at IS NULL THEN status
                        ELSE 'accepted by ' || accepted_by || ' at ' || to_char(accepted_at, 'YYYY-MM-DD HH24:MI:SS TZ') END
            FROM cdr_files WHERE sha256 = $1
            """, [digest]).scalar
    }

    /// The second pass: rates every call of the file's call log that is not
    /// a duplicate against the plan and COPYs it into `table`.
    private func copyCalls(_ read: FileRead, plan: AllocationPlan, into table: String) throws {
        let (calls, duplicates, progress) = (read.calls!, read.scan.duplicateLines, options.progress)
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
    private func copyRows(of path: RawPath, into table: String,
                          produce: @escaping (_ emit: (RatedCall) throws -> Void, _ flush: () throws -> Void) throws -> Void) throws {
        let batches = HandOff<(calls: [RatedCall], order: [Int])>(capacity: 1)
        let producer = DispatchGroup()
        final class Failure: @unchecked Sendable {
            private let lock = NSLock()
            private var first: Error?
            var error: Error? {
                get { lock.lock(); defer { lock.unlock() }; return first }
                set { lock.lock(); defer { lock.unlock() }; first = first ?? newValue }
            }
        }
        let failure = Failure()
        nonisolated(unsafe) let produce = produce // runs on the one thread below, while this one waits for its batches
        DispatchQueue.global().async(group: producer) {
            var batch: [RatedCall] = []
            func send() throws {
                guard !batch.isEmpty else { return }
                // Sorting the keys, not the rated calls: moving those costs more than rating them.
                let keys = batch.map { CDRKey($0.call.record.uuid) }
                guard batches.put((batch, batch.indices.sorted { keys[$0] < keys[$1] })) else { throw CancellationError() }
                batch = []
                batch.reserveCapacity(RatingRun.copyBatchRows)
            }
            var flushed = false
            do {
                try produce({ call in
                    precondition(!flushed, "a call emitted after the last batch was sent")
                    batch.append(call)
                    if batch.count >= RatingRun.copyBatchRows { try send() }
                }, {
                    try send()
                    flushed = true
                    batches.finish()
                })
                if !flushed { try send() }
            } catch {
                failure.error = error
            }
            if !flushed { batches.finish() }
        }
        defer {
            batches.cancel()
            producer.wait()
        }
        try db.copyIn(CDRRowEncoder.copyStatement(into: table)) { sink in
            var encoder = CDRRowEncoder(fileName: path.name)
            var row = BinaryCopyEncoder(capacity: 256 * 1024)
            row.append(BinaryCopyEncoder.header)
            while let batch = batches.take() {
                for i in batch.order {
                    encoder.encode(batch.calls[i], into: &row)
                    if row.buffer.count >= 256 * 1024 {
                        try sink.write(row.buffer)
                        row.clear()
                    }
                }
            }
            // Set before `finish` when `produce` failed before its last call.
            if let error = failure.error { throw error }
            row.append(BinaryCopyEncoder.trailer)
            try sink.write(row.buffer)
        }
        producer.wait()
        if let error = failure.error { throw error }
    }

    /// Rows sorted together before COPY; at most three batches are held (one rated, one handed over, one sent).
    static let copyBatchRows = 50_000

    private func summaryLine(_ o: FileOutcome) -> String {
        switch o.status {
        case .already_rated: return "\(o.path): already rated, skipped: \(o.message ?? "")"
        case .busy: return "\(o.path): left to another run: \(o.message ?? "")"
        case .empty, .skipped: return "\(o.path): \(o.message ?? "")"
        case .incomplete: return "\(o.path): STILL INCOMPLETE: \(o.message ?? "")"
        case .failed: return "\(o.path): FAILED: \(o.message ?? "")"
        case .rated, .partial:
            let (stored, repriced) = options.dryRun ? ("would be stored", "would be re-priced") : ("stored", "re-priced")
            var s = "\(o.path): lines \(o.lines) = \(stored) \(o.stored) (unmatched \(o.unmatched)) + duplicates \(o.duplicates) + rejected \(o.rejected)"
            if o.repriced > 0 { s += "; earlier than stored calls: \(o.repriced) stored call(s) \(repriced), cost \(o.repricedCost.signed)" }
            if options.dryRun { s += " (dry run, nothing written)" }
            if let m = o.message { s += "; PARTIAL: \(m)" }
            return s
        }
    }
}
