import Foundation
import Postgres
import RatingRules

// The values the stores take and give: a stored call's price and match before and after a change, where a change comes from, a usage row to write.

/// A stored call's price and billed seconds, before or after a change.
struct PricedCall: Equatable {
    var subscriptionId: String?
    var cost: Money
    /// The usage period the call counts in; nil when it matched no subscription.
    var periodStart: Int64?
    /// Billed seconds of the call, of its in-bundle segments, and those the bundle covers.
    var billedSeconds = 0, bundleSeconds = 0, coveredSeconds = 0
    /// What priced it, for a tariff call.
    var tariff: TariffAudit? = nil

    /// The minutes `cdrs.metadata` and the cost history show: rounded up.
    var chargedMinutes: Int { CallCharge.minutes(billedSeconds) }
    var includedMinutes: Int { CallCharge.minutes(coveredSeconds) }
    var overageMinutes: Int { CallCharge.minutes(billedSeconds - coveredSeconds) }
}

extension PricedCall {
    /// A call of a plan without a tariff: `chargedMinutes`, `includedMinutes` of them covered.
    init(subscriptionId: String?, cost: Money, periodStart: Int64?, chargedMinutes: Int, includedMinutes: Int) {
        self.init(subscriptionId: subscriptionId, cost: cost, periodStart: periodStart, billedSeconds: chargedMinutes * 60,
                  bundleSeconds: chargedMinutes * 60, coveredSeconds: includedMinutes * 60)
    }

    /// A call of usage row `key` priced as `charge`, `covered` of its seconds covered.
    init(key: UsageKey, charge: CallCharge, start: Int64, covered: Int, cost: Money, book: TariffBook) {
        self.init(subscriptionId: key.subscriptionId, cost: cost, periodStart: key.periodStart, billedSeconds: charge.billedSeconds,
                  bundleSeconds: charge.bundleSeconds, coveredSeconds: covered,
                  tariff: TariffAudit(charge, start: start, book: book))
    }

    /// A call of usage row `key` that holds included minutes.
    init(held: HeldCall, key: UsageKey, book: TariffBook) {
        self.init(key: key, charge: held.price, start: held.start, covered: held.coveredSeconds, cost: held.cost, book: book)
    }

    /// The call's price before the bundle, as it was stored: its tariff
    /// version and prefix price it again the same way (`billsec`: the seconds it priced).
    func charge(start: Int64, billsec: Int, book: TariffBook) -> CallCharge {
        if let t = tariff, let ref = book.ref(versionId: t.version, prefix: t.prefix, billsec: billsec),
           let charge = try? book.charge(ref, start: start) {
            return charge
        }
        return CallCharge(billedSeconds: billedSeconds, bundleSeconds: bundleSeconds, fullCost: .zero, tariff: nil)
    }
}

extension PricedCall {
    /// Whether the stored call was priced as `charge` prices it: the same
    /// billed and in-bundle seconds, by the same tariff version and prefix (or none).
    func isPriced(as charge: CallCharge?, book: TariffBook) -> Bool {
        guard let charge else { return billedSeconds == 0 }
        let ref = charge.tariff.map { book.describe($0) }
        return billedSeconds == charge.billedSeconds && bundleSeconds == charge.bundleSeconds
            && tariff?.version == ref?.versionId && tariff?.prefix == ref?.prefix
    }
}

/// What priced a tariff call (SPEC 3c: "each rated call keeps in metadata
/// what priced it"): tariff, version, prefix and the bands of its segments.
struct TariffAudit: Equatable {
    var tariff: String
    var version: Int64
    var prefix: String
    /// The bands of its segments in walk order, each once, joined by `,`.
    var bands: String

    init(tariff: String, version: Int64, prefix: String, bands: String) {
        (self.tariff, self.version, self.prefix, self.bands) = (tariff, version, prefix, bands)
    }

    /// nil for a call of a plan without a tariff.
    init?(_ charge: CallCharge, start: Int64, book: TariffBook) {
        guard let ref = charge.tariff else { return nil }
        let d = book.describe(ref)
        // The segments, hence their bands, do not depend on what the bundle covers.
        self.init(tariff: d.tariff, version: d.versionId, prefix: d.prefix, bands: book.bands(ref, start: start))
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
