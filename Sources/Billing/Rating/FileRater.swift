import Foundation
import Postgres
import CDRIngest
import Reports

/// One file of a run, from its hash to its outcome: claimed (`FileClaim`),
/// checked against the ledger, attempted as the retry policy says, and
/// recorded as failed when it fails. Never throws.
///
/// Memory does not hold the file's calls: the first reading finds
/// duplicates, usage and the charged calls that can hold included minutes.
/// In the file's transaction the calls are rated against a provisional
/// allocation and streamed to COPY, side by side with other runs: as they
/// are read (one pass), or from a log on disk the first reading wrote (two
/// passes). Then the usage rows the file touches are locked in one order,
/// allocation is made again against them as they are now, and the commit
/// prices again the few own calls it changed, re-prices stored calls,
/// writes usage, balances and the ledger (`FileAttempt`).
///
/// A file another run is rating is left to it; one a run that is gone still
/// holds is taken over. If some of its calls turn out stored (by another
/// run meanwhile, or missed by the sampled lookup) or the database broke a
/// deadlock, the file rolls back and is rated again from the start.
struct FileRater {
    let session: RatingSession

    /// The file's outcome, and the report's tallies when it was rated.
    func rate(_ path: RawPath) -> (FileOutcome, [String: CallTally]?) {
        let (db, locks, stop) = (session.db, session.locks, session.environment.stop)
        var outcome = FileOutcome(path: path.shown, status: .rated)
        var fileDigest: String?
        do {
            let (digest, size) = try CDRFileReader.sha256(path: path) { try stop?.check(file: nil) }
            fileDigest = digest
            outcome.sha256 = digest
            // A switch may have made the file and not written it yet: it stays, and is never a ledger entry
            // (else every later empty file would be "already rated", and archived before it is written).
            guard size > 0 else {
                outcome.status = .empty
                outcome.message = "empty (0 bytes), left for a later run"
                return (outcome, nil)
            }
            if !session.dryRun {
                guard try claim(path, digest) else { return (try unclaimed(outcome, digest: digest), nil) }
            }
            defer { if !session.dryRun { locks.releaseFile(sha256: digest) } }
            FailPoint.stall("rate:claimed", db)
            if let known = try known(digest) {
                outcome.status = known.status
                outcome.message = known.message
                return (outcome, nil)
            }
            return try attempts(FileJob(path: path, digest: digest, size: size, started: Date()))
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
            if !session.dryRun, stop?.signal == nil, db.isConnected, let digest = fileDigest {
                recordFailure(outcome, path: path, digest: digest)
            }
        }
        return (outcome, nil)
    }

    /// A file this run rated already, or the ledger knows as rated, partial or accepted: not rated again.
    private func known(_ digest: String) throws -> (status: FileOutcome.Status, message: String)? {
        FileRater.skipping(session.seen.digests.contains(digest) ? .rated : try session.ledger.verdict(sha256: digest), digest: digest)
    }

    /// What the ledger's word on a file's content makes of the file: nil
    /// when it is to be rated (new, or failed before: nothing of it stored).
    static func skipping(_ verdict: LedgerVerdict?, digest: String) -> (status: FileOutcome.Status, message: String)? {
        switch verdict {
        case .rated?:
            return (.already_rated, "a file with the same content (sha256 \(digest.prefix(12))) is already rated")
        case let .accepted(by)?:
            return (.already_rated, "it ends early, and was accepted by \(by) as final (files accept): the lines before the damage are stored")
        case .partial?:
            return (.incomplete, "this file was rated before and ends early (truncated or corrupt): the lines before "
                + "the damage are stored; put the complete file in its place and run again")
        case .failed?, nil:
            return nil
        }
    }

    /// The file's attempts, as `RetryPolicy` says.
    private func attempts(_ first: FileJob) throws -> (FileOutcome, [String: CallTally]?) {
        let (locks, logger) = (session.locks, session.logger)
        var policy = RetryPolicy(dryRun: session.dryRun, singlePass: session.options.tuning.singlePass)
        while true {
            let alone = policy.alone
            do {
                if !session.dryRun { try locks.enterGate(alone: alone) }
                defer { if !session.dryRun { locks.leaveGate(alone: alone) } }
                if policy.onePass, let side = session.lookups.get() {
                    do {
                        return try FileAttempt(session: session, job: first.restarted, lookup: policy.lookup).run(lookupsOn: side)
                    } catch let why as FileAttempt.TwoPasses {
                        logger.debug("\(first.path): rated in two passes: \(why.reason)")
                    }
                }
                return try FileAttempt(session: session, job: first.restarted, lookup: policy.lookup).run(lookupsOn: nil)
            } catch {
                guard let why = retry(after: error), policy.retry(after: why.retry) else { throw error }
                if let message = why.message { logger.info("\(first.path): \(message)") }
            }
        }
    }

    /// Whether an attempt's error is one another attempt may not meet, and what to say of it.
    private func retry(after error: Error) -> (retry: RetryPolicy.Retry, message: String?)? {
        switch error {
        case is FirstReading.StoredCallsSampled:
            return (.sampledCallStored, nil)
        case let e as PostgresError where session.db.isConnected && session.environment.stop?.signal == nil
            && (e.code == .uniqueViolation || e.code == .deadlockDetected):
            return (.conflict, (e.code == .deadlockDetected ? "a deadlock with another run"
                : "some of its calls are stored already (by another run meanwhile, or not in the sample looked up)")
                + "; rating it again, every call looked up")
        case let e as FilePlanner.RateAgain:
            return (.changedMeanwhile, "\(e.reason); rating it again")
        default:
            return nil
        }
    }

    /// Claims the file; a claim left by a run that is gone is taken over
    /// (its session ended), within --lock-wait or at least a few seconds.
    private func claim(_ path: RawPath, _ digest: String) throws -> Bool {
        let locks = session.locks
        if try locks.claimFile(sha256: digest) { return true }
        guard locks.endOrphans(try locks.fileHolders(sha256: digest), what: path.shown, logger: session.logger) else {
            return false
        }
        let deadline = Date().addingTimeInterval(max(session.options.lock.wait, 5))
        repeat {
            if try locks.claimFile(sha256: digest) { return true }
            usleep(100_000)
            try session.environment.stop?.check(file: nil)
        } while Date() < deadline
        return false
    }

    /// The outcome of a file whose claim another session holds.
    private func unclaimed(_ outcome: FileOutcome, digest: String) throws -> FileOutcome {
        FileRater.unclaimed(outcome, holders: try session.locks.fileHolders(sha256: digest))
    }

    /// A file whose claim `holders` hold: left to a run that is rating it,
    /// or failed when its holder is gone (never reported as in hand: nobody
    /// is rating it).
    static func unclaimed(_ outcome: FileOutcome, holders: [LockHolder]) -> FileOutcome {
        var outcome = outcome
        if let gone = holders.first(where: \.isGone) {
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

    /// Keeps a failed file in the ledger, so that `files` and later runs know
    /// of it; a ledger that cannot be written (the database is gone) is left be.
    private func recordFailure(_ o: FileOutcome, path: RawPath, digest: String) {
        let entry = LedgerEntry(fileName: path.name, path: path.shown, size: fileSize(path), sha256: digest, layout: nil,
                                status: "failed", rejectsPath: o.rejectsPath, error: o.message, started: Date())
        _ = try? session.ledger.record(entry)
    }
}

extension FileJob {
    /// The same file, its attempt starting now (the ledger's started_at).
    var restarted: FileJob { FileJob(path: path, digest: digest, size: size, started: Date()) }
}
