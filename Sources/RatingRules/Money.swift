/// An exact amount of rupees, held as a whole number of ten-thousandths
/// (the precision of `cdrs.cost` and `overage_rate_per_minute`, numeric(10,4)).
///
/// All money arithmetic in the product goes through this type; there is no
/// binary floating point anywhere on the path from rate to balance.
public struct Money: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Ten-thousandths of a rupee.
    public let units: Int64
    public static let scale: Int64 = 10_000
    public static let zero = Money(units: 0)
    /// The largest amount `cdrs.cost` (numeric(10,4)) holds: 999999.9999.
    public static let largestCallCost = Money(units: 9_999_999_999)

    public init(units: Int64) { self.units = units }

    /// Parses a decimal such as `0.50`, `-12`, `349.0000`. Returns nil for
    /// anything else, including more than four decimal places.
    public init?(_ text: String) {
        var s = Substring(text.trimmingSpaces())
        var negative = false
        if s.first == "-" { negative = true; s = s.dropFirst() } else if s.first == "+" { s = s.dropFirst() }
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, let whole = parts.first, !whole.isEmpty || parts.count == 2,
              whole.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        var fraction = parts.count == 2 ? parts[1] : ""
        guard fraction.allSatisfy({ $0.isASCII && $0.isNumber }), !(whole.isEmpty && fraction.isEmpty) else { return nil }
        while fraction.count > 4, fraction.last == "0" { fraction = fraction.dropLast() }
        guard fraction.count <= 4, whole.count <= 14 else { return nil }
        let padded = fraction + String(repeating: "0", count: 4 - fraction.count)
        let value = (Int64(whole.isEmpty ? "0" : String(whole))! * Money.scale) + Int64(String(padded))!
        units = negative ? -value : value
    }

    public static func + (a: Money, b: Money) -> Money { Money(units: a.units + b.units) }
    public static func - (a: Money, b: Money) -> Money { Money(units: a.units - b.units) }
    public static func += (a: inout Money, b: Money) { a = a + b }
    public static func < (a: Money, b: Money) -> Bool { a.units < b.units }
    public static prefix func - (a: Money) -> Money { Money(units: -a.units) }

    /// The price of `minutes` minutes at this per-minute rate.
    public func times(_ minutes: Int) -> Money { Money(units: units * Int64(minutes)) }

    /// Rounded half-up (away from zero on ties) to whole paise (2 decimals).
    public var roundedToPaise: Money {
        let step: Int64 = 100
        let remainder = units % step
        var base = units - remainder
        if remainder >= step / 2 { base += step } else if remainder <= -step / 2 { base -= step }
        return Money(units: base)
    }

    /// Four decimal places with a sign: `+0.5000`, `-1.2500`, `0.0000`.
    public var signed: String { (units > 0 ? "+" : "") + description }

    /// Four decimal places: `0.5000`.
    public var description: String { formatted(decimals: 4) }

    /// Two or four decimal places, no rounding beyond truncation of zeros:
    /// call `roundedToPaise` first for two.
    public func formatted(decimals: Int) -> String {
        let magnitude = units.magnitude
        let whole = magnitude / UInt64(Money.scale)
        var fraction = String(magnitude % UInt64(Money.scale))
        fraction = String(repeating: "0", count: 4 - fraction.count) + fraction
        fraction = String(fraction.prefix(decimals))
        return (units < 0 ? "-" : "") + String(whole) + (decimals > 0 ? "." + fraction : "")
    }
}

extension String {
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return String(s)
    }
}
