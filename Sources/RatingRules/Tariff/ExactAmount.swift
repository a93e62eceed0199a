/// An exact amount of money as a fraction, for a tariff call's cost before
/// it is rounded once (SPEC 3c step 4: "Cost is exact; nothing is rounded
/// per segment"): a rate of 0.50 per 60 s for 7 s is 3.5/60, not 0.0583.
public struct ExactAmount: Equatable, Sendable, CustomStringConvertible {
    /// Rupees = numerator / denominator; the denominator is positive.
    public private(set) var numerator: Int128
    public private(set) var denominator: Int128

    public static let zero = ExactAmount(numerator: 0, denominator: 1)

    public init(numerator: Int128, denominator: Int128) {
        precondition(denominator > 0, "an amount's denominator is positive")
        let g = ExactAmount.gcd(numerator.magnitude, denominator.magnitude)
        self.numerator = numerator / Int128(g)
        self.denominator = denominator / Int128(g)
    }

    public init(_ money: Money) { self.init(numerator: Int128(money.units), denominator: Int128(Money.scale)) }

    public init(_ rate: DecimalRate) { self.init(numerator: Int128(rate.mantissa), denominator: rate.scaleFactor) }

    public static func + (a: ExactAmount, b: ExactAmount) -> ExactAmount {
        ExactAmount(numerator: a.numerator * b.denominator + b.numerator * a.denominator, denominator: a.denominator * b.denominator)
    }

    /// This amount times `count / per`: a rate per unit for some seconds.
    public func times(_ count: Int, per: Int) -> ExactAmount {
        ExactAmount(numerator: numerator * Int128(count), denominator: denominator * Int128(per))
    }

    /// Rounded to `decimals` places (0 to 4) by `rule` (amounts here are never negative).
    public func rounded(_ decimals: Int, _ rule: Rounding) -> Money {
        let places = min(4, max(0, decimals))
        let ten = { (n: Int) in (0 ..< n).reduce(Int128(1)) { r, _ in r * 10 } }
        // The amount in units of 10^-places: q + r / denominator.
        let n = numerator * ten(places)
        var q = n / denominator, r = n % denominator
        if r < 0 { q -= 1; r += denominator }
        switch rule {
        case .down: break
        case .up: if r > 0 { q += 1 }
        case .halfUp: if 2 * r >= denominator { q += 1 }
        }
        return Money(units: Int64(q * ten(4 - places)))
    }

    public var description: String { "\(numerator)/\(denominator)" }

    private static func gcd(_ a: UInt128, _ b: UInt128) -> UInt128 {
        var (a, b) = (a, b)
        while b != 0 { (a, b) = (b, a % b) }
        return a == 0 ? 1 : a
    }
}

/// How a tariff call's total is rounded (SPEC 3c: `rounding`).
public enum Rounding: String, Sendable, CaseIterable {
    case up, halfUp = "half_up", down
}

/// A decimal as written in a tariff file (`rate`, `connect_fee`, `max_cost`),
/// kept exactly: `0.6` per 60 s is not rounded to money before it is used.
public struct DecimalRate: Hashable, Sendable, CustomStringConvertible {
    public let mantissa: Int64
    /// Digits after the point.
    public let scale: Int

    public init(mantissa: Int64, scale: Int) { (self.mantissa, self.scale) = (mantissa, scale) }

    /// Parses `6`, `6.00`, `0.0125`; nil for anything else (signs, exponents, more than 9 decimals).
    public init?(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, let whole = parts.first, whole.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        let fraction = parts.count == 2 ? parts[1] : ""
        guard !(whole.isEmpty && fraction.isEmpty), fraction.count <= 9, whole.count <= 9,
              fraction.allSatisfy({ $0.isASCII && $0.isNumber }), let m = Int64(String(whole) + String(fraction)) else { return nil }
        (mantissa, scale) = (m, fraction.count)
    }

    var scaleFactor: Int128 { (0 ..< scale).reduce(1) { r, _ in r * 10 } }

    public var description: String {
        guard scale > 0 else { return String(mantissa) }
        let digits = String(mantissa).leftPadded(to: scale + 1)
        return digits.dropLast(scale) + "." + digits.suffix(scale)
    }
}

extension String {
    func leftPadded(to width: Int) -> String { count >= width ? self : String(repeating: "0", count: width - count) + self }
}
