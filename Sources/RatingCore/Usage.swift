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

/// Uses up included minutes in (start_time, uuid) order within each
/// (subscription, period), after the minutes already recorded for it.
public enum MinuteAllocator {
    /// Rates `calls`; `alreadyUsed` gives the minutes recorded for a usage row
    /// before this batch. Returns the rated calls (same order) and the usage
    /// this batch adds per row.
    public static func allocate(_ calls: [ClassifiedCall], alreadyUsed: (UsageKey) -> Int)
        -> (rated: [RatedCall], added: [UsageKey: UsageTotals])
    {
        var rated = calls.map { RatedCall(call: $0) }
        var added: [UsageKey: UsageTotals] = [:]
        var charged: [UsageKey: [Int]] = [:]
        for (i, call) in calls.enumerated() {
            guard let sub = call.subscription, let period = call.period else { continue }
            let key = UsageKey(subscriptionId: sub.id, periodStart: period.start)
            if call.status == .answered { added[key, default: UsageTotals()].countAnswered(call.type) }
            if call.chargedMinutes > 0 {
                added[key, default: UsageTotals()].minutesUsed += call.chargedMinutes
                charged[key, default: []].append(i)
            }
        }
        for (key, indices) in charged {
            let order = indices.sorted { a, b in
                if calls[a].record.start != calls[b].record.start { return calls[a].record.start < calls[b].record.start }
                return bytewiseLess(calls[a].record.uuid, calls[b].record.uuid)
            }
            let plan = calls[order[0]].subscription!.plan
            var left = max(0, plan.includedMinutes - alreadyUsed(key))
            for i in order {
                let minutes = calls[i].chargedMinutes
                let included = min(left, minutes)
                left -= included
                rated[i].includedMinutes = included
                rated[i].overageMinutes = minutes - included
                rated[i].cost = plan.overageRatePerMinute.times(minutes - included)
            }
        }
        return (rated, added)
    }
}
