/// A row of a tariff version (SPEC 3c): the price of a destination prefix
/// in a time band, from a second of the call on.
public struct TariffRow: Hashable, Sendable {
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
/// of prefixes costs a few hash probes a call. A prefix is probed as a
/// number (its digits and length), so a look-up allocates nothing.
public struct TariffDeck: Sendable {
    public let name: String
    public let bands: TimeBands
    /// One prefix's rows, ready for the walk: the bands they name, and each band's tiers by `from_second`.
    /// A class, so that taking one for a call is one retain, not one for each of its fields.
    final class PrefixRates: Sendable {
        let prefix: String
        let destination: String
        /// Each row's destination, when the prefix's rows name more than one; nil when all are `destination`.
        let destinations: [String]?
        /// Shared by the prefixes that name the same bands.
        let names: Set<String>
        let among: TimeBands.Among
        /// The rows, grouped by band, each group by `from_second`, without their prefix and destination:
        /// one array shared by every prefix priced alike (a carrier's 50,000 prefixes have a few dozen prices).
        let rows: [TariffRow]
        /// Each band's group of `rows`: the band's id (`TimeBands.id(of:)`; -2 for a band no line holds), and its rows' range.
        let groups: [(band: Int, lower: Int, upper: Int)]

        init(prefix: String, destination: String, destinations: [String]?, alike: Alike) {
            (self.prefix, self.destination, self.destinations) = (prefix, destination, destinations)
            (names, among, rows, groups) = (alike.names, alike.among, alike.rows, alike.groups)
        }

        /// The destination of row `r`.
        func destination(ofRow r: Int) -> String { destinations?[r] ?? destination }
    }
    /// What prefixes priced alike share (arrays and sets are copied by reference).
    struct Alike {
        let names: Set<String>
        let among: TimeBands.Among
        let rows: [TariffRow]
        let groups: [(band: Int, lower: Int, upper: Int)]
    }
    /// The look-up tables, in a class: a deck is copied for each call it prices, and this makes that one retain.
    private final class Tables: Sendable {
        let prefixes: [PrefixRates]
        let index: [UInt64: Int32]
        let catchAll: Int32?
        let lengths: [Int]

        init(prefixes: [PrefixRates], index: [UInt64: Int32], catchAll: Int32?, lengths: [Int]) {
            (self.prefixes, self.index, self.catchAll, self.lengths) = (prefixes, index, catchAll, lengths)
        }
    }
    private let tables: Tables
    private var prefixes: [PrefixRates] { tables.prefixes }
    private var index: [UInt64: Int32] { tables.index }
    private var catchAll: Int32? { tables.catchAll }
    private var lengths: [Int] { tables.lengths }

    public init(name: String, rows: [TariffRow], bands: TimeBands) {
        // Each prefix's rows in file order, the prefixes in order of their first row: one hash of a prefix a row.
        var place: [String: Int] = [:], grouped: [[TariffRow]] = []
        place.reserveCapacity(rows.count)
        for r in rows {
            if let i = place[r.prefix] { grouped[i].append(r) } else { place[r.prefix] = grouped.count; grouped.append([r]) }
        }
        var builder = Builder(name: name, bands: bands)
        for rs in grouped { builder.add(rs) }
        self = builder.deck()
    }

    private init(name: String, bands: TimeBands, tables: Tables) { (self.name, self.bands, self.tables) = (name, bands, tables) }

    /// Builds a deck one prefix at a time, so that a large one is never held
    /// as rows (`TariffStore` reads a stored version so), and shares the rows
    /// of the prefixes priced alike.
    public struct Builder {
        private let name: String
        private let bands: TimeBands
        private var prefixes: [PrefixRates] = []
        private var shared: [[Int]: (Set<String>, TimeBands.Among)] = [:]
        private var unknown: [String] = [] // bands no line holds, each its own key for sharing (never in force)
        private var alike: [[TariffRow]: Alike] = [:] // by the rows without prefix and destination

        public init(name: String, bands: TimeBands) { (self.name, self.bands) = (name, bands) }

