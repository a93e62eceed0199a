/// Included minutes and the money they save: SPEC section 3, "Minutes and money".
///
/// Within one usage row (subscription, period), included minutes go to the
/// charged calls in (start_time, uuid byte order) over every call the
/// database holds, whenever it arrived. Only the stored calls that still hold
/// included minutes can lose some when an earlier call arrives, so a batch is
/// allocated against those alone (`PeriodBasis.held`), never the whole period.

/// The included minutes of one usage row, in billed seconds (SPEC 3c: the
/// allowance is the plan's included minutes x 60), handed out call by call in order.
public struct IncludedMinutes: Sendable, Equatable {
    /// Billed seconds still to hand out.
    public private(set) var left: Int

    /// `included` minutes of the plan, of which `imported` (usage that no
    /// stored call accounts for) count as used before every call.
    public init(included: Int, imported: Int) { left = max(0, included - imported) * 60 }

    /// Splits the next call's in-bundle billed seconds into covered and not.
    public mutating func take(_ seconds: Int) -> (covered: Int, uncovered: Int) {
        let covered = min(seconds, left)
        left -= covered
        return (covered, seconds - covered)
    }
}

/// A charged call as minute allocation sees it.
public struct Charge: Sendable {
    public let start: Int64
    public let key: CDRKey
    public let price: CallCharge
    /// The billed seconds the bundle may cover.
    public var seconds: Int { price.bundleSeconds }

    public init(start: Int64, key: CDRKey, price: CallCharge) {
        self.start = start
        self.key = key
        self.price = price
    }

    /// A call of a plan without a tariff, of `minutes` charged minutes.
    public init(start: Int64, uuid: String, minutes: Int) {
        self.init(start: start, key: CDRKey(uuid), minutes: minutes)
    }

    public init(start: Int64, key: CDRKey, minutes: Int) {
        self.init(start: start, key: key, price: CallCharge(billedSeconds: minutes * 60, bundleSeconds: minutes * 60,
                                                             fullCost: .zero, tariff: nil))
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
    public let price: CallCharge
    /// Billed seconds the bundle covers.
    public var coveredSeconds: Int
    public var cost: Money

    public init(uuid: String, start: Int64, price: CallCharge, coveredSeconds: Int, cost: Money) {
        self.uuid = uuid
        self.start = start
        self.price = price
        self.coveredSeconds = coveredSeconds
        self.cost = cost
    }

    /// A call of a plan without a tariff: `minutes` charged, `includedMinutes` of them covered.
    public init(uuid: String, start: Int64, minutes: Int, includedMinutes: Int, cost: Money) {
        self.init(uuid: uuid, start: start, price: CallCharge(billedSeconds: minutes * 60, bundleSeconds: minutes * 60,
                                                             fullCost: .zero, tariff: nil),
                  coveredSeconds: includedMinutes * 60, cost: cost)
    }

    /// The billed seconds the bundle may cover.
    public var seconds: Int { price.bundleSeconds }
    public var overageSeconds: Int { price.billedSeconds - coveredSeconds }
    public var charge: Charge { Charge(start: start, key: CDRKey(uuid), price: price) }
}

/// A usage row as a batch finds it.
public struct PeriodBasis: Sendable {
    /// The included minutes the row is priced with (`minutes_included`).
    public var included: Int
    /// Minutes recorded beyond what the row's stored calls account for.
    public var imported: Int
    /// The overage rate new pricing uses for calls of a plan without a tariff: the plan's rate now.
    public var rate: Money
    /// The stored calls that hold included minutes, in any order.
    public var held: [HeldCall]
    /// Prices tariff calls once the bundle covered some of them.
    public var book: TariffBook
    /// Billed seconds of included minutes left before any call: what `BatchCharges` keeps calls for.
    public var room: Int { IncludedMinutes(included: included, imported: imported).left }

    public init(included: Int, imported: Int, rate: Money, held: [HeldCall] = [], book: TariffBook = .empty) {
        self.included = included
        self.imported = imported
        self.rate = rate
        self.held = held
        self.book = book
    }

