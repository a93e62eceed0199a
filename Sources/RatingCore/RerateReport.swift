import Foundation

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
            return ([RerateReport.columns] + rows).map { $0.joined(separator: ",") }.joined(separator: "\n") + "\n"
        case .json:
            let object: [String: Any] = [
                "dry_run": dryRun, "what_if": whatIf, "business_zone": businessZone,
                "calls_examined": callsExamined, "calls_rematched": callsRematched, "calls_repriced": callsRepriced,
                "calls_kept": callsKept,
                "old_cost": oldCost.description, "new_cost": newCost.description, "difference": (newCost - oldCost).signed,
                "periods": periods.map { p -> [String: Any] in
                    ["subscription": p.subscription, "period_start": p.periodStart, "calls": p.calls,
                     "charged_minutes": p.chargedMinutes, "included_minutes": p.includedMinutes, "overage_minutes": p.overageMinutes,
                     "old_cost": p.oldCost.description, "new_cost": p.newCost.description, "difference": (p.newCost - p.oldCost).signed]
                },
            ]
            let data = try! JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
            return String(decoding: data, as: UTF8.self) + "\n"
        case .table:
            let all = [RerateReport.columns] + rows
            let widths = RerateReport.columns.indices.map { i in all.map { $0[i].count }.max()! }
            func line(_ cells: [String]) -> String {
                cells.enumerated().map { i, c in
                    i < 2 ? c.padding(toLength: widths[i], withPad: " ", startingAt: 0)
                        : String(repeating: " ", count: widths[i] - c.count) + c
                }.joined(separator: "  ")
            }
            var title = (dryRun ? "DRY RUN: nothing was written. " : "") + "Re-rated usage periods (period_start in \(businessZone))"
            if whatIf { title += " (new_cost: under the proposed plans)" }
            var out = [title] + all.map(line)
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
