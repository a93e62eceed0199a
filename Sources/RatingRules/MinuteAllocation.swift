/// Included minutes and the money they save: SPEC section 3, "Minutes and money".
///
/// Within one usage row (subscription, period), included minutes go to the
/// charged calls in (start_time, uuid byte order) over every call the
/// database holds, whenever it arrived. Only the stored calls that still hold
/// included minutes can lose some when an earlier call arrives, so a batch is
/// allocated against those alone (`PeriodBasis.held`), never the whole period.

/// The included minutes of one usage row, handed out call by call in order.
public struct IncludedMinutes: Sendable, Equatable {
    /// Minutes still to hand out.
    public private(set) var left: Int

    /// `included` minutes of the plan, of which `imported` (usage that no
    /// stored call accounts for) count as used before every call.
    public init(included: Int, imported: Int) { left = max(0, included - imported) }

    /// Splits the next call's minutes into included and overage.
    public mutating func take(_ minutes: Int) -> (included: Int, overage: Int) {
        let included = min(minutes, left)
        left -= included
        return (included, minutes - included)
    }
}

/// A charged call as minute allocation sees it.
public struct Charge: Sendable {
    public let start: Int64
    public let key: CDRKey
    public let minutes: Int

    public init(start: Int64, uuid: String, minutes: Int) {
        self.init(start: start, key: CDRKey(uuid), minutes: minutes)
    }

    public init(start: Int64, key: CDRKey, minutes: Int) {
        self.start = start
        self.key = key
        self.minutes = minutes
    }

    /// (start_time, uuid) order, uuids compared byte by byte.
    public func precedes(_ other: Charge) -> Bool {
        start != other.start ? start < other.start : key < other.key
    }
}

/// A stored charged call that holds included minutes, priced as stored.
public struct HeldCall: Sendable, Equatable {
    public let uuid: String
    public let start: Int64
    /// Charged minutes.
    public let minutes: Int
    public var includedMinutes: Int
    public var cost: Money

    public init(uuid: String, start: Int64, minutes: Int, includedMinutes: Int, cost: Money) {
        self.uuid = uuid
        self.start = start
        self.minutes = minutes
        self.includedMinutes = includedMinutes
        self.cost = cost
    }

    public var overageMinutes: Int { minutes - includedMinutes }
}

/// A usage row as a batch finds it.
public struct PeriodBasis: Sendable {
    /// The included minutes the row is priced with (`minutes_included`).
    public var included: Int
    /// Minutes recorded beyond what the row's stored calls account for.
    public var imported: Int
    /// The overage rate new pricing uses: the plan's rate now.
    public var rate: Money
    /// The stored calls that hold included minutes, in any order.
    public var held: [HeldCall]
    /// Included minutes left before any call: what `BatchCharges` keeps calls for.
    public var room: Int { IncludedMinutes(included: included, imported: imported).left }

    public init(included: Int, imported: Int, rate: Money, held: [HeldCall] = []) {
        self.included = included
        self.imported = imported
        self.rate = rate
        self.held = held
    }
}

/// A stored call whose split changed because an earlier call arrived.
public struct Repricing: Sendable, Equatable {
    public let before: HeldCall
    public let after: HeldCall
    public var costDelta: Money { after.cost - before.cost }
}

/// The one home of pricing: what overage minutes cost.
public enum Pricing {
    /// A call priced now: every overage minute at `rate`.
    public static func cost(overageMinutes: Int, rate: Money) -> Money { rate.times(overageMinutes) }

    /// A stored call re-priced because it now holds `included` of its minutes:
    /// the minutes it already paid for keep their price (editing a plan never
    /// changes calls already priced), the newly overage minutes cost `rate`.
    /// (A call that gains included minutes, which only inconsistent stored
    /// data allows, is refunded at `rate`, never below zero.)
    public static func repriced(_ call: HeldCall, included: Int, rate: Money) -> HeldCall {
        var after = call
        after.includedMinutes = included
        after.cost = max(.zero, call.cost + cost(overageMinutes: call.includedMinutes - included, rate: rate))
        return after
    }
}

