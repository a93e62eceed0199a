import Foundation

/// Byte order of the UTF-8 text: how ties on start time are broken between uuids.
@inline(__always)
public func bytewiseLess(_ a: String, _ b: String) -> Bool {
    var a = a, b = b
    return a.withUTF8 { x in
        b.withUTF8 { y in
            let n = min(x.count, y.count)
            let c = n == 0 ? 0 : memcmp(x.baseAddress!, y.baseAddress!, n)
            return c != 0 ? c < 0 : x.count < y.count
        }
    }
}

/// One `subscription_usage` row's key: a subscription and a period start.
public struct UsageKey: Hashable, Sendable, Comparable {
    public let subscriptionId: String
    public let periodStart: Int64

    public init(subscriptionId: String, periodStart: Int64) {
        self.subscriptionId = subscriptionId
        self.periodStart = periodStart
    }

    public static func < (a: UsageKey, b: UsageKey) -> Bool {
        (a.subscriptionId, a.periodStart) < (b.subscriptionId, b.periodStart)
    }
}

/// The counters of one `subscription_usage` row.
public struct UsageTotals: Equatable, Sendable {
    public var minutesUsed = 0
    public var localCalls = 0, stdCalls = 0, isdCalls = 0, mobileCalls = 0
    /// Kept in `metadata.toll_free_calls`: the table has no column for it.
    public var tollFreeCalls = 0

    public init(minutesUsed: Int = 0, localCalls: Int = 0, stdCalls: Int = 0, isdCalls: Int = 0,
                mobileCalls: Int = 0, tollFreeCalls: Int = 0) {
        self.minutesUsed = minutesUsed
        self.localCalls = localCalls
        self.stdCalls = stdCalls
        self.isdCalls = isdCalls
        self.mobileCalls = mobileCalls
        self.tollFreeCalls = tollFreeCalls
    }

    /// Adds what one call of the subscription contributes: its charged
    /// minutes, and one to its type's counter when it was answered.
    public mutating func add(_ call: ClassifiedCall) {
        minutesUsed += call.chargedMinutes
        if call.status == .answered { countAnswered(call.type) }
    }

    /// Counts one answered call of the subscription by its type.
    public mutating func countAnswered(_ type: CallType) {
        switch type {
        case .local: localCalls += 1
        case .std: stdCalls += 1
        case .isd: isdCalls += 1
        case .mobile: mobileCalls += 1
        case .toll_free: tollFreeCalls += 1
        }
    }

    public static func + (a: UsageTotals, b: UsageTotals) -> UsageTotals {
        UsageTotals(minutesUsed: a.minutesUsed + b.minutesUsed, localCalls: a.localCalls + b.localCalls,
                    stdCalls: a.stdCalls + b.stdCalls, isdCalls: a.isdCalls + b.isdCalls,
                    mobileCalls: a.mobileCalls + b.mobileCalls, tollFreeCalls: a.tollFreeCalls + b.tollFreeCalls)
    }

    /// max(0, used - included).
    public func minutesOverage(included: Int) -> Int { max(0, minutesUsed - included) }

    /// minutes_overage x rate, rounded half-up to paise.
    public func overageCost(plan: RatePlan) -> Money {
        plan.overageRatePerMinute.times(minutesOverage(included: plan.includedMinutes)).roundedToPaise
    }
}

/// A call with its included and overage minutes and its cost.
public struct RatedCall: Sendable {
    public var call: ClassifiedCall
    public var includedMinutes = 0
    public var overageMinutes = 0
    public var cost = Money.zero
}

/// A charged call as minute allocation sees it.
public struct Charge: Sendable {
    public let start: Int64
    public let key: CDRKey
    public let minutes: Int

    public init(start: Int64, uuid: String, minutes: Int) {
        self.start = start
        key = CDRKey(uuid)
        self.minutes = minutes
    }

    /// (start_time, uuid) order, uuids compared byte by byte.
    func precedes(_ other: Charge) -> Bool {
        start != other.start ? start < other.start : key < other.key
    }
}

