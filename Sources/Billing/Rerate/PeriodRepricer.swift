import RatingRules
import Reports

/// Phase 2 of a rerate for one usage period (SPEC sections 3 and 3b): the
/// period is priced again whole, included minutes handed out in (start_time,
/// uuid byte order) over its stored calls and the calls matched anew into it,
/// after its imported usage; only what changed comes out. Pure: the stored
/// calls go in one at a time in that order (a cursor's rows), the calls
/// matched anew are merged in among them.
struct PeriodRepricer {
    let period: TouchedPeriod
    /// The usage row as stored; nil when there is none.
    let before: UsageRow?
    /// Calls not priced here, where they are stored: they were matched anew.
    let skip: Set<String>
    /// The new charges of calls matched as stored whose price changed.
    let repriced: [CDRKey: CallCharge]
    private var pricer: PeriodPricer
    private var line: RerateReport.Period
    /// The calls matched anew into the period, in charge order.
    private let arriving: [RematchedCall]
    /// How many of them are priced so far.
    private var next = 0

    private let book: TariffBook
    /// The period's billed, covered and overage seconds so far, for the report's minutes.
    private var billed = 0, covered = 0, overage = 0

    init(_ period: TouchedPeriod, before: UsageRow?, arriving: [RematchedCall], skip: Set<String>,
         repriced: [CDRKey: CallCharge] = [:], zone: ZoneRules, book: TariffBook = .empty) {
        self.period = period
        self.before = before
        self.skip = skip
        self.repriced = repriced
        self.arriving = arriving
        self.book = book
        pricer = PeriodPricer(plan: period.subscription.plan, imported: before?.imported ?? UsageTotals(), book: book)
        line = RerateReport.Period(subscription: period.subscription.number, periodStart: zone.local(of: period.span.start).text)
    }

    /// Whether a stored call of the period is priced here: not when it was matched anew.
    func prices(_ stored: StoredCall) -> Bool { !skip.contains(stored.uuid) }

    /// The next stored call of the period, in charge order: the changes to it
    /// and to the calls matched anew that come before it.
    mutating func price(_ stored: StoredCall) throws -> [CallChange] {
        guard prices(stored) else { return [] }
        let charge = stored.charge(book: book, repriced: repriced)
        var changes = try priceArriving(before: charge)
        if let change = try price(stored.uuid, charge, status: stored.match.status, type: stored.match.type, stored: stored.priced, match: nil) {
            changes.append(change)
        }
        return changes
    }

    /// After the period's last stored call: the changes to the calls matched
    /// anew that come after it, the usage row to write (none when it is
    /// unchanged) and the report's line.
    mutating func finish() throws -> RepricedPeriod {
        let changes = try priceArriving(before: nil)
        (line.chargedMinutes, line.includedMinutes, line.overageMinutes)
            = (CallCharge.minutes(billed), CallCharge.minutes(covered), CallCharge.minutes(overage))
        line.oldCost = before?.callCost ?? .zero
        line.newCost = pricer.callCost
        let after = pricer.row
        let write = after == before ? nil
            : UsageWrite(key: period.key, periodEnd: period.span.end, subscription: period.subscription, before: before, after: after)
        return RepricedPeriod(changes: changes, write: write, line: line)
    }

    /// The calls matched anew that come before `limit` (all that are left, with none), priced.
    private mutating func priceArriving(before limit: Charge?) throws -> [CallChange] {
        var changes: [CallChange] = []
        while next < arriving.count, limit.map({ arriving[next].charge.precedes($0) }) ?? true {
            let m = arriving[next]
            next += 1
            if let change = try price(m.call.record.uuid, m.charge, status: m.call.status, type: m.call.type, stored: m.before, match: CallMatch(m.call)) {
                changes.append(change)
            }
        }
        return changes
    }

    /// Prices the period's next call; its change, if its price, minutes or match (`match`, when matched anew) changed.
    private mutating func price(_ uuid: String, _ charge: Charge, status: CallStatus, type: CallType,
                                stored: PricedCall, match: CallMatch?) throws -> CallChange? {
        let start = charge.start
        let (covered, overage, cost) = pricer.price(charge.price.billedSeconds > 0 ? charge : nil, status: status, type: type)
        let sub = period.subscription
        if cost > Money.largestCallCost {
            throw BillingError("call \(uuid) would cost \(cost) at \(sub.plan.name)'s rate, more than cdrs.cost holds "
                + "(\(Money.largestCallCost)); nothing was changed: check the plan's overage_rate_per_minute")
        }
        let after = PricedCall(key: period.key, charge: charge.price, start: start, covered: covered, cost: cost, book: book)
        line.calls += 1
        billed += charge.price.billedSeconds
        self.covered += covered
        self.overage += overage
        guard after != stored || match != nil else { return nil }
        return CallChange(uuid: uuid, start: start, before: stored, after: after, match: match)
    }
}

/// One usage period priced again: what to write, and what to report.
struct RepricedPeriod {
    /// The last changes (the calls matched anew after the period's last stored call).
    let changes: [CallChange]
    /// nil: the row is as it was.
    let write: UsageWrite?
    let line: RerateReport.Period
}