/// What a batch of new calls contributes to one usage row.
public struct BatchMinutes: Sendable, Equatable {
    public var included = 0
    public var overage = 0
    /// The sum of the batch's call costs.
    public var cost = Money.zero

    public init(included: Int = 0, overage: Int = 0, cost: Money = .zero) {
        self.included = included
        self.overage = overage
        self.cost = cost
    }
}

/// Where included minutes run out in each usage row, so that any new call
/// can be split and priced on its own, in any order (the second pass);
/// and which stored calls a batch re-prices.
public struct AllocationPlan: Sendable {
    /// The call at which the row's included minutes run out, and how many of
    /// its minutes are still included; absent when they never run out.
    struct Threshold {
        let call: Charge
        let includedPart: Int
        /// A row with no included minutes left: every new call is overage.
        static let everythingOverage = Threshold(call: Charge(start: .min, key: .text(""), minutes: 0), includedPart: 0)
    }

    fileprivate(set) var thresholds: [UsageKey: Threshold] = [:]
    fileprivate(set) var rates: [UsageKey: Money] = [:]
    /// Per usage row: the batch's included and overage minutes and cost.
    public fileprivate(set) var batch: [UsageKey: BatchMinutes] = [:]
    /// Per usage row: stored calls whose split changed, in call order.
    public fileprivate(set) var repricings: [UsageKey: [Repricing]] = [:]
    /// Per usage row: the calls, stored or new, that hold included minutes after the batch.
    public fileprivate(set) var held: [UsageKey: [HeldCall]] = [:]

    /// Included and overage minutes of one new charged call.
    public func split(_ key: UsageKey, start: Int64, uuid: String, minutes: Int) -> (included: Int, overage: Int) {
        guard let t = thresholds[key] else { return (minutes, 0) }
        let call = Charge(start: start, uuid: uuid, minutes: minutes)
        if call.start == t.call.start && call.key == t.call.key { return (t.includedPart, minutes - t.includedPart) }
        return call.precedes(t.call) ? (minutes, 0) : (0, minutes)
    }

    /// Included and overage minutes and cost of one new charged call of usage row `key`.
    public func price(_ key: UsageKey, _ call: Charge) -> (included: Int, overage: Int, cost: Money) {
        let (included, overage) = split(key, start: call.start, uuid: call.key.text, minutes: call.minutes)
        return (included, overage, Pricing.cost(overageMinutes: overage, rate: rates[key] ?? .zero))
    }

    /// A new classified call with its minutes split and priced.
    public func rate(_ call: ClassifiedCall) -> RatedCall {
        var r = RatedCall(call: call)
        guard call.chargedMinutes > 0, let key = MinuteAllocator.usageKey(call) else { return r }
        (r.includedMinutes, r.overageMinutes) = split(key, start: call.record.start, uuid: call.record.uuid, minutes: call.chargedMinutes)
        r.cost = Pricing.cost(overageMinutes: r.overageMinutes, rate: rates[key] ?? call.subscription!.plan.overageRatePerMinute)
        return r
    }
}

/// A usage row's new charged calls, as minute allocation needs them, in
/// memory that does not grow with the batch: every charged call is at least
/// one minute, so no call later than the earliest `room` (the included
/// minutes left to hand out) can hold any. Only those are kept; the later
/// ones are all overage and kept as a count and their minutes.
public struct BatchCharges: Sendable {
    /// Included minutes the row has left before the batch: `minutes_included` less imported minutes.
    public let room: Int
    /// The kept calls: at most 2 x room, sorted and cut to `room` now and then (not a heap).
    private var kept: [Charge] = []
    private var cutCalls = 0
    private var cutMinutes = 0
    /// `kept` is sorted and cut to `room`: reading it copies nothing.
    private var sealed = false

    public init(room: Int) { self.room = max(0, room) }

    public var isEmpty: Bool { kept.isEmpty && cutCalls == 0 }

    /// Takes one charged call (minutes > 0), in any order.
    public mutating func add(_ charge: Charge) {
        precondition(charge.minutes > 0, "only charged calls take part in minute allocation")
        kept.append(charge)
        sealed = false
        if kept.count > 2 * room { cut() }
    }

