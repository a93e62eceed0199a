import Foundation
import RatingRules

/// Calls counted by status and type, with their minutes and cost.
public struct CallTally: Sendable, Equatable {
    public var calls = 0
    public var byStatus: [CallStatus: Int] = [:]
    public var byType: [CallType: Int] = [:]
    /// Billed seconds the bundle covered, and those it did not.
    public var includedSeconds = 0
    public var overageSeconds = 0
    public var cost = Money.zero
    /// What-if (`--plans`): the same calls under the proposed plans.
    public var proposed = ProposedTally()

    public init() {}

    /// Minutes as the report shows them: the seconds / 60, rounded up once.
    public var includedMinutes: Int { CallCharge.minutes(includedSeconds) }
    public var overageMinutes: Int { CallCharge.minutes(overageSeconds) }

    public struct ProposedTally: Sendable, Equatable {
        public var includedSeconds = 0
        public var overageSeconds = 0
        public var cost = Money.zero
        public var includedMinutes: Int { CallCharge.minutes(includedSeconds) }
        public var overageMinutes: Int { CallCharge.minutes(overageSeconds) }
    }

    /// Counts a call by status and type (its minutes and cost are added apart).
    public mutating func count(_ call: ClassifiedCall) { count(status: call.status, type: call.type) }

    public mutating func count(status: CallStatus, type: CallType) {
        calls += 1
        byStatus[status, default: 0] += 1
        byType[type, default: 0] += 1
    }

    public mutating func add(_ t: CallTally) {
        calls += t.calls
        for (k, v) in t.byStatus { byStatus[k, default: 0] += v }
        for (k, v) in t.byType { byType[k, default: 0] += v }
        includedSeconds += t.includedSeconds
        overageSeconds += t.overageSeconds
        cost += t.cost
        proposed.includedSeconds += t.proposed.includedSeconds
        proposed.overageSeconds += t.proposed.overageSeconds
        proposed.cost += t.proposed.cost
    }
}

/// What happened to one input file.
public struct FileOutcome: Sendable {
    public enum Status: String, Sendable, CaseIterable {
        /// Rated and committed (or, in a dry run, would be).
        case rated
        /// Rated, but the file ended early (truncated gzip): the lines before are stored.
        case partial
        /// Skipped: a file with the same SHA-256 is already in the ledger.
        case already_rated
        /// Nothing stored: the error says why.
        case failed
        /// Skipped: the ledger knows this very file as partial (it ends early); the complete file is still to come.
        case incomplete
        /// Skipped: another run is rating this very file now (it claimed it); not an error.
        case busy
        /// Left in place: 0 bytes (a switch may not have written it yet); never in the ledger; not an error.
        case empty
        /// Not read: not a regular file (a FIFO, a device, a socket), a dangling symbolic link, a link to
        /// a folder inside a folder; a warning, not an error.
        case skipped
    }

    public var path: String
    public var status: Status
    public var lines = 0
    public var stored = 0
    public var unmatched = 0
    public var duplicates = 0
    public var rejected = 0
    /// Charged minutes and cost of the file's own calls.
    public var chargedMinutes = 0
    public var cost = Money.zero
    /// Stored calls re-priced because the file brought earlier calls, and the change in their cost.
    public var repriced = 0
    public var repricedCost = Money.zero
    public var message: String?
    public var sha256: String?
    public var rejectsPath: String?
    /// Wall time spent on the file.
    public var seconds: Double = 0
    /// Where `--archive-dir` moved the file.
    public var archivedTo: String?

    public init(path: String, status: Status) {
        self.path = path
        self.status = status
    }
}

/// The run's report: per subscription and in total. SPEC section 5.
public struct RunReport: Sendable {
    public static let unmatchedLabel = "(unmatched)"
    public var dryRun: Bool
    /// With proposed plans (`--plans`): the report shows them beside the current ones.
    public var whatIf = false
    public var files: [FileOutcome] = []
    public var bySubscription: [String: CallTally] = [:]
    public var seconds: Double = 0
    /// Seconds spent waiting for another run's rating lock (not in `seconds`' throughput).
    public var lockWaitSeconds: Double = 0

    public init(dryRun: Bool) { self.dryRun = dryRun }

    /// Adds tallies per subscription number.
    public mutating func add(_ tallies: [String: CallTally]) {
        for (label, t) in tallies { bySubscription[label, default: CallTally()].add(t) }
    }

    public var total: CallTally { bySubscription.values.reduce(into: CallTally()) { $0.add($1) } }
    public var lines: Int { files.reduce(0) { $0 + $1.lines } }
    public var stored: Int { files.reduce(0) { $0 + $1.stored } }
    public var unmatched: Int { files.reduce(0) { $0 + $1.unmatched } }
    public var duplicates: Int { files.reduce(0) { $0 + $1.duplicates } }
    public var rejected: Int { files.reduce(0) { $0 + $1.rejected } }
    public var repriced: Int { files.reduce(0) { $0 + $1.repriced } }
    public var repricedCost: Money { files.reduce(Money.zero) { $0 + $1.repricedCost } }
    /// Files that need a person: failed, cut short, or known as cut short and seen again.
    public var failedFiles: Int { files.filter { $0.status == .failed || $0.status == .partial || $0.status == .incomplete }.count }

    /// Subscription rows in a stable order, unmatched last.
    var rows: [(String, CallTally)] {
        bySubscription.sorted { a, b in
            if (a.key == RunReport.unmatchedLabel) != (b.key == RunReport.unmatchedLabel) { return b.key == RunReport.unmatchedLabel }
            return a.key < b.key
        }
    }

