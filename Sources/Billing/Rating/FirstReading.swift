import Foundation
import Logging
import RatingRules
import CDRIngest
import Reports

/// The first reading of a file: duplicates, usage, the charged calls that
/// can hold included minutes, the rejected lines; and, for the second pass,
/// the call log, unless the calls go to COPY as they are read (`along`).
/// The three ways a file is rated compose it: two passes with a call log,
/// one pass with `along`, a dry run with neither and no rejects file.
struct FirstReading {
    let session: RatingSession
    let job: FileJob
    let lookup: Lookup
    let rejects: RejectsFile?
    var along: AlongTheReading?

    /// What the single pass does besides the first reading's own work: the
    /// chunk's calls go to COPY as it is read (`each`, after the scan took
    /// them), and the last is sent before the reading ends (`parsed`). Its
    /// lookups go to a connection of their own (the run's is in COPY).
    struct AlongTheReading {
        let store: BillingStore
        let room: (UsageKey) throws -> Int
        let each: (ParsedChunk, FileScan) throws -> Void
        let parsed: () throws -> Void
    }

    /// A sampled uuid is stored already: the file is read again, every uuid looked up.
    struct StoredCallsSampled: Error {}

    /// Reads the file, filling the outcome's counts.
    func run(outcome: inout FileOutcome) throws -> FileRead {
        let (options, environment, path, step) = (session.options, session.environment, job.path, session.step)
        step.restart()
        let lookups = along?.store ?? session.store
        // A row's room for the what-if too: proposed plans may include more minutes.
        let scan = FileScan(businessZone: session.businessZone, runLength: options.tuning.sortRunCalls,
                            room: along?.room ?? { [usage = session.usage, whatIf = session.whatIf] key in
            max(try usage.room(key), try whatIf?.room(key) ?? 0)
        })
        let calls = options.dryRun || along != nil ? nil : try CallLog()
        // A what-if with proposed tariffs prices the same calls by them, apart; its duplicates are the scan's.
        let proposed = session.whatIfClassifier.map { _ in
            FileScan(businessZone: session.businessZone, runLength: options.tuning.sortRunCalls,
                     room: { [usage = session.usage, whatIf = session.whatIf] key in max(try usage.room(key), try whatIf?.room(key) ?? 0) })
        }
        func read(_ alreadyStored: ([ClassifiedCall]) throws -> Set<CDRKey>) throws -> FileParser.FileEnd {
          try session.parser.parse(path: path) { chunk in
            try environment.stop?.check(file: path.shown)
            if along != nil {
                environment.progress?.readInOnePass(bytes: chunk.bytesRead, lines: chunk.lineCount)
            } else {
                environment.progress?.read(bytes: chunk.bytesRead, lines: chunk.lineCount, second: false)
            }
            var found: Set<CDRKey> = []
            try scan.take(chunk.calls) { calls in found = try alreadyStored(calls); return found }
            if let proposed, let classifier = session.whatIfClassifier {
                try proposed.take(chunk.calls.map { classifier.classify($0.record) }) { _ in found }
            }
            calls?.append(chunk)
            try along?.each(chunk, scan)
            // After `each`: a file the one pass gives up on at its first chunk (a backfill) logs its rejects once.
            for r in chunk.rejects {
                scan.rejected += 1
                if scan.rejected <= 10 { session.logger.info("\(path):\(r.lineNumber): rejected: \(r.reason)") }
                try rejects?.append(r)
            }
          }
        }
        // A dry run looks every uuid up; off the reading's thread when a second connection can be had; and
        // not at all when the run's snapshot holds no stored call (nor then opens the second connection: its
        // connecting and the lookups' setup were some 10-20 ms of a dry run's wall time before the first line).
        let dryLookups = options.dryRun && lookup == .every && along == nil
        let nothingStored = dryLookups ? try session.db.snapshotHoldsNoCalls() : false
        let background = dryLookups && !nothingStored
            ? session.lookups.get().flatMap { SnapshotLookups.start(run: session.db, side: $0) } : nil
        let (end, stored): (FileParser.FileEnd, Set<CDRKey>)
        if nothingStored {
            (end, stored) = (try read { _ in [] }, [])
        } else if let background {
            (end, stored) = try background.around { lookUp in try read { calls in try lookUp { calls.map(\.record.uuid) }; return [] } }
        } else {
            (end, stored) = (try read { calls in
                guard lookup == .sample else { return try lookups.storedUUIDs(calls.map(\.record.uuid)) }
                let sample = stride(from: 0, to: calls.count, by: Lookup.sampleEvery).map { calls[$0].record.uuid }
                if try !lookups.storedUUIDs(sample).isEmpty { throw StoredCallsSampled() }
                return []
            }, [])
        }
        guard end.sha256 == nil || end.sha256 == job.digest else {
            throw BillingError("\(path) changed while it was being rated: rate it again once the switch has finished writing it")
        }
        try calls?.close()
        try along?.parsed()
        try scan.finish(seen: options.dryRun ? session.seen.uuids : nil, rememberSeen: session.seen.laterFiles, stored: stored)
        try proposed?.finish(seen: nil, stored: stored, known: scan.duplicateLines)
        if scan.rejected > 10 {
            let kept = rejects.map { $0.leftOut == 0 ? ", all in the rejects file"
                : ", the first \($0.count - $0.leftOut) in the rejects file (it stops at \(RejectsFile.maxBytes >> 20) MiB)" } ?? ""
            session.logger.info("\(path): \(scan.rejected - 10) more rejected lines\(kept)")
        }
        step("first reading: parse, classify, duplicates, usage")
        try judge(end, scan, outcome: &outcome)
        return FileRead(job: job, layout: end.layout, scan: scan, calls: calls, proposed: proposed)
    }

    /// The reading's counts into the outcome, and what the file is: not a
    /// CDR file, mostly not CDRs (both thrown: nothing of it is stored), or
    /// partial (it ends early; the whole lines before are rated).
    private func judge(_ end: FileParser.FileEnd, _ scan: FileScan, outcome: inout FileOutcome) throws {
        let options = session.options
        outcome.lines = end.lineCount
        outcome.rejected = scan.rejected
        outcome.duplicates = scan.duplicates
        outcome.stored = scan.stored
        outcome.unmatched = scan.unmatched
        if end.lineCount > 0 && scan.stored + scan.duplicates == 0 && end.streamError == nil {
            throw BillingError("not a CDR file: none of its \(end.lineCount) line(s) is a \(options.input.layout.map { $0.rawValue + " record" } ?? "FreeSWITCH or Asterisk record") "
                + "that could be read; it was left as it is")
        }
        if end.lineCount >= RatingRun.rejectShareMinLines,
           Double(scan.rejected) * 100 > options.effects.maxRejectShare * Double(end.lineCount) {
            // Nothing of it is stored; its rejects stay for a person to see what it is.
            throw MostlyNotCDRs(rejected: scan.rejected, lines: end.lineCount, share: options.effects.maxRejectShare,
                                rejectsPath: try rejects?.keep())
        }
        if let error = end.streamError {
            outcome.status = .partial
            outcome.message = "\(error); the \(end.lineCount) whole lines before it were read"
        }
    }
}

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