    /// What `charge` costs with `covered` seconds covered.
    public func cost(_ charge: Charge, covered: Int) -> Money {
        book.cost(charge.price, start: charge.start, covered: covered, flatRate: rate)
    }
}

/// A stored call whose split changed because an earlier call arrived.
public struct Repricing: Sendable, Equatable {
    public let before: HeldCall
    public let after: HeldCall
    public var costDelta: Money { after.cost - before.cost }
}

/// The one home of re-pricing a stored call whose covered seconds changed.
public enum Pricing {
    /// A stored call re-priced because the bundle now covers `covered` of its
    /// seconds. A tariff call is priced again by the version and prefix that
    /// priced it (its price is a function of the call and that version). A
    /// call of a plan without a tariff keeps the price of the minutes it
    /// already paid for (editing a plan never changes calls already priced);
    /// the newly uncovered minutes cost `basis.rate`. (A call that gains
    /// covered minutes, which only inconsistent stored data allows, is
    /// refunded at that rate, never below zero.)
    public static func repriced(_ call: HeldCall, covered: Int, basis: PeriodBasis) -> HeldCall {
        var after = call
        after.coveredSeconds = covered
        if call.price.tariff != nil {
            after.cost = basis.cost(call.charge, covered: covered)
        } else {
            after.cost = max(.zero, call.cost + CallCharge.flatCost(seconds: call.coveredSeconds - covered, rate: basis.rate))
        }
        return after
    }
}

/// What a batch of new calls contributes to one usage row.
public struct BatchMinutes: Sendable, Equatable {
    /// Billed seconds the bundle covers.
    public var coveredSeconds = 0
    /// Billed seconds it does not.
    public var overageSeconds = 0
    /// The sum of the batch's call costs.
    public var cost = Money.zero

    public init(coveredSeconds: Int = 0, overageSeconds: Int = 0, cost: Money = .zero) {
        self.coveredSeconds = coveredSeconds
        self.overageSeconds = overageSeconds
        self.cost = cost
    }

    /// The report's included and overage minutes: rounded up.
    public var includedMinutes: Int { CallCharge.minutes(coveredSeconds) }
    public var overageMinutes: Int { CallCharge.minutes(overageSeconds) }
}

/// Where included minutes run out in each usage row, so that any new call
/// can be split and priced on its own, in any order (the second pass);
/// and which stored calls a batch re-prices.
public struct AllocationPlan: Sendable {
    /// The call at which the row's included minutes run out, and how many of
    /// its seconds are still covered; absent when they never run out.
    struct Threshold {
        let call: Charge
        let coveredPart: Int
        /// A row with no included minutes left: every new call is overage.
        static let everythingOverage = Threshold(call: Charge(start: .min, key: .text(""), minutes: 0), coveredPart: 0)
    }

    fileprivate(set) var thresholds: [UsageKey: Threshold] = [:]
    fileprivate(set) var bases: [UsageKey: PeriodBasis] = [:]
    /// Per usage row: the batch's covered and overage seconds and cost.
    public fileprivate(set) var batch: [UsageKey: BatchMinutes] = [:]
    /// Per usage row: stored calls whose split changed, in call order.
    public fileprivate(set) var repricings: [UsageKey: [Repricing]] = [:]
    /// Per usage row: the calls, stored or new, that hold included minutes after the batch.
    public fileprivate(set) var held: [UsageKey: [HeldCall]] = [:]

    /// Covered and overage billed seconds of one new charged call.
    public func split(_ key: UsageKey, _ call: Charge) -> (covered: Int, overage: Int) {
        let billed = call.price.billedSeconds
        guard call.seconds > 0 else { return (0, billed) }
        guard let t = thresholds[key] else { return (call.seconds, billed - call.seconds) }
        if call.start == t.call.start && call.key == t.call.key { return (t.coveredPart, billed - t.coveredPart) }
        return call.precedes(t.call) ? (call.seconds, billed - call.seconds) : (0, billed)
    }

    /// Covered and overage seconds and cost of one new charged call of usage row `key`.
    public func price(_ key: UsageKey, _ call: Charge) -> (covered: Int, overage: Int, cost: Money) {
        let (covered, overage) = split(key, call)
        let basis = bases[key] ?? PeriodBasis(included: 0, imported: 0, rate: .zero)
        return (covered, overage, basis.cost(call, covered: covered))
    }

