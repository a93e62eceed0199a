import Foundation
import Reports

/// The end of a file's transaction, its usage rows locked: the ledger
/// entry, the file's own calls priced again where the final plan changed
/// them, the re-pricing of stored calls, usage rows and balances.
struct FileCommit {
    let session: RatingSession

    func finish(_ read: FileRead, _ plan: FilePlan, changed own: [CallChange], outcome: inout FileOutcome) throws {
        let (store, step) = (session.store, session.step)
        FilePlanner(session: session).account(plan, read, outcome: &outcome)
        let fileId = try record(outcome, read)
        try store.apply(own, source: nil)
        step("\(own.count) own call(s) priced again")
        try store.apply(plan.repriced, source: .lateCall(fileId: fileId))
        step("\(plan.repriced.count) stored call(s) re-priced")
        try store.write(plan.usage)
        try FailPoint.fail("rate:before-commit")
        try session.environment.stop?.check(file: read.path.shown) // a stop that came between statements still rolls the file back
        try session.ledger.markFinished(id: fileId)
    }

    /// Records the file in the ledger; returns its id, which the cost history refers to.
    private func record(_ o: FileOutcome, _ read: FileRead) throws -> String {
        let entry = LedgerEntry(fileName: read.path.name, path: read.path.shown, size: read.job.size, sha256: read.job.digest,
                                layout: read.layout, status: o.status.rawValue, lines: o.lines, stored: o.stored,
                                unmatched: o.unmatched, duplicates: o.duplicates, rejected: o.rejected,
                                chargedMinutes: o.chargedMinutes, cost: o.cost, rejectsPath: o.rejectsPath, error: o.message,
                                started: read.job.started)
        guard let id = try session.ledger.record(entry) else {
            throw BillingError("another run rated a file with the same content meanwhile")
        }
        return id
    }
}