        /// Adds one prefix: all its rows (not empty, one prefix), in file order. Prefixes are numbered in the order added.
        public mutating func add(_ rs: [TariffRow]) {
            // The bands in order of their first row (a prefix has a few), each group by from_second.
            var bandOrder: [String] = [], byBand: [[TariffRow]] = []
            for r in rs {
                if let g = bandOrder.firstIndex(of: r.band) { byBand[g].append(r) } else { bandOrder.append(r.band); byBand.append([r]) }
            }
            var flat: [TariffRow] = [], groups: [(band: Int, lower: Int, upper: Int)] = []
            flat.reserveCapacity(rs.count)
            var key: [Int] = []
            for (band, group) in zip(bandOrder, byBand) {
                let lower = flat.count
                flat.append(contentsOf: group.count == 1 ? group : group.sorted { $0.fromSecond < $1.fromSecond })
                let id = bands.id(of: band)
                groups.append((id ?? -2, lower, flat.count))
                if let id { key.append(id) } else {
                    if !unknown.contains(band) { unknown.append(band) }
                    key.append(-1 - unknown.firstIndex(of: band)!)
                }
            }
            key.sort()
            let destination = rs[0].destination
            let blank = flat.map { r in var r = r; (r.prefix, r.destination) = ("", ""); return r }
            if alike[blank] == nil {
                if shared[key] == nil { let names = Set(bandOrder); shared[key] = (names, bands.among(names)) }
                let (names, among) = shared[key]!
                alike[blank] = Alike(names: names, among: among, rows: blank, groups: groups)
            }
            prefixes.append(PrefixRates(prefix: rs[0].prefix, destination: destination,
                                        destinations: flat.allSatisfy { $0.destination == destination } ? nil : flat.map(\.destination),
                                        alike: alike[blank]!))
        }

        public func deck() -> TariffDeck {
            var index: [UInt64: Int32] = [:]
            index.reserveCapacity(prefixes.count)
            var lengths = Set<Int>(), catchAll: Int32?
            for (i, p) in prefixes.enumerated() {
                if p.prefix == TariffRow.catchAll {
                    catchAll = Int32(i)
                } else {
                    if let key = TariffDeck.key(p.prefix.utf8) { index[key] = Int32(i) }
                    lengths.insert(p.prefix.utf8.count)
                }
            }
            return TariffDeck(name: name, bands: bands,
                              tables: Tables(prefixes: prefixes, index: index, catchAll: catchAll, lengths: lengths.sorted(by: >)))
        }
    }

    /// The look-up key of a prefix: its digits as a number, its length, and
    /// whether it starts with `+`; nil past 18 digits or for anything else.
    static func key<C: Collection>(_ bytes: C) -> UInt64? where C.Element == UInt8 {
        var number: UInt64 = 0, length: UInt64 = 0, plus: UInt64 = 0
        for b in bytes {
            if b == UInt8(ascii: "+") && length == 0 && plus == 0 { plus = 1; continue }
            guard b >= 48 && b <= 57, length < 18 else { return nil }
            number = number * 10 + UInt64(b - 48)
            length += 1
        }
        return plus << 63 | length << 58 | number
    }

    /// The prefix of a match (`match`), `*` for the catch-all.
    public func prefix(at i: Int32) -> String { prefixes[Int(i)].prefix }

    /// The place of `prefix` (as stored, `*` for the catch-all), nil when the version has no rows for it.
    public func prefixIndex(_ prefix: String) -> Int32? {
        prefix == TariffRow.catchAll ? catchAll : TariffDeck.key(prefix.utf8).flatMap { index[$0] }
    }

    /// How many prefixes (the catch-all among them) the version has: matches are below it.
    public var prefixCount: Int { prefixes.count }

    /// SPEC 3c steps 1 to 4 for one charged call of `seconds` to a
    /// normalized `destination`, starting at the instant `start`, walked
    /// in `zone` (the business zone). `allowance`: billed seconds of the
    /// plan's included minutes still free for its `in_bundle` segments, used
    /// up by what this call covers; nil: no bundle (`price`).
    public func charge(destination: String, start: Int64, seconds: Int, zone: ZoneRules,
                       allowance: inout Int) throws(NoPrice) -> TariffCharge {
        try charge(prefixAt: try match(destination, at: zone.local(of: start)), start: start, seconds: seconds, zone: zone,
                   allowance: &allowance)
    }