    /// A new classified call with its seconds split and priced.
    public func rate(_ call: ClassifiedCall) -> RatedCall {
        guard let charge = call.allocationCharge, let key = MinuteAllocator.usageKey(call) else { return RatedCall(call: call) }
        let (covered, overage) = split(key, charge)
        let basis = bases[key] ?? PeriodBasis(included: 0, imported: 0, rate: call.subscription!.plan.overageRatePerMinute)
        return RatedCall(call: call, coveredSeconds: covered, overageSeconds: overage, cost: basis.cost(charge, covered: covered))
    }
}

/// A usage row's new charged calls, as minute allocation needs them, in
/// memory that does not grow with the batch: once the earliest calls' in-bundle
/// seconds reach `room` (the included seconds left to hand out), no later call
/// can be covered. Only those are kept; the later ones, and the calls with
/// nothing in the bundle, are all overage and kept as counts and sums.
public struct BatchCharges: Sendable {
    /// Included seconds the row has left before the batch: `minutes_included` less imported minutes, x 60.
    public let room: Int
    /// The kept calls: sorted and cut now and then (not a heap).
    private var kept: [Charge] = []
    private var limit = 64
    private var later = Later()
    /// `kept` is sorted and cut to `room`: reading it copies nothing.
    private var sealed = false
    /// The last cut kept calls whose in-bundle seconds reach `room`, the last
    /// of them `boundary` (nil: no room at all). A call that sorts after it has
    /// at least those calls before it whatever comes later, so it can never be
    /// covered: `add` cuts it at once (most calls of a busy row) instead of
    /// keeping and sorting it. The result is the same, only sooner.
    private var full = false
    private var boundary: Charge?

    /// Calls no included second can reach: how many, their billed seconds, and their cost apart from flat ones.
    public struct Later: Sendable, Equatable {
        public var calls = 0
        /// Calls past the earliest that fill the room (the room may not grow for them).
        public var cut = 0
        public var billedSeconds = 0
        /// Billed seconds of calls of a plan without a tariff: priced at the row's rate when planned.
        public var flatSeconds = 0
        /// The cost of tariff calls, none of them covered.
        public var tariffCost = Money.zero

        mutating func add(_ c: Charge) {
            calls += 1
            billedSeconds += c.price.billedSeconds
            if c.price.tariff == nil { flatSeconds += c.price.billedSeconds } else { tariffCost += c.price.fullCost }
        }
    }

    public init(room: Int) { self.room = max(0, room) }

    public var isEmpty: Bool { kept.isEmpty && later.calls == 0 }

    /// Takes one charged call (billed seconds > 0), in any order.
    public mutating func add(_ charge: Charge) {
        precondition(charge.price.billedSeconds > 0, "only charged calls take part in minute allocation")
        guard charge.seconds > 0 else { later.add(charge); return }
        if full, boundary.map({ $0.precedes(charge) }) ?? true {
            // After the last call the last cut kept (or no room at all): every cut from now on sorts it past the room.
            later.add(charge)
            later.cut += 1
            return
        }
        kept.append(charge)
        sealed = false
        if kept.count > limit { cut() }
    }

    /// Sorts and cuts the kept calls once all are added, so that reading
    /// `earliest` (several times a file) does not sort a copy each time.
    public mutating func seal() { if !sealed { cut() } }

    /// The earliest calls in (start_time, uuid) order whose in-bundle seconds reach `room`.
    public var earliest: [Charge] { cutToRoom.kept }
    /// The calls no included second can reach.
    public var laterCalls: Later { cutToRoom.later }

    private var cutToRoom: BatchCharges {
        if sealed { return self }
        var copy = self
        copy.cut()
        return copy
    }

