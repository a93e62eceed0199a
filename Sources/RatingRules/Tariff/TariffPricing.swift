/// A row of a tariff version (SPEC 3c): the price of a destination prefix
/// in a time band, from a second of the call on.
public struct TariffRow: Equatable, Sendable {
    /// Digits with a leading `+`, normalized as destinations are; `*` is the catch-all.
    public var prefix: String
    public var destination = ""
    public var band = TimeBands.always
    public var fromSecond = 0
    /// The price of one `unitSeconds` of talk.
    public var rate: DecimalRate
    public var unitSeconds = 60
    /// The pulse: each segment is billed up to a whole number of these.
    public var incrementSeconds = 60
    /// Charged once per charged call, by the first segment's row.
    public var connectFee = DecimalRate(mantissa: 0, scale: 0)
    /// The plan's included minutes cover it.
    public var inBundle = true
    public var rounding = Rounding.halfUp
    /// 0 to 4: the total's decimals.
    public var decimals = 4
    public var maxCost: DecimalRate?

    public static let catchAll = "*"

    public init(prefix: String, band: String = TimeBands.always, fromSecond: Int = 0, rate: DecimalRate, unitSeconds: Int = 60,
                incrementSeconds: Int = 60, connectFee: DecimalRate = DecimalRate(mantissa: 0, scale: 0), inBundle: Bool = true) {
        (self.prefix, self.band, self.fromSecond, self.rate) = (prefix, band, fromSecond, rate)
        (self.unitSeconds, self.incrementSeconds, self.connectFee, self.inBundle) = (unitSeconds, incrementSeconds, connectFee, inBundle)
    }
}

/// One segment of a priced call (SPEC 3c step 3): from `start` seconds into
/// the call, `seconds` of talk under one row, billed up to its increment.
public struct PricedSegment: Equatable, Sendable {
    public let band: String
    /// The row's `from_second`: its rate tier.
    public let tier: Int
    public let start: Int
    public let seconds: Int
    public let billedSeconds: Int
    public let rate: DecimalRate
    public let unitSeconds: Int
    public let incrementSeconds: Int
    public let inBundle: Bool
    /// The first billed seconds of the segment the plan's included minutes covered.
    public let coveredSeconds: Int
    /// rate x (billed - covered) / unit, exact.
    public let cost: ExactAmount
}

/// What a call costs by a tariff version, and why.
public struct TariffCharge: Equatable, Sendable {
    public let prefix: String
    public let destination: String
    public let segments: [PricedSegment]
    /// The first segment's row's connect fee (the bundle never covers it).
    public let connectFee: DecimalRate
    public let rounding: Rounding
    public let decimals: Int
    /// The smallest `max_cost` of the rows used.
    public let cap: Money?
    /// The segments and the connect fee, before rounding.
    public let exactCost: ExactAmount
    /// Rounded once, then capped.
    public let cost: Money

    public var billedSeconds: Int { segments.reduce(0) { $0 + $1.billedSeconds } }
    public var coveredSeconds: Int { segments.reduce(0) { $0 + $1.coveredSeconds } }
    /// Billed seconds of segments the bundle may cover.
    public var inBundleSeconds: Int { segments.filter(\.inBundle).reduce(0) { $0 + $1.billedSeconds } }
}

/// Why a charged call has no price: stored as failed, retried by `rerate --unmatched`.
public struct NoPrice: Error, Equatable, Sendable, CustomStringConvertible {
    public let description: String
}

/// A tariff version's rows, looked up by prefix: a table for each prefix
/// length, as CGRateS hashes each length, so a deck of tens of thousands
/// of prefixes costs a few hash probes a call.
public struct TariffDeck: Sendable {
    public let name: String
    public let bands: TimeBands
    private let rowsByPrefix: [String: [TariffRow]]
    private let lengths: [Int]

    public init(name: String, rows: [TariffRow], bands: TimeBands) {
        self.name = name
        self.bands = bands
        rowsByPrefix = Dictionary(grouping: rows, by: \.prefix)
        lengths = Set(rows.map(\.prefix).filter { $0 != TariffRow.catchAll }.map(\.utf8.count)).sorted(by: >)
    }

