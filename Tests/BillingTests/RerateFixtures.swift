import RatingRules
@testable import Billing

/// A small catalog and stored calls in memory, for the rerate's pure steps.
///
/// Times are India Standard Time (UTC+05:30, no daylight saving). The plan is
/// small so the arithmetic fits in a comment: 10 included minutes, then 0.50
/// a minute.
enum Rerating {
    static let zone = ZoneRules(identifier: "Asia/Kolkata")!

    static func ist(_ y: Int, _ mo: Int, _ d: Int, _ h: Int = 0, _ mi: Int = 0) -> Int64 {
        zone.instant(of: LocalDateTime(year: y, month: mo, day: d, hour: h, minute: mi))
    }

    static func plan(included: Int = 10, rate: String = "0.50") -> RatePlan {
        RatePlan(id: "plan-small", name: "Small", includedMinutes: included, overageRatePerMinute: Money(rate)!)
    }

    /// Prepaid, periods from the 1st, 00:00 IST; `plan` as priced now.
    static func subA(_ plan: RatePlan = plan()) -> Subscription {
        Subscription(id: "sub-a", number: "SUB-A", accountId: "acct-a", accountNumber: "ACC-A", accountType: .prepaid,
                     plan: plan, start: ist(2024, 10, 1), end: nil)
    }

    static let subA = subA()
    /// Postpaid, periods from the 15th, 10:00 IST.
    static let subB = Subscription(id: "sub-b", number: "SUB-B", accountId: "acct-b", accountNumber: "ACC-B",
                                   accountType: .postpaid, plan: plan(), start: ist(2024, 10, 15, 10), end: nil)
    /// subB's DID: a DID added after some of its calls were stored unmatched.
    static let didB = "+911140002000"
    /// A customer's mobile: outbound calls to it are `mobile`.
    static let customer = "+919812345678"

    static let classifier = CallClassifier(
        catalog: Catalog(subscriptions: [subA, subB], dids: [AssignedDID(number: didB, type: .local, subscriptionId: "sub-b")]),
        businessZone: zone)

    static func key(_ sub: Subscription, _ t: Int64) -> UsageKey {
        UsageKey(subscriptionId: sub.id, periodStart: UsagePeriod.containing(t, anchor: sub.start, zone: zone).start)
    }

    static func period(_ sub: Subscription, containing t: Int64) -> TouchedPeriod {
        TouchedPeriod(key: key(sub, t), subscription: sub, span: UsagePeriod.containing(t, anchor: sub.start, zone: zone))
    }

    /// What the switch wrote: an answered call of `billsec` seconds.
    static func record(_ uuid: String, at start: Int64, account: String = "", caller: String = "+911140009999",
                       destination: String = customer, billsec: Int) -> CallDetailRecord {
        CallDetailRecord(uuid: uuid, callerId: caller, destination: destination, accountCode: account, start: start, answer: nil,
                         end: start + Int64(billsec), duration: billsec, billsec: billsec,
                         hangupCause: billsec > 0 ? "NORMAL_CLEARING" : "NO_ANSWER", lineNumber: 0,
                         callerReceived: caller, destinationReceived: destination)
    }

    /// A call stored as matched to `sub` (outbound, answered, mobile) with this split and cost.
    static func stored(_ uuid: String, at start: Int64, minutes: Int, included: Int, cost: String, of sub: Subscription = subA,
                       record: CallDetailRecord? = nil, periodStart: Int64? = nil) -> StoredCall {
        StoredCall(uuid: uuid, start: start,
                   match: CallMatch(subscriptionId: sub.id, accountId: sub.accountId, direction: .outbound, type: .mobile,
                                    status: .answered, error: nil),
                   priced: PricedCall(subscriptionId: sub.id, cost: Money(cost)!,
                                      periodStart: periodStart ?? key(sub, start).periodStart,
                                      chargedMinutes: minutes, includedMinutes: included),
                   record: record)
    }

    /// A call stored with no subscription (cost 0, no minutes), as `rate` stores one.
    static func unmatched(_ record: CallDetailRecord, error: String) -> StoredCall {
        StoredCall(uuid: record.uuid, start: record.start,
                   match: CallMatch(subscriptionId: nil, accountId: nil, direction: .outbound,
                                    type: NumberPlan.outboundCallType(record.destination),
                                    status: CallStatus.from(billsec: record.billsec, cause: record.hangupCause), error: error),
                   priced: PricedCall(subscriptionId: nil, cost: .zero), record: record)
    }

    /// A stored call matched anew into `sub`'s period, as `Rematcher` hands it on.
    static func arriving(_ record: CallDetailRecord, before: PricedCall = PricedCall(subscriptionId: nil, cost: .zero)) -> RematchedCall {
        let call = classifier.classify(record)
        return RematchedCall(call: call, before: before, key: MinuteAllocator.usageKey(call)!)
    }
}
