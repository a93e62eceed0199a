/// A call matched to a subscription (or not) and classified, before included
/// minutes are allocated.
public struct ClassifiedCall: Sendable {
    public var record: CallDetailRecord
    public var subscription: Subscription?
    public var direction: CallDirection
    public var type: CallType
    public var status: CallStatus
    /// The call's price before the bundle, when the subscription pays for it; nil otherwise.
    public var charge: CallCharge?
    /// Why no subscription matched, for `processing_error`. Written out only
    /// when read: a dry run never reads it, and formatting it was a fifth of
    /// classifying an unmatched call.
    public var unmatchedReason: String? {
        get {
            switch unmatched {
            case .matched: return nil
            case .text(let s): return s
            case .noSubscription(let accountKnown): return CallClassifier.noSubscriptionReason(record, accountKnown: accountKnown)
            }
        }
        set { unmatched = newValue.map { .text($0) } ?? .matched }
    }
    var unmatched: Unmatched

    enum Unmatched: Sendable {
        case matched
        case text(String)
        /// No subscription in force: the reason is made of the record and whether its account code is an account.
        case noSubscription(accountKnown: Bool)
    }
    /// The usage period the call falls in (nil when unmatched).
    public var period: UsagePeriod?

    public init(record: __owned CallDetailRecord, subscription: Subscription?, direction: CallDirection, type: CallType,
                status: CallStatus, charge: CallCharge?, unmatchedReason: String?, period: UsagePeriod?) {
        self.record = record
        self.subscription = subscription
        self.direction = direction
        self.type = type
        self.status = status
        self.charge = charge
        self.unmatched = unmatchedReason.map { .text($0) } ?? .matched
        self.period = period
    }

    /// The most this call can cost: its price with nothing covered.
    public var maximumCost: Money { charge?.fullCost ?? .zero }

    /// Minutes charged to the subscription, its billed seconds / 60 rounded up (0 when it does not pay).
    public var chargedMinutes: Int { CallCharge.minutes(billedSeconds) }

    /// Billed seconds charged to the subscription (0 when it does not pay).
    public var billedSeconds: Int { charge?.billedSeconds ?? 0 }

    /// The call as minute allocation sees it, when it is charged.
    public var allocationCharge: Charge? {
        guard let charge, charge.billedSeconds > 0 else { return nil }
        return Charge(start: record.start, key: record.key, price: charge)
    }
}

/// SPEC section 3 "Subscription in force", matching order, direction, call
/// type and who pays: one home for each rule.
public struct CallClassifier: Sendable {
    public let catalog: Catalog
    public let businessZone: ZoneRules

    public init(catalog: Catalog, businessZone: ZoneRules) {
        self.catalog = catalog
        self.businessZone = businessZone
    }

    public func classify(_ record: CallDetailRecord) -> ClassifiedCall {
        var periods = PeriodMemo()
        return classify(record, periods: &periods)
    }

    /// The usage period each anchor's calls fell in last: the calls of a
    /// chunk fall in a few periods, and finding one by the calendar cost
    /// about as much as the rest of classifying the call. Periods of one
    /// anchor do not overlap, so a period that holds the instant is the one.
    public struct PeriodMemo {
        private var last: [Int64: UsagePeriod] = [:]
        public init() {}

        mutating func period(_ instant: Int64, anchor: Int64, zone: ZoneRules) -> UsagePeriod {
            if let p = last[anchor], p.start <= instant && instant < p.end { return p }
            let p = UsagePeriod.containing(instant, anchor: anchor, zone: zone)
            last[anchor] = p
            return p
        }
    }

    /// `classify`, remembering periods in `periods` from call to call (one memo per worker).
    public func classify(_ record: __owned CallDetailRecord, periods: inout PeriodMemo) -> ClassifiedCall {
        let t = record.start
        let status = CallStatus.from(billsec: record.billsec, cause: record.hangupCause)
        var subscription: Subscription?
        if !record.accountCode.isEmpty { subscription = catalog.subscription(accountNumber: record.accountCode, at: t) }
        if subscription == nil { subscription = catalog.did(record.destination, at: t)?.1 }
        if subscription == nil { subscription = catalog.did(record.callerId, at: t)?.1 }

        guard let subscription else {
            var call = ClassifiedCall(record: record, subscription: nil, direction: .outbound,
                                      type: NumberPlan.outboundCallType(record.destination), status: status,
                                      charge: nil, unmatchedReason: nil, period: nil)
            call.unmatched = .noSubscription(accountKnown: !record.accountCode.isEmpty && catalog.hasAccount(record.accountCode))
            return call
        }
        let direction: CallDirection
        let type: CallType
        let pays: Bool
        if let did = catalog.did(record.destination, of: subscription) {
            direction = .inbound
            type = did.type.inboundCallType
            pays = status == .answered && did.type == .toll_free
        } else {
            direction = .outbound
            type = NumberPlan.outboundCallType(record.destination)
            pays = status == .answered
        }
        var charge: CallCharge?
        if pays && record.billsec > 0 {
            if let tariff = subscription.plan.tariff {
                do {
                    charge = try catalog.tariffs.charge(tariff: tariff, destination: record.destination, start: t, billsec: record.billsec)
                } catch {
                    // SPEC 3c step 2: no price; stored as failed, like a call no subscription matched, and
                    // retried by `rerate --unmatched` once the tariff prices it.
                    return ClassifiedCall(record: record, subscription: nil, direction: direction, type: type, status: status,
                                          charge: nil, unmatchedReason: "\(error.description) (plan \(subscription.plan.name), "
                                              + "subscription \(subscription.number))", period: nil)
                }
            } else {
                charge = .flat(billsec: record.billsec, rate: subscription.plan.overageRatePerMinute)
            }
        }
        return ClassifiedCall(record: record, subscription: subscription, direction: direction, type: type,
                              status: status, charge: charge, unmatchedReason: nil,
                              period: periods.period(t, anchor: subscription.start, zone: businessZone))
    }

    /// Why no subscription matched `r`; `accountKnown`: its account code is an account's.
    static func noSubscriptionReason(_ r: CallDetailRecord, accountKnown: Bool) -> String {
        let when = postgresTimestamp(r.start)
        if accountKnown {
            return "account \(r.accountCode) has no subscription in force at \(when), and neither destination \(r.destination) nor caller \(r.callerId) is a DID of one"
        }
        let account = r.accountCode.isEmpty ? "no account code" : "account code '\(r.accountCode)' is no account"
        return "no subscription in force at \(when): \(account), and neither destination \(r.destination) nor caller \(r.callerId) is a DID of one"
    }
}
