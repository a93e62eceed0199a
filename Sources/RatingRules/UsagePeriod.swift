/// A monthly usage period of one subscription: `[start, end)` in epoch seconds.
///
/// Periods are months anchored on the subscription's start date in the
/// business zone: same day and time of day, the day clamped to the month's
/// last day. Annual billing cycles still have monthly usage periods.
public struct UsagePeriod: Hashable, Sendable {
    public let start: Int64
    public let end: Int64

    public init(start: Int64, end: Int64) {
        self.start = start
        self.end = end
    }

    /// The period of a subscription started at `anchor` that contains `instant`.
    public static func containing(_ instant: Int64, anchor: Int64, zone: ZoneRules) -> UsagePeriod {
        let a = zone.local(of: anchor), t = zone.local(of: instant)
        var k = (t.year - a.year) * 12 + (t.month - a.month)
        while startOf(k, anchor: a, zone: zone) > instant { k -= 1 }
        while startOf(k + 1, anchor: a, zone: zone) <= instant { k += 1 }
        return UsagePeriod(start: startOf(k, anchor: a, zone: zone), end: startOf(k + 1, anchor: a, zone: zone))
    }

    /// Start of the `k`th period after the anchor (k = 0 is the anchor itself).
    static func startOf(_ k: Int, anchor a: LocalDateTime, zone: ZoneRules) -> Int64 {
        let monthIndex = a.year * 12 + (a.month - 1) + k
        let year = monthIndex >= 0 ? monthIndex / 12 : (monthIndex - 11) / 12
        let month = monthIndex - year * 12 + 1
        let day = min(a.day, Calendar.daysIn(year: year, month: month))
        return zone.instant(of: LocalDateTime(year: year, month: month, day: day, hour: a.hour, minute: a.minute, second: a.second))
    }
}

import Foundation
