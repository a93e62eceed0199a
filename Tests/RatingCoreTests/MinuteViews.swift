import RatingRules

// The hand-worked tests of plans without a tariff are worked in minutes (SPEC 3): these views read the
// allocation, which works in billed seconds (SPEC 3c), in whole minutes. Every figure they read is a
// multiple of 60 seconds for such a plan.

extension BatchMinutes {
    init(included: Int, overage: Int, cost: Money) {
        self.init(coveredSeconds: included * 60, overageSeconds: overage * 60, cost: cost)
    }
}

extension AllocationPlan {
    func split(_ key: UsageKey, start: Int64, uuid: String, minutes: Int) -> (included: Int, overage: Int) {
        let s = split(key, Charge(start: start, uuid: uuid, minutes: minutes))
        return (s.covered / 60, s.overage / 60)
    }
}

extension HeldCall {
    var minutes: Int { price.billedSeconds / 60 }
    var includedMinutes: Int { coveredSeconds / 60 }
    var overageMinutes: Int { overageSeconds / 60 }
}

extension RatedCall {
    var includedMinutes: Int { coveredSeconds / 60 }
    var overageMinutes: Int { overageSeconds / 60 }
}

extension Pricing {
    static func repriced(_ call: HeldCall, included: Int, rate: Money) -> HeldCall {
        repriced(call, covered: included * 60, basis: PeriodBasis(included: 0, imported: 0, rate: rate))
    }
}

extension PeriodPricer {
    mutating func price(chargedMinutes: Int, status: CallStatus, type: CallType) -> (included: Int, overage: Int, cost: Money) {
        let charge = chargedMinutes > 0 ? Charge(start: 0, uuid: "", minutes: chargedMinutes) : nil
        let p = price(charge, status: status, type: type)
        return (p.covered / 60, p.overage / 60, p.cost)
    }
}

extension ProvisionalPricing.Grant {
    var included: Int { covered / 60 }
}

/// A split and price in billed seconds, read in minutes.
func inMinutes(_ t: (covered: Int, overage: Int, cost: Money)) -> (Int, Int, Money) { (t.covered / 60, t.overage / 60, t.cost) }
