/// `rate_plans`: what a subscription's minutes cost.
public struct RatePlan: Sendable, Hashable {
    public let id: String
    public let name: String
    public let includedMinutes: Int
    public let overageRatePerMinute: Money
    /// The tariff that prices its calls (SPEC 3c); nil: its overage rate per 60 s for every destination.
    public let tariff: String?

    public init(id: String, name: String, includedMinutes: Int, overageRatePerMinute: Money, tariff: String? = nil) {
        self.id = id
        self.name = name
        self.includedMinutes = includedMinutes
        self.overageRatePerMinute = overageRatePerMinute
        self.tariff = tariff
    }
}

/// A subscription with what rating needs of its account and plan. A class:
/// every rated call refers to one, and a reference keeps calls small.
public final class Subscription: Sendable, Hashable {
    public enum AccountType: String, Sendable { case prepaid, postpaid }

    public let id: String
    public let number: String
    public let accountId: String
    public let accountNumber: String
    public let accountType: AccountType
    public let plan: RatePlan
    /// Epoch seconds of `start_date`.
    public let start: Int64
    /// Epoch seconds of `coalesce(end_date, cancelled_at)`, nil when open-ended.
    public let end: Int64?

    public init(id: String, number: String, accountId: String, accountNumber: String, accountType: AccountType,
                plan: RatePlan, start: Int64, end: Int64?) {
        self.id = id
        self.number = number
        self.accountId = accountId
        self.accountNumber = accountNumber
        self.accountType = accountType
        self.plan = plan
        self.start = start
        self.end = end
    }

    public static func == (a: Subscription, b: Subscription) -> Bool { a.id == b.id }
    public func hash(into h: inout Hasher) { h.combine(id) }

    /// In force at `t`: `start_date <= t < coalesce(end_date, cancelled_at, infinity)`.
    public func isInForce(at t: Int64) -> Bool { start <= t && (end.map { t < $0 } ?? true) }
}

/// A DID assigned to a subscription, number in `+91...` form.
public struct AssignedDID: Sendable, Hashable {
    public let number: String
    public let type: DIDType
    public let subscriptionId: String

    public init(number: String, type: DIDType, subscriptionId: String) {
        self.number = number
        self.type = type
        self.subscriptionId = subscriptionId
    }
}

/// The subscriptions, accounts and DIDs a run rates against: loaded once,
/// read by every worker.
public struct Catalog: Sendable {
    public let subscriptions: [Subscription]
    public let dids: [AssignedDID]
    /// Every version of the tariffs plans name, loaded once.
    public let tariffs: TariffBook
    /// Each account's subscriptions, a range of `accountSubscriptions` (a range: looking one up retains nothing).
    private let byAccountNumber: [String: Range<Int>]
    private let accountSubscriptions: [Subscription]
    private let byId: [String: Subscription]
    private let didsByNumber: [String: AssignedDID]

    public init(subscriptions: [Subscription], dids: [AssignedDID], tariffs: TariffBook = .empty) {
        self.subscriptions = subscriptions
        self.dids = dids
        self.tariffs = tariffs
        var flat: [Subscription] = [], ranges: [String: Range<Int>] = [:]
        for (account, list) in Dictionary(grouping: subscriptions, by: \.accountNumber) {
            ranges[account] = flat.count ..< flat.count + list.count
            flat += list
        }
        byAccountNumber = ranges
        accountSubscriptions = flat
        byId = Dictionary(subscriptions.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        didsByNumber = Dictionary(dids.map { ($0.number, $0) }, uniquingKeysWith: { a, _ in a })
    }

    public func subscription(id: String) -> Subscription? { byId[id] }

    /// The account's subscription in force at `t`; the latest start wins.
    public func subscription(accountNumber: String, at t: Int64) -> Subscription? {
        guard let range = byAccountNumber[accountNumber] else { return nil }
        // By index, the one found retained once: each retain of a subscription two workers share contends.
        return accountSubscriptions.withUnsafeBufferPointer { list -> Subscription? in
            var best = -1
            for i in range where list[i].isInForce(at: t) {
                if best >= 0, (list[best].start, list[best].id) >= (list[i].start, list[i].id) { continue }
                best = i
            }
            return best >= 0 ? list[best] : nil
        }
    }

    public func hasAccount(_ accountNumber: String) -> Bool { byAccountNumber[accountNumber] != nil }

    /// The DID and its subscription, when the number is a DID of a subscription in force at `t`.
    public func did(_ number: String, at t: Int64) -> (AssignedDID, Subscription)? {
        guard let did = didsByNumber[number], let sub = byId[did.subscriptionId], sub.isInForce(at: t) else { return nil }
        return (did, sub)
    }

    public func did(_ number: String, of subscription: Subscription) -> AssignedDID? {
        guard let did = didsByNumber[number], did.subscriptionId == subscription.id else { return nil }
        return did
    }
}
