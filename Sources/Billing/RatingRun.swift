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
    private var runUUIDs = Set<String>()

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
        return files.sorted()
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
    private func rateFile(_ path: String, parser: FileParser, report: inout RunReport) -> FileOutcome {
        let started = Date()
        var outcome = FileOutcome(path: path, status: .rated)
        var mark = Date()
        func step(_ name: String) {
            if trace { log("  \(name): \(String(format: "%.2f", Date().timeIntervalSince(mark))) s") }
            mark = Date()
        }
        do {
            let (digest, size) = try CDRFileReader.sha256(path: path)
            if try runDigests.contains(digest) || ledgerHas(digest) {
                outcome.status = .already_rated
                outcome.message = "a file with the same content (sha256 \(digest.prefix(12))) is already rated"
                return outcome
            }
            var parsed = try parser.parse(path: path)
            step("read, parse and classify")
            outcome.lines = parsed.lineCount
            outcome.rejected = parsed.rejects.count
            if let error = parsed.streamError {
                outcome.status = .partial
                outcome.message = "\(error); the \(parsed.lineCount) whole lines before it were read"
            }
            reportRejects(path, parsed.rejects)

            let parsedCount = parsed.calls.count
            var fresh = try dropDuplicates(&parsed.calls)
            outcome.duplicates = parsedCount - fresh.count
            step("duplicate check")

            try usage.load(Set(fresh.compactMap { c in c.period.map { UsageKey(subscriptionId: c.subscription!.id, periodStart: $0.start) } }))
            let (rated, added) = MinuteAllocator.allocate(fresh) { self.usage.totals($0).minutesUsed }
            let freshUUIDs = options.dryRun ? fresh.map(\.record.uuid) : []
            fresh = []
            outcome.stored = rated.count
            outcome.unmatched = rated.reduce(0) { $0 + ($1.call.subscription == nil ? 1 : 0) }
            step("minute allocation")

            if !options.dryRun {
                let rejectsPath = try writeRejects(path, digest: digest, parsed.rejects)
                try db.transaction {
                    try copyCalls(rated, fileName: (path as NSString).lastPathComponent)
                    step("COPY cdrs")
                    try writeUsage(added)
                    try recordInLedger(outcome, path: path, size: size, digest: digest, layout: parsed.layout,
                                       rated: rated, rejectsPath: rejectsPath, started: started)
                }
                step("usage, balances, ledger, commit")
            }
            usage.add(added)
            runDigests.insert(digest)
            runUUIDs.formUnion(freshUUIDs)
            report.add(rated)
        } catch {
            outcome = FileOutcome(path: path, status: .failed)
            outcome.message = "\(error); nothing from this file was stored"
        }
        return outcome
    }

    /// Keeps the first call of each uuid that is not stored yet (nor, in a dry
    /// run, rated earlier in the run); empties `calls` so they are held once.
    private func dropDuplicates(_ calls: inout [ClassifiedCall]) throws -> [ClassifiedCall] {
        var seen = Set<String>(minimumCapacity: calls.count)
        var fresh = calls.filter { seen.insert($0.record.uuid).inserted }
        calls = []
        var stored = try storedUUIDs(fresh.map(\.record.uuid))
        if options.dryRun { stored.formUnion(runUUIDs.intersection(seen)) }
        if !stored.isEmpty { fresh.removeAll { stored.contains($0.record.uuid) } }
        return fresh
    }

    private func recordInLedger(_ o: FileOutcome, path: String, size: Int64, digest: String, layout: CDRLayout?,
                                rated: [RatedCall], rejectsPath: String?, started: Date) throws {
        try db.query("""
            INSERT INTO cdr_files (file_name, path, size_bytes, sha256, layout, status, lines, stored, unmatched,
                duplicates, rejected, charged_minutes, cost, rejects_path, error, started_at, finished_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, to_timestamp($16), now())
            """, [(path as NSString).lastPathComponent, path, String(size), digest, layout?.rawValue,
                  o.status.rawValue, String(o.lines), String(o.stored), String(o.unmatched),
                  String(o.duplicates), String(o.rejected),
                  String(rated.reduce(0) { $0 + $1.call.chargedMinutes }),
                  rated.reduce(Money.zero) { $0 + $1.cost }.description, rejectsPath, o.message,
                  String(started.timeIntervalSince1970)])
    }

    private func ledgerHas(_ digest: String) throws -> Bool {
        try db.query("SELECT 1 FROM cdr_files WHERE sha256 = $1", [digest]).rows.count > 0
    }

    /// The uuids among `uuids` that `cdrs` already holds.
    private func storedUUIDs(_ uuids: [String]) throws -> Set<String> {
        var found = Set<String>()
        var start = 0
        while start < uuids.count {
            let batch = uuids[start ..< min(start + 5000, uuids.count)]
            start += batch.count
            let literal = postgresArrayLiteral(batch)
            for row in try db.query("SELECT uuid FROM cdrs WHERE uuid = ANY($1::text[])", [literal]).rows { found.insert(row[0]!) }
        }
        return found
    }

    /// COPYs the file's rated calls into `cdrs`, encoding on a second thread
    /// while this one sends.
    private func copyCalls(_ rated: [RatedCall], fileName: String) throws {
        // In uuid order: the unique index on random uuids then fills page by
        // page instead of at random (COPY of 1,000,000 rows: 25.3 s -> 20.7 s).
        let order = rated.indices.sorted { bytewiseLess(rated[$0].call.record.uuid, rated[$1].call.record.uuid) }
        let encoder = CDRRowEncoder(fileName: fileName)
        let pipe = BufferPipe(capacity: 8)
        let producer = DispatchGroup()
        DispatchQueue.global().async(group: producer) {
            var row = CopyEncoder(capacity: 256 * 1024)
            for i in order {
                encoder.encode(rated[i], into: &row)
                if row.buffer.count >= 256 * 1024 {
                    guard pipe.put(row.buffer) else { return }
                    row.clear()
                }
            }
            _ = pipe.put(row.buffer)
            pipe.finish()
        }
        defer {
            pipe.cancel()
            producer.wait()
        }
        try db.copyIn(CDRRowEncoder.copyStatement) { sink in
            while let buffer = pipe.take() { try sink.write(buffer) }
        }
    }

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

    /// Writes the file's rejected lines as CSV (line, reason, raw); returns its path.
    private func writeRejects(_ path: String, digest: String, _ rejects: [RejectedLine]) throws -> String? {
        guard !rejects.isEmpty else { return nil }
        let dir = options.rejectsDirectory
        do {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        } catch {
            throw BillingError("cannot create the rejects folder \(dir): \(error.localizedDescription)")
        }
        let name = (path as NSString).lastPathComponent + "." + digest.prefix(8) + ".rejects.csv"
        let target = (dir as NSString).appendingPathComponent(name)
        var out = Array("line,reason,raw\n".utf8)
        func quoted(_ bytes: [UInt8]) {
            out.append(UInt8(ascii: "\""))
            for b in bytes { out.append(b); if b == UInt8(ascii: "\"") { out.append(b) } }
            out.append(UInt8(ascii: "\""))
        }
        for r in rejects {
            out += Array("\(r.lineNumber),".utf8)
            quoted(Array(r.reason.utf8))
            out.append(UInt8(ascii: ","))
            quoted(r.raw.filter { $0 != 0x0A && $0 != 0x0D })
            out.append(0x0A)
        }
        let temporary = target + ".tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: Data(out)) else {
            throw BillingError("cannot write the rejects file \(temporary)")
        }
        _ = try? FileManager.default.removeItem(atPath: target)
        try FileManager.default.moveItem(atPath: temporary, toPath: target)
        return target
    }

    private func reportRejects(_ path: String, _ rejects: [RejectedLine]) {
        for r in rejects.prefix(10) { log("\(path):\(r.lineNumber): rejected: \(r.reason)") }
        if rejects.count > 10 {
            log("\(path): \(rejects.count - 10) more rejected lines" + (options.dryRun ? "" : ", all in the rejects file"))
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
