import Foundation
import Postgres
import RatingCore

/// What `cdr-rater rate` was asked to do.
public struct RatingOptions {
    public var paths: [String]
    public var dryRun = false
    public var workers = 2
    public var chunkLines = 8192
    public var switchZone: ZoneRules
    public var layout: CDRLayout?
    public var rejectsDirectory = "rejects"

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
/// order they were named in. A run holds an advisory lock so two runs never
/// interleave; a dry run reads one read-only snapshot and writes nothing.
public final class RatingRun {
    static let lockKey: Int64 = 0x6364_7272_0003

    let db: Connection
    let options: RatingOptions
    let log: (String) -> Void
    /// CDR_RATER_TRACE=1 logs how long each step of a file took.
    let trace = ProcessInfo.processInfo.environment["CDR_RATER_TRACE"] == "1"
    private var catalog: Catalog!
    private var usage: UsageBook
    /// Fingerprints and uuids rated earlier in this run: in a dry run the
    /// database never sees them, so duplicates across files are caught here.
    private var runDigests = Set<String>()
    private var runUUIDs = Set<CDRKey>()

    public init(db: Connection, options: RatingOptions, log: @escaping (String) -> Void) {
        self.db = db
        self.options = options
        self.log = log
        usage = UsageBook(db: db)
    }

    /// Expands directories into their regular files (not hidden ones, not
    /// subfolders), sorted, each once.
    public static func inputFiles(_ paths: [String]) throws -> [String] {
        var files = Set<String>()
        for path in paths {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
                throw BillingError.usage("no such file or directory: \(path)")
            }
            if isDir.boolValue {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
                for name in names where !name.hasPrefix(".") {
                    let full = (path as NSString).appendingPathComponent(name)
                    var sub: ObjCBool = false
                    if FileManager.default.fileExists(atPath: full, isDirectory: &sub), !sub.boolValue {
                        files.insert(full)
                    }
                }
            } else {
                files.insert(path)
            }
        }
        // Absolute paths, so that `./b.csv a.csv` and `b.csv a.csv` rate in the same order.
        return Set(files.map { URL(fileURLWithPath: $0).standardizedFileURL.path }).sorted()
    }

