import Foundation
@testable import Billing

/// The file ledger in memory, with the rules of `cdr_files`: one entry a
/// content (sha256), written over only while it is failed; what
/// `PostgresLedgerStore` does in SQL, for unit tests of what rating makes of it.
final class InMemoryLedgerStore: LedgerStore {
    private(set) var entries: [String: (id: String, entry: LedgerEntry, finished: Bool)] = [:]
    private var accepted: [String: String] = [:]
    private var nextId = 1

    func verdict(sha256: String) throws -> LedgerVerdict? {
        guard let e = entries[sha256]?.entry else { return nil }
        if let by = accepted[sha256] { return .accepted(by) }
        switch e.status {
        case "rated": return .rated
        case "partial": return .partial
        default: return .failed
        }
    }

    func record(_ entry: LedgerEntry) throws -> String? {
        if let old = entries[entry.sha256], old.entry.status != "failed" { return nil }
        let id = entries[entry.sha256]?.id ?? "file-\(nextId)"
        nextId += 1
        entries[entry.sha256] = (id, entry, false)
        return id
    }

    func markFinished(id: String) throws {
        for (sha, e) in entries where e.id == id { entries[sha]?.finished = true }
    }

    func holdsRejects(named name: String) throws -> Bool {
        entries.values.contains { $0.entry.rejectsPath.map { ($0 as NSString).lastPathComponent == name } ?? false }
    }

    /// What the ledger holds, for a rolled-back transaction to put back (`InMemoryRatingDatabase`).
    struct Snapshot {
        fileprivate let entries: [String: (id: String, entry: LedgerEntry, finished: Bool)]
        fileprivate let accepted: [String: String]
    }

    func snapshot() -> Snapshot { Snapshot(entries: entries, accepted: accepted) }

    func restore(_ s: Snapshot) {
        entries = s.entries
        accepted = s.accepted
    }

    /// `files accept`: a partial entry accepted as final.
    func accept(sha256: String, by: String) { if entries[sha256]?.entry.status == "partial" { accepted[sha256] = by } }
}
