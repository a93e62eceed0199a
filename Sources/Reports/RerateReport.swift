import Foundation
import RatingRules

/// What `rerate` did (or, in a dry run, would do): per subscription and
/// usage period, calls, minutes, cost before and after. SPEC section 3b.
public struct RerateReport: Sendable {
    public struct Period: Sendable, Equatable {
        public var subscription: String
        /// The period's start in the business zone, `YYYY-MM-DD HH:MM:SS`.
        public var periodStart: String
        public var calls = 0
        public var chargedMinutes = 0
        public var includedMinutes = 0
        public var overageMinutes = 0
        public var oldCost = Money.zero
        public var newCost = Money.zero

        public init(subscription: String, periodStart: String) {
            self.subscription = subscription
            self.periodStart = periodStart
        }
    }

    public var dryRun: Bool
    /// New costs are under proposed plans (`--plans`), not the catalog's.
    public var whatIf = false
    /// The zone `periodStart` is written in.
    public var businessZone = "Asia/Kolkata"
    public var periods: [Period] = []
    public var callsExamined = 0
    public var callsRematched = 0
    public var callsRepriced = 0
    /// Matched calls that kept their subscription: none matches them now, or
    /// their row predates the account code and numbers as received.
    public var callsKept = 0
    public var seconds: Double = 0
    /// Seconds spent waiting for another run's rating lock (not in `seconds`' throughput).
    public var lockWaitSeconds: Double = 0

    public init(dryRun: Bool) { self.dryRun = dryRun }

    public var oldCost: Money { periods.reduce(Money.zero) { $0 + $1.oldCost } }
    public var newCost: Money { periods.reduce(Money.zero) { $0 + $1.newCost } }

    static let columns = ["subscription", "period_start", "calls", "charged_min", "included_min", "overage_min",
                          "old_cost", "new_cost", "difference"]

    var rows: [[String]] {
        var out = periods.map { p in
            [p.subscription, p.periodStart, String(p.calls), String(p.chargedMinutes), String(p.includedMinutes),
             String(p.overageMinutes), p.oldCost.description, p.newCost.description, (p.newCost - p.oldCost).signed]
        }
        let t = periods.reduce(into: Period(subscription: "TOTAL", periodStart: "")) {
            $0.calls += $1.calls; $0.chargedMinutes += $1.chargedMinutes; $0.includedMinutes += $1.includedMinutes
            $0.overageMinutes += $1.overageMinutes; $0.oldCost += $1.oldCost; $0.newCost += $1.newCost
        }
        out.append([t.subscription, "", String(t.calls), String(t.chargedMinutes), String(t.includedMinutes),
                    String(t.overageMinutes), t.oldCost.description, t.newCost.description, (t.newCost - t.oldCost).signed])
        return out
    }

    public func render(_ format: RunReport.Format) -> String {
        switch format {
        case .csv:
            return Tabular(columns: RerateReport.columns, rows: rows).csv()
        case .json:
            let object: JSONValue = [
                "dry_run": .bool(dryRun), "what_if": .bool(whatIf), "business_zone": .string(businessZone),
                "calls_examined": .int(callsExamined), "calls_rematched": .int(callsRematched), "calls_repriced": .int(callsRepriced),
                "calls_kept": .int(callsKept),
                "old_cost": .string(oldCost.description), "new_cost": .string(newCost.description),
                "difference": .string((newCost - oldCost).signed),
                "periods": .array(periods.map { p in
                    ["subscription": .string(p.subscription), "period_start": .string(p.periodStart), "calls": .int(p.calls),
                     "charged_minutes": .int(p.chargedMinutes), "included_minutes": .int(p.includedMinutes),
                     "overage_minutes": .int(p.overageMinutes), "old_cost": .string(p.oldCost.description),
                     "new_cost": .string(p.newCost.description), "difference": .string((p.newCost - p.oldCost).signed)]
                }),
            ]
            return object.prettyPrinted + "\n"
        case .table:
            var title = (dryRun ? "DRY RUN: nothing was written. " : "") + "Re-rated usage periods (period_start in \(businessZone))"
            if whatIf { title += " (new_cost: under the proposed plans)" }
            // Subscription and period start to the left, the numbers to the right.
            var out = [title] + Tabular(columns: RerateReport.columns, rows: rows).tableLines(alignment: { $0 < 2 ? .left : .right })
            out.append("")
            out.append(dryRun ? "calls examined: \(callsExamined); would be matched anew: \(callsRematched); would be re-priced: \(callsRepriced)"
                : "calls examined: \(callsExamined); matched anew: \(callsRematched); re-priced: \(callsRepriced)")
            if callsKept > 0 {
                out.append("kept their subscription: \(callsKept) (no subscription matches them now, or rated before the account code was kept)")
            }
            return out.joined(separator: "\n") + "\n"
        }
    }
}