    /// Sorts and cuts the kept calls once all are added, so that reading
    /// `earliest` (several times a file) does not sort a copy each time.
    public mutating func seal() { if !sealed { cut() } }

    /// The earliest `room` calls, in (start_time, uuid) order.
    public var earliest: [Charge] { cutToRoom.kept }
    /// Calls after the earliest `room`, and their minutes: all overage.
    public var laterCalls: Int { cutToRoom.cutCalls }
    public var laterMinutes: Int { cutToRoom.cutMinutes }

    private var cutToRoom: BatchCharges {
        if sealed { return self }
        var copy = self
        copy.cut()
        return copy
    }

    private mutating func cut() {
        kept.sort { $0.precedes($1) }
        for c in kept.dropFirst(room) {
            cutCalls += 1
            cutMinutes += c.minutes
        }
        kept.removeLast(max(0, kept.count - room))
        sealed = true
    }
}

public enum MinuteAllocator {
    /// Plans a batch given as whole lists (tests, small batches): each row's
    /// calls are bounded by its room first, as the first reading does.
    public static func plan(_ charges: [UsageKey: [Charge]], basis: (UsageKey) -> PeriodBasis,
                            keepEveryCall: Bool = false) -> AllocationPlan {
        let batches = charges.mapValues { list in
            list.reduce(into: BatchCharges(room: Int.max / 4)) { $0.add($1) }
        }
        return plan(batches, basis: basis, keepEveryCall: keepEveryCall)
    }

    /// Plans a batch: `charges` per usage row (uuids unique and not stored
    /// yet), `basis` the row as the batch finds it, whose room must not exceed
    /// the one the charges were kept with. The batch's calls are merged with
    /// the row's held calls and included minutes handed out in order; calls
    /// past the kept ones are all overage.
    /// `keepEveryCall` keeps every call in `held`, not only those holding included minutes.
    public static func plan(_ charges: [UsageKey: BatchCharges], basis: (UsageKey) -> PeriodBasis,
                            keepEveryCall: Bool = false) -> AllocationPlan {
        var plan = AllocationPlan()
        for (key, charges) in charges where !charges.isEmpty {
            let (earliest, laterCalls, laterMinutes) = (charges.earliest, charges.laterCalls, charges.laterMinutes)
            let b = basis(key)
            precondition(b.room <= charges.room || laterCalls == 0, "usage row \(key) gained room after its calls were read")
            plan.rates[key] = b.rate
            // Stored calls carry their index into `b.held`, new ones nil.
            var merged: [(charge: Charge, held: Int?)] = earliest.map { ($0, nil) }
            merged += b.held.enumerated().map { (Charge(start: $1.start, uuid: $1.uuid, minutes: $1.minutes), $0) }
            merged.sort { $0.charge.precedes($1.charge) }
            var minutes = IncludedMinutes(included: b.included, imported: b.imported)
            var batch = BatchMinutes(), repriced: [Repricing] = [], held: [HeldCall] = []
            for (charge, index) in merged {
                let (included, overage) = minutes.take(charge.minutes)
                // Where the minutes run out: at a call with overage, or one that takes the last exactly
                // (the calls after it, the cut ones among them, are all overage).
                if (overage > 0 || minutes.left == 0) && plan.thresholds[key] == nil {
                    plan.thresholds[key] = AllocationPlan.Threshold(call: charge, includedPart: included)
                }
                if let index {
                    let before = b.held[index]
                    let after = included == before.includedMinutes ? before : Pricing.repriced(before, included: included, rate: b.rate)
                    if after != before { repriced.append(Repricing(before: before, after: after)) }
                    if included > 0 || keepEveryCall { held.append(after) }
                } else {
                    let cost = Pricing.cost(overageMinutes: overage, rate: b.rate)
                    batch.included += included
                    batch.overage += overage
                    batch.cost += cost
                    if included > 0 || keepEveryCall {
                        held.append(HeldCall(uuid: charge.key.text, start: charge.start, minutes: charge.minutes,
                                             includedMinutes: included, cost: cost))
                    }
                }
            }
            if laterCalls > 0 {
                // Past the earliest `room` calls the row has no included minutes left.
                if plan.thresholds[key] == nil { plan.thresholds[key] = .everythingOverage }
                batch.overage += laterMinutes
                batch.cost += Pricing.cost(overageMinutes: laterMinutes, rate: b.rate)
            }
            plan.batch[key] = batch
            if !repriced.isEmpty { plan.repricings[key] = repriced }
            plan.held[key] = held
        }
        return plan
    }