/// Where included minutes run out in each usage row, so that any charged call
/// can be split into included and overage minutes on its own, in any order.
public struct AllocationPlan: Sendable {
    /// The call at which the row's included minutes run out, and how many of
    /// its minutes are still included; absent when they never run out.
    struct Threshold {
        let call: Charge
        let includedPart: Int
    }

    fileprivate(set) var thresholds: [UsageKey: Threshold] = [:]
    /// Per usage row: charged minutes of the batch that are included / overage.
    public fileprivate(set) var totals: [UsageKey: (included: Int, overage: Int)] = [:]

    /// Included and overage minutes of one charged call.
    public func split(_ key: UsageKey, start: Int64, uuid: String, minutes: Int) -> (included: Int, overage: Int) {
        guard let t = thresholds[key] else { return (minutes, 0) }
        let call = Charge(start: start, uuid: uuid, minutes: minutes)
        if call.start == t.call.start && call.key == t.call.key { return (t.includedPart, minutes - t.includedPart) }
        return call.precedes(t.call) ? (minutes, 0) : (0, minutes)
    }
}

/// Uses up included minutes in (start_time, uuid) order within each
/// (subscription, period), after the minutes already recorded for it.
public enum MinuteAllocator {
    /// Plans a batch: `charges` per usage row (uuids unique), `included` the
    /// plan's included minutes of a row, `alreadyUsed` the minutes recorded
    /// for it before the batch.
    public static func plan(_ charges: [UsageKey: [Charge]], included: (UsageKey) -> Int,
                            alreadyUsed: (UsageKey) -> Int) -> AllocationPlan {
        var plan = AllocationPlan()
        for (key, list) in charges where !list.isEmpty {
            let ordered = list.sorted { $0.precedes($1) }
            let left = max(0, included(key) - alreadyUsed(key))
            let total = ordered.reduce(0) { $0 + $1.minutes }
            plan.totals[key] = (min(total, left), total - min(total, left))
            var before = 0
            for c in ordered {
                if before + c.minutes > left {
                    plan.thresholds[key] = AllocationPlan.Threshold(call: c, includedPart: left - before)
                    break
                }
                before += c.minutes
            }
        }
        return plan
    }

    /// The usage row a classified call counts in, if it matched a subscription.
    public static func usageKey(_ call: ClassifiedCall) -> UsageKey? {
        guard let sub = call.subscription, let period = call.period else { return nil }
        return UsageKey(subscriptionId: sub.id, periodStart: period.start)
    }

    /// Rates `calls` (uuids unique); `alreadyUsed` gives the minutes recorded
    /// for a usage row before this batch. Returns the rated calls (same order)
    /// and the usage this batch adds per row.
    public static func allocate(_ calls: [ClassifiedCall], alreadyUsed: (UsageKey) -> Int)
        -> (rated: [RatedCall], added: [UsageKey: UsageTotals])
    {
        var added: [UsageKey: UsageTotals] = [:]
        var charges: [UsageKey: [Charge]] = [:]
        var included: [UsageKey: Int] = [:]
        for call in calls {
            guard let key = usageKey(call) else { continue }
            added[key, default: UsageTotals()].add(call)
            if call.chargedMinutes > 0 {
                charges[key, default: []].append(Charge(start: call.record.start, uuid: call.record.uuid, minutes: call.chargedMinutes))
                included[key] = call.subscription!.plan.includedMinutes
            }
        }
        let plan = plan(charges, included: { included[$0] ?? 0 }, alreadyUsed: alreadyUsed)
        return (calls.map { rate($0, plan) }, added)
    }

    /// A classified call with its minutes split and priced by the plan.
    public static func rate(_ call: ClassifiedCall, _ plan: AllocationPlan) -> RatedCall {
        var r = RatedCall(call: call)
        guard call.chargedMinutes > 0, let key = usageKey(call) else { return r }
        (r.includedMinutes, r.overageMinutes) = plan.split(key, start: call.record.start, uuid: call.record.uuid, minutes: call.chargedMinutes)
        r.cost = call.subscription!.plan.overageRatePerMinute.times(r.overageMinutes)
        return r
    }
}