    private mutating func cut() {
        kept.sort { $0.precedes($1) }
        var before = 0, keep = 0
        for c in kept {
            if before >= room { break }
            before += c.seconds
            keep += 1
        }
        full = before >= room
        boundary = full && keep > 0 ? kept[keep - 1] : nil
        for c in kept.dropFirst(keep) {
            later.add(c)
            later.cut += 1
        }
        kept.removeLast(kept.count - keep)
        limit = max(64, 2 * keep)
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
    /// the row's held calls and included seconds handed out in order; calls
    /// past the kept ones are all overage.
    /// `keepEveryCall` keeps every call in `held`, not only those holding included minutes.
    public static func plan(_ charges: [UsageKey: BatchCharges], basis: (UsageKey) -> PeriodBasis,
                            keepEveryCall: Bool = false) -> AllocationPlan {
        var plan = AllocationPlan()
        for (key, charges) in charges where !charges.isEmpty {
            let (earliest, later) = (charges.earliest, charges.laterCalls)
            let b = basis(key)
            precondition(b.room <= charges.room || later.cut == 0, "usage row \(key) gained room after its calls were read")
            plan.bases[key] = b
            // Stored calls carry their index into `b.held`, new ones nil.
            var merged: [(charge: Charge, held: Int?)] = earliest.map { ($0, nil) }
            merged += b.held.enumerated().map { ($1.charge, $0) }
            merged.sort { $0.charge.precedes($1.charge) }
            var allowance = IncludedMinutes(included: b.included, imported: b.imported)
            var batch = BatchMinutes(), repriced: [Repricing] = [], held: [HeldCall] = []
            for (charge, index) in merged {
                let (covered, uncovered) = allowance.take(charge.seconds)
                // Where the seconds run out: at a call with uncovered seconds, or one that takes the last exactly
                // (the calls after it, the cut ones among them, are all overage).
                if (uncovered > 0 || allowance.left == 0) && plan.thresholds[key] == nil {
                    plan.thresholds[key] = AllocationPlan.Threshold(call: charge, coveredPart: covered)
                }
                if let index {
                    let before = b.held[index]
                    let after = covered == before.coveredSeconds ? before : Pricing.repriced(before, covered: covered, basis: b)
                    if after != before { repriced.append(Repricing(before: before, after: after)) }
                    if covered > 0 || keepEveryCall { held.append(after) }
                } else {
                    let cost = b.cost(charge, covered: covered)
                    batch.coveredSeconds += covered
                    batch.overageSeconds += charge.price.billedSeconds - covered
                    batch.cost += cost
                    if covered > 0 || keepEveryCall {
                        held.append(HeldCall(uuid: charge.key.text, start: charge.start, price: charge.price,
                                             coveredSeconds: covered, cost: cost))
                    }
                }
            }
            if later.cut > 0, plan.thresholds[key] == nil {
                // Past the earliest calls that fill the room the row has no included seconds left.
                plan.thresholds[key] = .everythingOverage
            }
            batch.overageSeconds += later.billedSeconds
            batch.cost += CallCharge.flatCost(seconds: later.flatSeconds, rate: b.rate) + later.tariffCost
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
    private var allowance: IncludedMinutes
    private let plan: RatePlan
    private let basis: PeriodBasis
    private let imported: UsageTotals
    public private(set) var totals: UsageTotals
    public private(set) var callCost = Money.zero

    /// A period of a subscription on `plan` (as the catalog has it now), with
    /// `imported` usage no call accounts for: its minutes are used before every
    /// call, and its minutes and answered calls stay in the totals as they are.
    public init(plan: RatePlan, imported: UsageTotals, book: TariffBook = .empty) {
        self.plan = plan
        self.imported = imported
        basis = PeriodBasis(included: plan.includedMinutes, imported: imported.minutesUsed, rate: plan.overageRatePerMinute, book: book)
        allowance = IncludedMinutes(included: plan.includedMinutes, imported: imported.minutesUsed)
        totals = imported
    }

    /// The next call (`charge` nil when it is not charged): its covered and
    /// overage billed seconds and its cost now.
    public mutating func price(_ charge: Charge?, status: CallStatus, type: CallType) -> (covered: Int, overage: Int, cost: Money) {
        totals.add(billedSeconds: charge?.price.billedSeconds ?? 0, status: status, type: type)
        guard let charge else { return (0, 0, .zero) }
        let (covered, _) = allowance.take(charge.seconds)
        let cost = basis.cost(charge, covered: covered)
        totals.coveredSeconds += covered
        callCost += cost
        return (covered, charge.price.billedSeconds - covered, cost)
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

    /// `minutes_used` (SPEC 3c): imported minutes + the calls' billed seconds / 60, rounded up once.
    public var minutesUsed: Int { totals.minutesUsed + CallCharge.minutes(totals.billedSeconds) }

    /// `minutes_overage`: the calls' uncovered billed seconds / 60, rounded up
    /// once, and the imported minutes past the included ones. For a plan
    /// without a tariff this is SPEC 3's max(0, used - included).
    public var minutesOverage: Int {
        CallCharge.minutes(totals.billedSeconds - totals.coveredSeconds) + max(0, importedMinutes - minutesIncluded)
    }

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