    /// The band in force among a prefix's bands at `local`, its id; -1 when none is.
    @inline(__always)
    private func band(_ p: PrefixRates, at local: LocalDateTime, day: inout (date: Int, lines: UInt64)) -> Int {
        guard bands.byMask else { return bands.inForce(among: p.names, at: local).map { bands.id(of: $0) ?? 0 } ?? -1 }
        let date = local.year * 10_000 + local.month * 100 + local.day
        if date != day.date { day = (date, bands.day(local)) }
        return bands.inForce(p.among, second: local.secondOfDay, day: day.lines)
    }

    /// SPEC 3c step 3, the walk: calls `visit` with each segment's band id, row (its place in `p.rows`),
    /// start, seconds and billed seconds, in order.
    @inline(__always)
    private func walk(_ p: PrefixRates, start: Int64, seconds: Int, zone: ZoneRules,
                      _ visit: (_ band: Int, _ row: Int, _ elapsed: Int, _ length: Int, _ billed: Int) -> Void) throws(NoPrice) {
        var elapsed = 0
        var day = (date: -1, lines: UInt64(0))
        while elapsed < seconds {
            let local = zone.local(of: start + Int64(elapsed))
            let band = self.band(p, at: local, day: &day)
            guard band >= 0 else {
                throw NoPrice(description: "no band of \(p.prefix) is in force at \(local.text) in tariff \(name)")
            }
            // The band's rows (a band in force is one the rows name), the last tier reached, the next tier's start.
            var lower = 0, upper = 0
            for g in p.groups where g.band == band { (lower, upper) = (g.lower, g.upper); break }
            var row = -1, nextTier = Int.max
            for i in lower ..< upper {
                if p.rows[i].fromSecond <= elapsed { row = i } else { nextTier = p.rows[i].fromSecond; break }
            }
            guard row >= 0 else {
                throw NoPrice(description: "band \(bands.bandNames[band]) of \(p.prefix) has no row from second \(elapsed) in tariff \(name)")
            }
            let toChange: Int
            if p.among.onlyAlways {
                toChange = Int.max
            } else if bands.byMask {
                toChange = bands.secondsToNextChange(p.among, second: local.secondOfDay, day: day.lines, now: band)
            } else {
                toChange = bands.secondsToNextChange(among: p.names, at: local)
            }
            let length = min(seconds - elapsed, nextTier - elapsed, toChange)
            let increment = p.rows[row].incrementSeconds
            let billed = (length + increment - 1) / increment * increment
            visit(band, row, elapsed, length, billed)
            elapsed += billed
        }
    }

    /// Steps 3 and 4 for a call whose prefix was matched (`match`).
    public func charge(prefixAt i: Int32, start: Int64, seconds: Int, zone: ZoneRules,
                       allowance: inout Int) throws(NoPrice) -> TariffCharge {
        let p = prefixes[Int(i)]
        guard seconds > 0 else {
            return TariffCharge(prefix: p.prefix, destination: p.destination, segments: [], connectFee: DecimalRate(mantissa: 0, scale: 0),
                                rounding: .halfUp, decimals: 4, cap: nil, exactCost: .zero, cost: .zero)
        }
        var segments: [PricedSegment] = []
        var total = Total()
        var left = allowance
        try walk(p, start: start, seconds: seconds, zone: zone) { band, r, elapsed, length, billed in
            let row = p.rows[r]
            let covered = row.inBundle ? min(left, billed) : 0
            left -= covered
            let cost = ExactAmount(row.rate).times(billed - covered, per: row.unitSeconds)
            segments.append(PricedSegment(band: bands.bandNames[band], tier: row.fromSecond, start: elapsed, seconds: length, billedSeconds: billed,
                                          rate: row.rate, unitSeconds: row.unitSeconds, incrementSeconds: row.incrementSeconds,
                                          inBundle: row.inBundle, coveredSeconds: covered, cost: cost))
            total.add(row, at: r, cost: cost)
        }
        allowance = left
        let (exact, cost, rule, cap) = total.result
        return TariffCharge(prefix: p.prefix, destination: p.destination(ofRow: total.first), segments: segments, connectFee: p.rows[total.first].connectFee,
                            rounding: rule.rounding, decimals: rule.decimals, cap: cap, exactCost: exact, cost: cost)
    }

