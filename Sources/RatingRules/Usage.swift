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
    /// Minutes no stored call accounts for (imported usage); the calls' are `billedSeconds`.
    public var minutesUsed = 0
    /// The calls' billed seconds, and those the bundle covers (SPEC 3c: "the exact seconds are kept too").
    public var billedSeconds = 0, coveredSeconds = 0
    public var localCalls = 0, stdCalls = 0, isdCalls = 0, mobileCalls = 0
    /// Kept in `metadata.toll_free_calls`: the table has no column for it.
    public var tollFreeCalls = 0

    public init(minutesUsed: Int = 0, billedSeconds: Int = 0, coveredSeconds: Int = 0, localCalls: Int = 0, stdCalls: Int = 0,
                isdCalls: Int = 0, mobileCalls: Int = 0, tollFreeCalls: Int = 0) {
        self.minutesUsed = minutesUsed
        self.billedSeconds = billedSeconds
        self.coveredSeconds = coveredSeconds
        self.localCalls = localCalls
        self.stdCalls = stdCalls
        self.isdCalls = isdCalls
        self.mobileCalls = mobileCalls
        self.tollFreeCalls = tollFreeCalls
    }

    /// Adds what one call of the subscription contributes: its billed
    /// seconds, and one to its type's counter when it was answered.
    public mutating func add(_ call: ClassifiedCall) {
        add(billedSeconds: call.billedSeconds, status: call.status, type: call.type)
    }

    public mutating func add(billedSeconds: Int, status: CallStatus, type: CallType) {
        self.billedSeconds += billedSeconds
        if status == .answered { countAnswered(type) }
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
        UsageTotals(minutesUsed: a.minutesUsed + b.minutesUsed, billedSeconds: a.billedSeconds + b.billedSeconds,
                    coveredSeconds: a.coveredSeconds + b.coveredSeconds, localCalls: a.localCalls + b.localCalls,
                    stdCalls: a.stdCalls + b.stdCalls, isdCalls: a.isdCalls + b.isdCalls,
                    mobileCalls: a.mobileCalls + b.mobileCalls, tollFreeCalls: a.tollFreeCalls + b.tollFreeCalls)
    }
}

/// A call with its covered and overage billed seconds and its cost.
public struct RatedCall: Sendable {
    public var call: ClassifiedCall
    public var coveredSeconds = 0
    public var overageSeconds = 0
    public var cost = Money.zero

    public init(call: ClassifiedCall, coveredSeconds: Int = 0, overageSeconds: Int = 0, cost: Money = .zero) {
        (self.call, self.coveredSeconds, self.overageSeconds, self.cost) = (call, coveredSeconds, overageSeconds, cost)
    }
}

