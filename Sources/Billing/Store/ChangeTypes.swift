import Foundation
import Postgres
import RatingRules

// The values the stores take and give: a stored call's price and match before and after a change, where a change comes from, a usage row to write.

/// A stored call's price and minutes, before or after a change.
struct PricedCall: Equatable {
    var subscriptionId: String?
    var cost: Money
    /// The usage period the call counts in; nil when it matched no subscription.
    var periodStart: Int64?
    var chargedMinutes = 0
    var includedMinutes = 0
    var overageMinutes: Int { chargedMinutes - includedMinutes }
}

extension PricedCall {
    /// A call of usage row `key` that holds included minutes.
    init(held: HeldCall, key: UsageKey) {
        self.init(subscriptionId: key.subscriptionId, cost: held.cost, periodStart: key.periodStart,
                  chargedMinutes: held.minutes, includedMinutes: held.includedMinutes)
    }
}

/// How a stored call is matched: what `rerate` may change besides its price.
struct CallMatch: Equatable {
    var subscriptionId: String?
    var accountId: String?
    var direction: CallDirection
    var type: CallType
    var status: CallStatus
    var error: String?

    init(_ c: ClassifiedCall) {
        subscriptionId = c.subscription?.id
        accountId = c.subscription?.accountId
        direction = c.direction
        type = c.type
        status = c.status
        error = c.unmatchedReason
    }

    init(subscriptionId: String?, accountId: String?, direction: CallDirection, type: CallType, status: CallStatus, error: String?) {
        self.subscriptionId = subscriptionId
        self.accountId = accountId
        self.direction = direction
        self.type = type
        self.status = status
        self.error = error
    }
}

/// One change to a stored call: a new price, and with `rerate` perhaps a new match.
struct CallChange {
    let uuid: String
    let start: Int64
    let before: PricedCall
    let after: PricedCall
    /// The call's new match; nil keeps the stored one.
    let match: CallMatch?
}

/// What made a change, for the cost history.
enum ChangeSource {
    case lateCall(fileId: String)
    case rerate(runId: String)
}

/// A usage row to write: where it stands before and after.
struct UsageWrite {
    let key: UsageKey
    let periodEnd: Int64
    let subscription: Subscription
    /// nil: no row yet.
    let before: UsageRow?
    let after: UsageRow

    /// The prepaid debit (negative: a credit) this write carries; zero for postpaid.
    var debit: Money {
        guard subscription.accountType == .prepaid else { return .zero }
        return UsageRow.prepaidDebit(from: before ?? UsageRow(minutesIncluded: after.minutesIncluded), to: after)
    }
}