    /// The sum of a walk's segments (SPEC 3c step 4), kept as they come.
    private struct Total {
        var first = -1
        var exact = ExactAmount.zero
        var rule: (decimals: Int, rounding: Rounding) = (0, .halfUp)
        var cap: Money?
        var started = false

        @inline(__always)
        mutating func add(_ row: TariffRow, at r: Int, cost: ExactAmount) {
            if !started {
                started = true
                first = r
                exact = ExactAmount(row.connectFee) + cost
                rule = (row.decimals, row.rounding)
            } else {
                exact = exact + cost
                // The rule of the rows used with the most decimals, the first of them in the walk.
                if row.decimals > rule.decimals { rule = (row.decimals, row.rounding) }
            }
            if let m = row.maxCost {
                let c = ExactAmount(m).rounded(4, .down)
                cap = cap.map { min($0, c) } ?? c
            }
        }

        var result: (exact: ExactAmount, cost: Money, rule: (decimals: Int, rounding: Rounding), cap: Money?) {
            let rounded = exact.rounded(rule.decimals, rule.rounding)
            return (exact, cap.map { min($0, rounded) } ?? rounded, rule, cap)
        }
    }

    /// What `charge(prefixAt:...)` costs and bills, without its segments: the rating's hot path.
    public func quote(prefixAt i: Int32, start: Int64, seconds: Int, zone: ZoneRules,
                      allowance: inout Int) throws(NoPrice) -> (cost: Money, billedSeconds: Int, inBundleSeconds: Int) {
        let p = prefixes[Int(i)]
        guard seconds > 0 else { return (.zero, 0, 0) }
        var total = Total()
        var left = allowance, billedSeconds = 0, inBundle = 0
        try walk(p, start: start, seconds: seconds, zone: zone) { _, r, _, _, billed in
            let row = p.rows[r]
            let covered = row.inBundle ? min(left, billed) : 0
            left -= covered
            billedSeconds += billed
            if row.inBundle { inBundle += billed }
            total.add(row, at: r, cost: ExactAmount(row.rate).times(billed - covered, per: row.unitSeconds))
        }
        allowance = left
        return (total.result.cost, billedSeconds, inBundle)
    }

    /// The bands of a call's segments in walk order, each once, joined by `,` (its metadata's `bands`).
    public func bandList(prefixAt i: Int32, start: Int64, seconds: Int, zone: ZoneRules) -> String {
        let p = prefixes[Int(i)]
        var last = -1, out = ""
        try? walk(p, start: start, seconds: seconds, zone: zone) { band, _, _, _, _ in
            if band != last {
                if last >= 0 { out += "," }
                out += bands.bandNames[band]
                last = band
            }
        }
        return out
    }

    /// What a call costs with no bundle applied (`cdr-rater price`).
    public func price(destination: String, start: Int64, seconds: Int, zone: ZoneRules) throws(NoPrice) -> TariffCharge {
        var none = 0
        return try charge(destination: destination, start: start, seconds: seconds, zone: zone, allowance: &none)
    }

    /// SPEC 3c step 2: the longest prefix of the destination whose rows have
    /// a band in force at the call's start; else the catch-all's; else no price.
    public func match(_ destination: String, at local: LocalDateTime) throws(NoPrice) -> Int32 {
        var destination = destination
        let found: Int32? = destination.withUTF8 { digits in
            for length in lengths where length <= digits.count {
                if let key = TariffDeck.key(digits.prefix(length)), let i = index[key], hasBand(prefixes[Int(i)], at: local) { return i }
            }
            return nil
        }
        if let found { return found }
        if let catchAll, hasBand(prefixes[Int(catchAll)], at: local) { return catchAll }
        throw NoPrice(description: "no price for \(destination) in tariff \(name) at \(local.text): no prefix of it, "
            + "nor a catch-all (*), has a band in force then")
    }

    /// Whether a band of the prefix's rows is in force at `local`.
    private func hasBand(_ p: PrefixRates, at local: LocalDateTime) -> Bool {
        var day = (date: -1, lines: UInt64(0))
        return band(p, at: local, day: &day) >= 0
    }
}