    public func run() throws -> RunReport {
        let started = Date()
        var report = RunReport(dryRun: options.dryRun)
        let files = try RatingRun.inputFiles(options.paths)
        if options.dryRun {
            try db.execute(script: "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        } else {
            try db.query("SELECT pg_advisory_lock($1)", [String(RatingRun.lockKey)])
        }
        defer {
            if options.dryRun { _ = try? db.execute(script: "ROLLBACK") }
            else { _ = try? db.query("SELECT pg_advisory_unlock($1)", [String(RatingRun.lockKey)]) }
        }
        catalog = try CatalogLoader.load(db)
        let classifier = CallClassifier(catalog: catalog, businessZone: options.switchZone)
        let parser = FileParser(layout: options.layout, switchZone: options.switchZone, classifier: classifier,
                                workers: options.workers, chunkLines: options.chunkLines)
        for path in files {
            let outcome = rateFile(path, parser: parser, report: &report)
            report.files.append(outcome)
            log(summaryLine(outcome))
        }
        report.seconds = Date().timeIntervalSince(started)
        return report
    }

    /// Rates one file and commits it, or says why not; never throws.
    ///
    /// The file is read twice, so that memory does not hold its calls: the
    /// first reading finds duplicates, usage and the charged calls of each
    /// usage row, from which minute allocation plans where included minutes
    /// run out; the second reading rates every call against that plan and
    /// streams it to COPY.
    private func rateFile(_ path: String, parser: FileParser, report: inout RunReport) -> FileOutcome {
        let started = Date()
        var outcome = FileOutcome(path: path, status: .rated)
        var mark = Date()
        func step(_ name: String) {
            if trace { log("  \(name): \(String(format: "%.2f", Date().timeIntervalSince(mark))) s") }
            mark = Date()
        }
        var rejects: RejectsFile?
        defer { rejects?.discard() }
        do {
            let (digest, size) = try CDRFileReader.sha256(path: path)
            if try runDigests.contains(digest) || ledgerHas(digest) {
                outcome.status = .already_rated
                outcome.message = "a file with the same content (sha256 \(digest.prefix(12))) is already rated"
                return outcome
            }
            if !options.dryRun { rejects = RejectsFile(directory: options.rejectsDirectory, cdrPath: path, digest: digest) }

            var scan = FileScan()
            let end = try parser.parse(path: path) { chunk in
                for r in chunk.rejects {
                    scan.rejected += 1
                    if scan.rejected <= 10 { log("\(path):\(r.lineNumber): rejected: \(r.reason)") }
                    try rejects?.append(r)
                }
                try scan.take(chunk.calls) { uuids in
                    try storedUUIDs(uuids).union(options.dryRun && !runUUIDs.isEmpty ? uuids.map(CDRKey.init).filter { runUUIDs.contains($0) } : [])
                }
            }
            if scan.rejected > 10 {
                log("\(path): \(scan.rejected - 10) more rejected lines" + (options.dryRun ? "" : ", all in the rejects file"))
            }
            step("first reading: parse, classify, duplicates, usage")
            outcome.lines = end.lineCount
            outcome.rejected = scan.rejected
            outcome.duplicates = scan.duplicates
            outcome.stored = scan.stored
            outcome.unmatched = scan.unmatched
            if let error = end.streamError {
                outcome.status = .partial
                outcome.message = "\(error); the \(end.lineCount) whole lines before it were read"
            }

            try usage.load(Set(scan.added.keys))
            let plan = MinuteAllocator.plan(scan.charges, included: { self.catalog.subscription(id: $0.subscriptionId)!.plan.includedMinutes },
                                            alreadyUsed: { self.usage.totals($0).minutesUsed })
            scan.charges = [:]
            var cost = Money.zero
            for (key, minutes) in plan.totals {
                let sub = catalog.subscription(id: key.subscriptionId)!
                let overageCost = sub.plan.overageRatePerMinute.times(minutes.overage)
                scan.tallies[sub.number]!.includedMinutes += minutes.included
                scan.tallies[sub.number]!.overageMinutes += minutes.overage
                scan.tallies[sub.number]!.cost += overageCost
                cost += overageCost
            }
            step("minute allocation")

            if !options.dryRun {
                scan.uuids = [] // the second reading needs only the duplicate lines
                let rejectsPath = try rejects?.finish()
                try db.transaction {
                    try copyCalls(path, parser: parser, plan: plan, skipping: scan.duplicateLines,
                                  expected: (end.lineCount, digest))
                    step("second reading and COPY cdrs")
                    try writeUsage(scan.added)
                    try recordInLedger(outcome, path: path, size: size, digest: digest, layout: end.layout,
                                       chargedMinutes: scan.added.values.reduce(0) { $0 + $1.minutesUsed }, cost: cost,
                                       rejectsPath: rejectsPath, started: started)
                }
                step("usage, balances, ledger, commit")
            }
            usage.add(scan.added)
            runDigests.insert(digest)
            if options.dryRun {
                if runUUIDs.isEmpty { runUUIDs = scan.uuids } else { runUUIDs.formUnion(scan.uuids) } // the first file's set, not a copy
            }
            report.add(scan.tallies)
        } catch {
            outcome = FileOutcome(path: path, status: .failed)
            outcome.message = "\(error); nothing from this file was stored"
        }
        return outcome
    }

    private func recordInLedger(_ o: FileOutcome, path: String, size: Int64, digest: String, layout: CDRLayout?,
                                chargedMinutes: Int, cost: Money, rejectsPath: String?, started: Date) throws {
        try db.query("""
            INSERT INTO cdr_files (file_name, path, size_bytes, sha256, layout, status, lines, stored, unmatched,
                duplicates, rejected, charged_minutes, cost, rejects_path, error, started_at, finished_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, to_timestamp($16), now())
            """, [(path as NSString).lastPathComponent, path, String(size), digest, layout?.rawValue,
                  o.status.rawValue, String(o.lines), String(o.stored), String(o.unmatched),
                  String(o.duplicates), String(o.rejected), String(chargedMinutes), cost.description,
                  rejectsPath, o.message, String(started.timeIntervalSince1970)])
    }

    private func ledgerHas(_ digest: String) throws -> Bool {
        try db.query("SELECT 1 FROM cdr_files WHERE sha256 = $1", [digest]).rows.count > 0
    }

    /// The uuids among `uuids` that `cdrs` already holds.
    private func storedUUIDs(_ uuids: [String]) throws -> Set<CDRKey> {
        var found = Set<CDRKey>()
        var start = 0
        while start < uuids.count {
            let batch = uuids[start ..< min(start + 5000, uuids.count)]
            start += batch.count
            for row in try db.query("SELECT uuid FROM cdrs WHERE uuid = ANY($1::text[])", [postgresArrayLiteral(batch)]).rows {
                found.insert(CDRKey(row[0]!))
            }
        }
        return found
    }

    /// The second reading: rates every call that is not a duplicate against
    /// the plan and COPYs it into `cdrs`. A second thread reads, rates and
    /// encodes while this one sends; rows go in uuid order within batches, so
    /// the unique index on random uuids fills page by page rather than at random.
    private func copyCalls(_ path: String, parser: FileParser, plan: AllocationPlan, skipping duplicates: Set<Int>,
                           expected: (lines: Int, sha256: String)) throws {
        let pipe = BufferPipe(capacity: 8)
        let producer = DispatchGroup()
        final class Failure: @unchecked Sendable { var error: Error? }
        let failure = Failure()
        DispatchQueue.global().async(group: producer) {
            do {
                var encoder = CDRRowEncoder(fileName: (path as NSString).lastPathComponent)
                var batch: [RatedCall] = []
                var row = CopyEncoder(capacity: 256 * 1024)
                func send() throws {
                    batch.sort { bytewiseLess($0.call.record.uuid, $1.call.record.uuid) }
                    for r in batch {
                        encoder.encode(r, into: &row)
                        if row.buffer.count >= 256 * 1024 {
                            guard pipe.put(row.buffer) else { throw CancellationError() }
                            row.clear()
                        }
                    }
                    batch.removeAll(keepingCapacity: true)
                }
                let end = try parser.parse(path: path) { chunk in
                    for c in chunk.calls where !duplicates.contains(c.record.lineNumber) {
                        batch.append(MinuteAllocator.rate(c, plan))
                    }
                    if batch.count >= RatingRun.copyBatchRows { try send() }
                }
                try send()
                guard end.lineCount == expected.lines, end.sha256 == nil || end.sha256 == expected.sha256 else {
                    throw BillingError("\(path) changed while it was being rated: rate it again once the switch has finished writing it")
                }
                _ = pipe.put(row.buffer)
            } catch {
                failure.error = error
            }
            pipe.finish()
        }
        defer {
            pipe.cancel()
            producer.wait()
        }
        try db.copyIn(CDRRowEncoder.copyStatement) { sink in
            while let buffer = pipe.take() { try sink.write(buffer) }
            producer.wait()
            if let error = failure.error { throw error }
        }
    }

    /// Rows sorted together before COPY: bounds the second reading's memory.
    static let copyBatchRows = 100_000

    /// Upserts each touched usage row with its new totals and debits prepaid
    /// accounts by the growth of their rounded overage cost.
    private func writeUsage(_ added: [UsageKey: UsageTotals]) throws {
        var debits: [String: Money] = [:]
        for key in added.keys.sorted() {
            guard let sub = catalog.subscription(id: key.subscriptionId) else { continue }
            let before = usage.totals(key), after = before + added[key]!
            let period = UsagePeriod.containing(key.periodStart, anchor: sub.start, zone: options.switchZone)
            let included = sub.plan.includedMinutes
            try db.query("""
                INSERT INTO subscription_usage (subscription_id, billing_period_start, billing_period_end, minutes_included,
                    minutes_used, minutes_overage, overage_cost, local_calls, std_calls, isd_calls, mobile_calls, metadata)
                VALUES ($1, to_timestamp($2), to_timestamp($3), $4, $5, $6, $7, $8, $9, $10, $11, jsonb_build_object('toll_free_calls', $12::int))
                ON CONFLICT (subscription_id, billing_period_start) DO UPDATE SET
                    minutes_included = EXCLUDED.minutes_included, minutes_used = EXCLUDED.minutes_used,
                    minutes_overage = EXCLUDED.minutes_overage, overage_cost = EXCLUDED.overage_cost,
                    local_calls = EXCLUDED.local_calls, std_calls = EXCLUDED.std_calls, isd_calls = EXCLUDED.isd_calls,
                    mobile_calls = EXCLUDED.mobile_calls,
                    metadata = coalesce(subscription_usage.metadata, '{}'::jsonb) || EXCLUDED.metadata,
                    updated_at = now()
                """, [sub.id, String(period.start), String(period.end), String(included), String(after.minutesUsed),
                      String(after.minutesOverage(included: included)), after.overageCost(plan: sub.plan).formatted(decimals: 2),
                      String(after.localCalls), String(after.stdCalls), String(after.isdCalls), String(after.mobileCalls),
                      String(after.tollFreeCalls)])
            if sub.accountType == .prepaid {
                debits[sub.accountId, default: .zero] += after.overageCost(plan: sub.plan) - before.overageCost(plan: sub.plan)
            }
        }
        for (account, amount) in debits.sorted(by: { $0.key < $1.key }) where amount != .zero {
            try db.query("UPDATE accounts SET balance = balance - $1::numeric, updated_at = now() WHERE id = $2 AND account_type = 'prepaid'",
                         [amount.formatted(decimals: 2), account])
        }
    }

    private func summaryLine(_ o: FileOutcome) -> String {
        switch o.status {
        case .already_rated: return "\(o.path): already rated, skipped: \(o.message ?? "")"
        case .failed: return "\(o.path): FAILED: \(o.message ?? "")"
        case .rated, .partial:
            var s = "\(o.path): lines \(o.lines) = stored \(o.stored) (unmatched \(o.unmatched)) + duplicates \(o.duplicates) + rejected \(o.rejected)"
            if options.dryRun { s += " (dry run, nothing written)" }
            if let m = o.message { s += "; PARTIAL: \(m)" }
            return s
        }
    }
}

/// A PostgreSQL text[] literal: `{"a","b"}`, quotes and backslashes escaped.
func postgresArrayLiteral<S: Sequence>(_ items: S) -> String where S.Element == String {
    var out = [UInt8]("{".utf8)
    for item in items {
        if out.count > 1 { out.append(UInt8(ascii: ",")) }
        out.append(UInt8(ascii: "\""))
        for b in item.utf8 {
            if b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") { out.append(UInt8(ascii: "\\")) }
            out.append(b)
        }
        out.append(UInt8(ascii: "\""))
    }
    out.append(UInt8(ascii: "}"))
    return String(decoding: out, as: UTF8.self)
}