    var columns: [String] {
        ["calls"] + CallStatus.allCases.map(\.rawValue) + CallType.allCases.map(\.rawValue)
            + ["included_min", "overage_min", "cost"]
            + (whatIf ? ["proposed_included_min", "proposed_overage_min", "proposed_cost", "difference"] : [])
    }

    func cells(_ t: CallTally) -> [String] {
        [String(t.calls)] + CallStatus.allCases.map { String(t.byStatus[$0] ?? 0) }
            + CallType.allCases.map { String(t.byType[$0] ?? 0) }
            + [String(t.includedMinutes), String(t.overageMinutes), t.cost.description]
            + (whatIf ? [String(t.proposed.includedMinutes), String(t.proposed.overageMinutes), t.proposed.cost.description,
                         (t.proposed.cost - t.cost).signed] : [])
    }

    public enum Format: String, CaseIterable, Sendable { case table, json, csv }

    public func render(_ format: Format) -> String {
        switch format {
        case .table: return renderTable()
        case .csv: return renderCSV()
        case .json: return renderJSON()
        }
    }

    /// The subscription rows and the total, as a table.
    var tabular: Tabular {
        Tabular(columns: ["subscription"] + columns, rows: rows.map { [$0.0] + cells($0.1) } + [["TOTAL"] + cells(total)])
    }

    func renderTable() -> String {
        var title = (dryRun ? "DRY RUN: nothing was written. " : "") + "Rated calls by subscription"
        if whatIf { title += "; proposed_*: the same calls under the proposed plans" }
        var out = [title] + tabular.tableLines(alignment: { $0 == 0 ? .left : .right })
        out.append("")
        // A dry run stored nothing: it says what a run would do.
        let (rated, storedWord) = dryRun ? ("would be rated", "would be stored") : ("rated", "stored")
        out.append("files: \(files.count) (\(count(.rated)) \(rated), \(count(.partial)) partial, \(count(.already_rated)) already rated, \(count(.failed)) failed"
            + (count(.incomplete) > 0 ? ", \(count(.incomplete)) still incomplete" : "")
            + (count(.busy) > 0 ? ", \(count(.busy)) left to another run rating them" : "")
            + (count(.empty) > 0 ? ", \(count(.empty)) empty, left for a later run" : "")
            + (count(.skipped) > 0 ? ", \(count(.skipped)) skipped, not regular files" : "") + ")")
        out.append("lines: \(lines) = \(stored) \(storedWord) + \(duplicates) duplicates + \(rejected) rejected")
        out.append(dryRun ? "unmatched: \(unmatched) of the calls that would be stored would match no subscription (processing_status 'failed', cost 0)"
            : "unmatched: \(unmatched) of the stored calls matched no subscription (processing_status 'failed', cost 0)")
        if stored > 0 && unmatched == stored {
            out.append("WARNING: every call matched no subscription: is the catalog (subscriptions, DIDs, account numbers) loaded? "
                + "Once it is, 'cdr-rater rerate --unmatched --from ... --to ...' prices them")
        }
        if repriced > 0 {
            out.append(dryRun
                ? "would re-price: \(repriced) stored call(s) would lose included minutes to earlier calls, cost \(repricedCost.signed)"
                : "re-priced: \(repriced) stored call(s) lost included minutes to earlier calls, cost \(repricedCost.signed) (see cdr_cost_history)")
        }
        for f in files where f.status != .rated {
            out.append(escapedName(("  \(f.path): \(f.status.rawValue)" + (f.message.map { ": \($0)" } ?? "")).utf8))
        }
        return out.joined(separator: "\n") + "\n"
    }

    private func count(_ s: FileOutcome.Status) -> Int { files.filter { $0.status == s }.count }

    func renderCSV() -> String { tabular.csv() }

    func renderJSON() -> String {
        func tally(_ t: CallTally) -> [String: JSONValue] {
            var d: [String: JSONValue] = [
                "calls": .int(t.calls),
                "by_status": .object(Dictionary(uniqueKeysWithValues: CallStatus.allCases.map { ($0.rawValue, .int(t.byStatus[$0] ?? 0)) })),
                "by_type": .object(Dictionary(uniqueKeysWithValues: CallType.allCases.map { ($0.rawValue, .int(t.byType[$0] ?? 0)) })),
                "included_minutes": .int(t.includedMinutes), "overage_minutes": .int(t.overageMinutes), "cost": .string(t.cost.description),
            ]
            if whatIf {
                d["proposed"] = ["included_minutes": .int(t.proposed.includedMinutes), "overage_minutes": .int(t.proposed.overageMinutes),
                                 "cost": .string(t.proposed.cost.description), "difference": .string((t.proposed.cost - t.cost).signed)]
            }
            return d
        }
        let object: JSONValue = [
            "dry_run": .bool(dryRun),
            "subscriptions": .array(rows.map { .object(tally($0.1).merging(["subscription": .string($0.0)]) { a, _ in a }) }),
            "total": .object(tally(total)),
            "repriced": .int(repriced), "repriced_cost": .string(repricedCost.description),
            "lines": .int(lines), "stored": .int(stored), "unmatched": .int(unmatched), "duplicates": .int(duplicates), "rejected": .int(rejected),
            "files": .array(files.map { f in
                var d: [String: JSONValue] = [
                    "path": .string(f.path), "status": .string(f.status.rawValue), "lines": .int(f.lines), "stored": .int(f.stored),
                    "unmatched": .int(f.unmatched), "duplicates": .int(f.duplicates), "rejected": .int(f.rejected),
                    "charged_minutes": .int(f.chargedMinutes), "cost": .string(f.cost.description),
                    "repriced": .int(f.repriced), "repriced_cost": .string(f.repricedCost.description),
                ]
                if let m = f.message { d["message"] = .string(m) }
                return .object(d)
            }),
        ]
        return object.prettyPrinted + "\n"
    }
}