    /// The usage row a classified call counts in, if it matched a subscription.
    public static func usageKey(_ call: ClassifiedCall) -> UsageKey? {
        guard let sub = call.subscription, let period = call.period else { return nil }
        return UsageKey(subscriptionId: sub.id, periodStart: period.start)
    }
}

/// Prices a whole usage period again (`rerate`): its calls are given, in
/// (start_time, uuid) order, to `price`, which splits and prices each and
/// keeps the row's totals.
public struct PeriodPricer: Sendable {
    private var minutes: IncludedMinutes
    private let plan: RatePlan
    private let imported: UsageTotals
    public private(set) var totals: UsageTotals
    public private(set) var callCost = Money.zero

    /// A period of a subscription on `plan` (as the catalog has it now), with
    /// `imported` usage no call accounts for: its minutes are used before every
    /// call, and its minutes and answered calls stay in the totals as they are.
    public init(plan: RatePlan, imported: UsageTotals) {
        self.plan = plan
        self.imported = imported
        minutes = IncludedMinutes(included: plan.includedMinutes, imported: imported.minutesUsed)
        totals = imported
    }

    /// The next call: its included and overage minutes and its cost now.
    public mutating func price(chargedMinutes: Int, status: CallStatus, type: CallType) -> (included: Int, overage: Int, cost: Money) {
        let (included, overage) = minutes.take(chargedMinutes)
        let cost = Pricing.cost(overageMinutes: overage, rate: plan.overageRatePerMinute)
        totals.add(chargedMinutes: chargedMinutes, status: status, type: type)
        callCost += cost
        return (included, overage, cost)
    }

    /// The usage row once every call of the period was priced.
    public var row: UsageRow {
        UsageRow(minutesIncluded: plan.includedMinutes, imported: imported, totals: totals, callCost: callCost)
    }
}

/// A `subscription_usage` row as rating keeps it. SPEC section 3: after every
/// commit, `overage_cost` = the period's call costs rounded half-up to paise,
/// and a prepaid balance has gone down by exactly the growth of it.
public struct UsageRow: Sendable, Equatable {
    /// `minutes_included`: the plan's included minutes when the row was priced.
    public var minutesIncluded: Int
    /// Usage recorded beyond what the stored calls account for (imported from
    /// an earlier system): minutes and answered calls by type, kept apart.
    public var imported: UsageTotals
    /// Counters; they count the imported usage too.
    public var totals: UsageTotals
    /// The exact sum of the period's call costs.
    public var callCost: Money
    /// `overage_cost` as stored.
    public var overageCost: Money

    public init(minutesIncluded: Int, imported: UsageTotals = UsageTotals(), totals: UsageTotals = UsageTotals(),
                callCost: Money = .zero, overageCost: Money? = nil) {
        self.minutesIncluded = minutesIncluded
        self.imported = imported
        self.totals = totals
        self.callCost = callCost
        self.overageCost = overageCost ?? callCost.roundedToPaise
    }

    /// Imported minutes: used before every call of the period.
    public var importedMinutes: Int { imported.minutesUsed }

    /// `minutes_overage`: max(0, used - included).
    public var minutesOverage: Int { max(0, totals.minutesUsed - minutesIncluded) }

    /// The row after its calls' usage and costs changed by these.
    public func adding(_ usage: UsageTotals, cost: Money) -> UsageRow {
        UsageRow(minutesIncluded: minutesIncluded, imported: imported, totals: totals + usage,
                 callCost: callCost + cost)
    }

    /// What a prepaid account is debited when its row goes from `before` to
    /// `after`: the growth of the rounded overage cost; negative is a credit.
    public static func prepaidDebit(from before: UsageRow, to after: UsageRow) -> Money {
        after.overageCost - before.overageCost
    }
}