    /// SPEC 3c steps 1 to 4 for one charged call of `seconds` to a
    /// normalized `destination`, starting at the instant `start`, walked
    /// in `zone` (the business zone). `allowance`: billed seconds of the
    /// plan's included minutes still free for its `in_bundle` segments, used
    /// up by what this call covers; nil: no bundle (`price`).
    public func charge(destination: String, start: Int64, seconds: Int, zone: ZoneRules,
                       allowance: inout Int) throws(NoPrice) -> TariffCharge {
        let (prefix, rows) = try match(destination, at: zone.local(of: start))
        guard seconds > 0 else {
            return TariffCharge(prefix: prefix, destination: rows[0].destination, segments: [], connectFee: DecimalRate(mantissa: 0, scale: 0),
                                rounding: .halfUp, decimals: 4, cap: nil, exactCost: .zero, cost: .zero)
        }
        let names = Set(rows.map(\.band))
        var segments: [PricedSegment] = [], used: [TariffRow] = []
        var elapsed = 0
        while elapsed < seconds {
            let local = zone.local(of: start + Int64(elapsed))
            guard let band = bands.inForce(among: names, at: local) else {
                throw NoPrice(description: "no band of \(prefix) is in force at \(local.text) in tariff \(name)")
            }
            let tiers = rows.filter { $0.band == band }.sorted { $0.fromSecond < $1.fromSecond }
            guard let row = tiers.last(where: { $0.fromSecond <= elapsed }) else {
                throw NoPrice(description: "band \(band) of \(prefix) has no row from second \(elapsed) in tariff \(name)")
            }
            let nextTier = tiers.first { $0.fromSecond > elapsed }?.fromSecond ?? Int.max
            let length = min(seconds - elapsed, nextTier - elapsed, bands.secondsToNextChange(among: names, at: local))
            let billed = (length + row.incrementSeconds - 1) / row.incrementSeconds * row.incrementSeconds
            let covered = row.inBundle ? min(allowance, billed) : 0
            allowance -= covered
            segments.append(PricedSegment(band: band, tier: row.fromSecond, start: elapsed, seconds: length, billedSeconds: billed,
                                          rate: row.rate, unitSeconds: row.unitSeconds, incrementSeconds: row.incrementSeconds,
                                          inBundle: row.inBundle, coveredSeconds: covered,
                                          cost: ExactAmount(row.rate).times(billed - covered, per: row.unitSeconds)))
            used.append(row)
            elapsed += billed
        }
        let fee = used[0].connectFee
        let exact = segments.reduce(ExactAmount(fee)) { $0 + $1.cost }
        // The rule of the rows used with the most decimals, the first of them in the walk.
        let rule = used.reduce(used[0]) { $1.decimals > $0.decimals ? $1 : $0 }
        let cap = used.compactMap(\.maxCost).map { ExactAmount($0).rounded(4, .down) }.min()
        let rounded = exact.rounded(rule.decimals, rule.rounding)
        return TariffCharge(prefix: prefix, destination: used[0].destination, segments: segments, connectFee: fee,
                            rounding: rule.rounding, decimals: rule.decimals, cap: cap,
                            exactCost: exact, cost: cap.map { min($0, rounded) } ?? rounded)
    }

    /// What a call costs with no bundle applied (`cdr-rater price`).
    public func price(destination: String, start: Int64, seconds: Int, zone: ZoneRules) throws(NoPrice) -> TariffCharge {
        var none = 0
        return try charge(destination: destination, start: start, seconds: seconds, zone: zone, allowance: &none)
    }

    /// SPEC 3c step 2: the longest prefix of the destination whose rows have
    /// a band in force at the call's start; else the catch-all's; else no price.
    func match(_ destination: String, at local: LocalDateTime) throws(NoPrice) -> (prefix: String, rows: [TariffRow]) {
        let digits = destination.utf8
        for length in lengths where length <= digits.count {
            let prefix = String(decoding: digits.prefix(length), as: UTF8.self)
            if let rows = rowsByPrefix[prefix], bands.inForce(among: Set(rows.map(\.band)), at: local) != nil { return (prefix, rows) }
        }
        if let rows = rowsByPrefix[TariffRow.catchAll], bands.inForce(among: Set(rows.map(\.band)), at: local) != nil {
            return (TariffRow.catchAll, rows)
        }
        throw NoPrice(description: "no price for \(destination) in tariff \(name) at \(local.text): no prefix of it, "
            + "nor a catch-all (*), has a band in force then")
    }
}
