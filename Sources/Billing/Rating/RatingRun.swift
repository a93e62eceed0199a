import Foundation
import Logging
import Postgres
import CDRIngest
import Reports

/// Rates CDR files into the database, one transaction per file: the file's
/// cdrs rows (COPY), its usage rows, prepaid balances and its ledger entry
/// commit together or not at all.
///
/// The run loop: the run's scope (the shared rating lock, or a dry run's
/// read-only snapshot), its session (`RatingSession`), then each file in
/// path order (`FileRater`), so a run's result does not depend on the
/// order they were named in. Runs hold the rating lock together, and the
/// database keeps them apart file by file and usage row by usage row, so
/// several rate the same inbox at once.
public final class RatingRun {
    let backend: RatingBackend
    let options: RatingOptions
    let environment: RunEnvironment
    let logger: Logger
    /// The run's report so far: what committed before a run stopped or failed as a whole.
    public private(set) var report: RunReport?

    /// A file of fewer lines is judged by "not a CDR file" alone (no line is a
    /// record), not by its share of rejects: two bad lines of three are a
    /// damaged small file, not a file that is something else.
    public static let rejectShareMinLines = 100

    /// What the run did is logged at info level, what needs a person (a file
    /// failed, cut short or incomplete) at warning, each step's time at debug.
    public convenience init(db: Connection, options: RatingOptions, environment: RunEnvironment = RunEnvironment(), logger: Logger) {
        self.init(backend: .postgres(db, connect: environment.connect, logger: logger), options: options, environment: environment,
                  logger: logger)
    }

    /// A run against `backend` (an in-memory one in unit tests).
    init(backend: RatingBackend, options: RatingOptions, environment: RunEnvironment = RunEnvironment(), logger: Logger) {
        self.backend = backend
        self.options = options
        self.environment = environment
        self.logger = logger
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
        let inbox = try Inbox(options.input.paths)
        report.lockWaitSeconds = try RunScope.enter(backend, options: options, stop: environment.stop, logger: logger)
        defer { RunScope.leave(backend, dryRun: options.dryRun) }
        let session = try RatingSession(backend: backend, options: options, environment: environment, logger: logger)
        if let stop = environment.stop { backend.database.cancelOnStop(stop) }
        let eligible = inbox.files.filter { path in
            guard options.input.minAge > 0, let modified = modificationAge(path), modified < options.input.minAge else { return true }
            logger.info("\(path): modified \(Int(modified)) s ago, less than --min-age \(Int(options.input.minAge)) s: left for a later run")
            return false
        }
        environment.progress?.begin(files: eligible, dryRun: options.dryRun)
        for (path, reason) in inbox.skipped {
            var outcome = FileOutcome(path: path.shown, status: .skipped)
            outcome.message = reason
            report.files.append(outcome)
            logger.warning("\(outcome.summaryLine(dryRun: options.dryRun))")
        }
        if !options.dryRun {
            try RejectsFile.checkWritable(options.effects.rejectsDirectory)
            try RejectsFile.repair(options.effects.rejectsDirectory) { target in
                try session.ledger.holdsRejects(named: (target as NSString).lastPathComponent)
            }
        }
        for (index, path) in eligible.enumerated() {
            try environment.stop?.check(file: nil)
            session.seen.laterFiles = index < eligible.count - 1
            var info = stat()
            guard path.withCString({ lstat($0, &info) }) == 0 else {
                logger.info("\(path): no longer there: moved since this run listed it (archived by another run, or as the target of a link archived before it); nothing to do")
                continue
            }
            try rate(path, session, into: &report)
        }
        report.seconds = Date().timeIntervalSince(started) - report.lockWaitSeconds
        return report
    }

    /// Rates one file, stops the run if it was asked to or lost its
    /// connection, archives what committed, and logs the file's line.
    private func rate(_ path: RawPath, _ session: RatingSession, into report: inout RunReport) throws {
        let fileStarted = Date()
        environment.progress?.startFile(path.name)
        var (outcome, tallies) = FileRater(session: session).rate(path)
        if let tallies { report.add(tallies) }
        environment.progress?.finishFile(size: fileSize(path))
        if environment.stop?.signal != nil {
            let committed = outcome.status == .rated || outcome.status == .partial
            if committed || outcome.status == .already_rated { report.files.append(outcome) }
            try environment.stop?.check(file: committed ? nil : path.shown)
        }
        if !backend.database.isConnected {
            throw BillingError("lost the connection to the database while rating \(path): \(outcome.message ?? "")"
                + "; files before it are committed. Run again once the database is back")
        }
        outcome.seconds = Date().timeIntervalSince(fileStarted)
        if let archive = options.effects.archiveDirectory, !options.dryRun, outcome.status == .rated || outcome.status == .already_rated {
            do { outcome.archivedTo = try archiveFile(path, into: archive) } catch {
                logger.warning("\(path): rated, but \(error)")
            }
        }
        report.files.append(outcome)
        // A file that needs a person is a warning (--quiet still prints it); the rest is information.
        switch outcome.status {
        case .failed, .partial, .incomplete, .skipped: logger.warning("\(outcome.summaryLine(dryRun: options.dryRun))")
        case .rated, .already_rated, .busy, .empty: logger.info("\(outcome.summaryLine(dryRun: options.dryRun))")
        }
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
}

/// The run's hold on the database, entered and left in one place: the
/// rating lock, shared with other raters, for a full run; one read-only
/// snapshot (REPEATABLE READ READ ONLY) for a dry run, which takes no lock.
enum RunScope {
    /// Enters it; the seconds spent waiting for the lock.
    static func enter(_ backend: RatingBackend, options: RatingOptions, stop: StopRequest?, logger: Logger) throws -> Double {
        if options.dryRun {
            try backend.database.beginReadOnlySnapshot()
            return 0
        }
        return try backend.locks.acquireRatingLock(.shared, wait: options.lock.wait, command: "rate", logger: logger, stop: stop)
    }

    static func leave(_ backend: RatingBackend, dryRun: Bool) {
        if dryRun { backend.database.endReadOnlySnapshot() } else { backend.locks.releaseRatingLock(.shared) }
    }
}

extension FileOutcome {
    /// The file's line in the operator's log.
    func summaryLine(dryRun: Bool) -> String {
        switch status {
        case .already_rated: return "\(path): already rated, skipped: \(message ?? "")"
        case .busy: return "\(path): left to another run: \(message ?? "")"
        case .empty, .skipped: return "\(path): \(message ?? "")"
        case .incomplete: return "\(path): STILL INCOMPLETE: \(message ?? "")"
        case .failed: return "\(path): FAILED: \(message ?? "")"
        case .rated, .partial:
            let (stored, repriced) = dryRun ? ("would be stored", "would be re-priced") : ("stored", "re-priced")
            var s = "\(path): lines \(lines) = \(stored) \(self.stored) (unmatched \(unmatched)) + duplicates \(duplicates) + rejected \(rejected)"
            if self.repriced > 0 { s += "; earlier than stored calls: \(self.repriced) stored call(s) \(repriced), cost \(repricedCost.signed)" }
            if dryRun { s += " (dry run, nothing written)" }
            if let m = message { s += "; PARTIAL: \(m)" }
            return s
        }
    }
}
