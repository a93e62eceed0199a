import Foundation
import RatingRules
import Reports

/// A file's minute allocation against its usage rows: the provisional plan
/// its rows go into COPY with, the final one once the rows are locked, and
/// which of the file's own calls the final plan prices otherwise.
struct FilePlanner {
    let session: RatingSession

    /// Something another run changed meanwhile: the file is rated again from the start.
    struct RateAgain: Error, CustomStringConvertible {
        let reason: String
        var description: String { reason + ": rate the file again" }
    }

    /// Minute allocation of a file's calls against its usage rows as the book has them.
    func allocate(_ read: FileRead) throws -> FilePlan {
        let (scan, usage, book) = (read.scan, session.usage, session.catalog.tariffs)
        try usage.load(Set(scan.added.keys))
        for (key, charges) in scan.charges where charges.laterCalls.cut > 0 && usage.basis(key).room > charges.room {
            throw RateAgain(reason: "the included minutes of a usage row of subscription \(key.subscriptionId) changed while the file was read")
        }
        let allocation = MinuteAllocator.plan(scan.charges, basis: usage.basis)
        let repriced = allocation.repricings.flatMap { key, list in
            list.map { r in
                CallChange(uuid: r.before.uuid, start: r.before.start,
                           before: PricedCall(held: r.before, key: key, book: book), after: PricedCall(held: r.after, key: key, book: book),
                           match: nil)
            }
        }.sorted { $0.uuid < $1.uuid }
        session.step("minute allocation")
        return FilePlan(allocation: allocation, usage: usage.writes(adding: scan.added, plan: allocation), repriced: repriced)
    }

    /// In the file's transaction, its calls stored: the usage rows it
    /// touches are locked, in one order, and read again (other runs may have
    /// rated the same periods meanwhile; `own`, the file's calls stored with
    /// included minutes or that may get some (`ownCallsToCheck`), are not
    /// their held calls); the final plan is made against them.
    func lockAndPlan(_ read: FileRead, own: Set<CDRKey>) throws -> FilePlan {
        let keys = Set(read.scan.added.keys)
        try session.store.lockUsageRows(try keys.sorted().map { key in
            (key, session.usage.period(key).end, try subscription(key.subscriptionId).plan.includedMinutes)
        })
        try session.usage.refresh(keys, excluding: own)
        let plan = try allocate(read)
        session.step("usage rows locked, read, allocated again")
        return plan
    }

    /// The file's own calls that can be stored with included minutes or
    /// get some from the final plan: the earliest of each usage row, and
    /// those given some as they were read (`granted`, besides those); every
    /// other is overage both as stored and in the final plan.
    func ownCallsToCheck(_ read: FileRead, granted: [ProvisionalPricing.Grant] = []) -> [(key: UsageKey, charge: Charge)] {
        var calls = read.scan.charges.flatMap { key, charges in charges.earliest.map { (key: key, charge: $0) } }
        let earliest = Set(calls.map(\.charge.key))
        calls += granted.filter { !earliest.contains($0.charge.key) }.map { ($0.key, $0.charge) }
        return calls
    }

    /// Those of `calls` (`ownCallsToCheck`) whose split and price differ
    /// between how they were stored (`storedAs`, the COPY's pricing) and the final plan.
    func ownCalls(_ calls: [(key: UsageKey, charge: Charge)], _ final: FilePlan, storedAs stored: any CopyPricing) -> [CallChange] {
        calls.compactMap { key, c -> CallChange? in
            let a = stored.split(key, c), b = final.allocation.price(key, c)
            guard a != b else { return nil }
            func priced(_ p: (covered: Int, overage: Int, cost: Money)) -> PricedCall {
                PricedCall(key: key, charge: c.price, start: c.start, covered: p.covered, cost: p.cost, book: session.catalog.tariffs)
            }
            return CallChange(uuid: c.key.text, start: c.start, before: priced(a), after: priced(b), match: nil)
        }
    }

    /// A file's minutes and cost in its outcome (and ledger entry), from its final plan.
    func account(_ plan: FilePlan, _ read: FileRead, outcome: inout FileOutcome) {
        outcome.repriced = plan.repriced.count
        outcome.repricedCost = plan.repriced.reduce(Money.zero) { $0 + $1.after.cost - $1.before.cost }
        outcome.cost = plan.allocation.batch.values.reduce(Money.zero) { $0 + $1.cost }
        outcome.chargedMinutes = CallCharge.minutes(read.scan.added.values.reduce(0) { $0 + $1.billedSeconds })
    }

    /// The report's minutes and cost per subscription, from a file's final plan (once).
    func tally(_ plan: FilePlan, _ read: FileRead) throws {
        for (key, minutes) in plan.allocation.batch {
            let number = try subscription(key.subscriptionId).number
            read.scan.tallies[number, default: CallTally()].includedSeconds += minutes.coveredSeconds
            read.scan.tallies[number, default: CallTally()].overageSeconds += minutes.overageSeconds
            read.scan.tallies[number, default: CallTally()].cost += minutes.cost
        }
    }

    /// What-if (dry run with --plans): the file's calls allocated again, under
    /// the proposed plans, after every stored call of their periods.
    func proposeAlternative(_ read: FileRead, book: UsageBook) throws {
        let scan = read.proposed ?? read.scan
        try book.load(Set(scan.added.keys))
        let allocation = MinuteAllocator.plan(scan.charges, basis: book.basis, keepEveryCall: true)
        for (key, minutes) in allocation.batch {
            let number = try subscription(key.subscriptionId).number
            read.scan.tallies[number, default: CallTally()].proposed.includedSeconds += minutes.coveredSeconds
            read.scan.tallies[number, default: CallTally()].proposed.overageSeconds += minutes.overageSeconds
            read.scan.tallies[number, default: CallTally()].proposed.cost += minutes.cost
        }
        book.record(book.writes(adding: scan.added, plan: allocation), plan: allocation)
    }

    private func subscription(_ id: String) throws -> Subscription {
        guard let s = session.catalog.subscription(id: id) else {
            throw BillingError("subscription \(id) of a usage row is not in the catalog loaded for this run")
        }
        return s
    }
}

/// How the rows of a file were priced when they went into COPY: by the
/// provisional plan (two passes), or as read (`ProvisionalPricing`, one
/// pass). The one home for "what did the stored row say" when the final
/// plan is compared with it.
protocol CopyPricing {
    func split(_ key: UsageKey, _ charge: Charge) -> (covered: Int, overage: Int, cost: Money)
}

extension AllocationPlan: CopyPricing {
    func split(_ key: UsageKey, _ charge: Charge) -> (covered: Int, overage: Int, cost: Money) { price(key, charge) }
}

extension ProvisionalPricing: CopyPricing {
    func split(_ key: UsageKey, _ charge: Charge) -> (covered: Int, overage: Int, cost: Money) {
        // Every call the one pass stored was priced as it was read.
        guard let p = price(key, charge) else { preconditionFailure("a call of the file that was never priced as read") }
        return p
    }
}
