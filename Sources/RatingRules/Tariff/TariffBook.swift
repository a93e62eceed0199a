/// A charged call's price before the plan's included minutes are handed
/// out (SPEC 3 and 3c): what minute allocation needs of it, in a few
/// numbers, so that it can be kept for millions of calls and spilled to disk.
public struct CallCharge: Sendable, Equatable {
    /// Billed seconds of the whole call: its talk rounded up to its increments.
    public let billedSeconds: Int
    /// Billed seconds of its `in_bundle` segments: what the bundle may cover.
    public let bundleSeconds: Int
    /// Its cost when the bundle covers none of it.
    public let fullCost: Money
    /// The tariff price it came from; nil for a plan without a tariff (its
    /// overage rate per 60 s, in 60 s increments, in the bundle).
    public let tariff: TariffRef?

    public init(billedSeconds: Int, bundleSeconds: Int, fullCost: Money, tariff: TariffRef?) {
        (self.billedSeconds, self.bundleSeconds, self.fullCost, self.tariff) = (billedSeconds, bundleSeconds, fullCost, tariff)
    }

    /// A call of a plan without a tariff: ceil(billsec / 60) minutes, all in the bundle, at `rate` each.
    public static func flat(billsec: Int, rate: Money) -> CallCharge {
        let minutes = (billsec + 59) / 60
        return CallCharge(billedSeconds: minutes * 60, bundleSeconds: minutes * 60, fullCost: rate.times(minutes), tariff: nil)
    }

    /// `seconds` at `rate` per 60 s, for a plan without a tariff: whole minutes
    /// exactly, other seconds (a period that once had a tariff) rounded half-up
    /// to `cdrs.cost`'s 4 decimals; negative seconds give the negative amount.
    public static func flatCost(seconds: Int, rate: Money) -> Money {
        if seconds < 0 { return -flatCost(seconds: -seconds, rate: rate) }
        return seconds % 60 == 0 ? rate.times(seconds / 60) : ExactAmount(rate).times(seconds, per: 60).rounded(4, .halfUp)
    }

    /// Minutes a report shows for `seconds`: rounded up.
    public static func minutes(_ seconds: Int) -> Int { (seconds + 59) / 60 }
}

/// Where a tariff call's price is in a `TariffBook`: the version, the
/// prefix matched in it, and the seconds priced. With the call's start
/// this prices the call again, exactly as it was priced.
public struct TariffRef: Sendable, Hashable {
    public let version: Int32
    public let prefix: Int32
    public let billsec: Int32

    public init(version: Int32, prefix: Int32, billsec: Int32) { (self.version, self.prefix, self.billsec) = (version, prefix, billsec) }
}

/// Every tariff version a run may price with, loaded once (SPEC 3c:
/// "a tariff is loaded once a run"), and the one home of what a charged
/// call costs once the bundle has covered some of it.
public struct TariffBook: Sendable {
    public struct Version: Sendable {
        public let id: Int64
        public let tariff: String
        public let effectiveFrom: Int64
        public let deck: TariffDeck

        public init(id: Int64, tariff: String, effectiveFrom: Int64, deck: TariffDeck) {
            (self.id, self.tariff, self.effectiveFrom, self.deck) = (id, tariff, effectiveFrom, deck)
        }
    }

    public let versions: [Version]
    /// The business zone: bands and dates are read in it.
    public let zone: ZoneRules
    /// Per tariff, its versions' places in `versions`, by (effective_from, id).
    private let byTariff: [String: [Int]]
    private let byId: [Int64: Int32]

    public static let empty = TariffBook(versions: [], zone: .utc)

    public init(versions: [Version], zone: ZoneRules) {
        self.versions = versions
        self.zone = zone
        byTariff = Dictionary(grouping: versions.indices, by: { versions[$0].tariff }).mapValues { list in
            list.sorted { (versions[$0].effectiveFrom, versions[$0].id) < (versions[$1].effectiveFrom, versions[$1].id) }
        }
        byId = Dictionary(versions.enumerated().map { ($1.id, Int32($0)) }, uniquingKeysWith: { a, _ in a })
    }

    /// The place of the version of `tariff` in force at `t` (SPEC 3c step 1:
    /// the latest `effective_from <= t`; among equal dates the correction made last).
    public func version(of tariff: String, at t: Int64) -> Int32? {
        guard let list = byTariff[tariff] else { return nil }
        var found: Int?
        for i in list where versions[i].effectiveFrom <= t { found = i }
        return found.map(Int32.init)
    }

    /// The place of the stored version `id`.
    public func version(id: Int64) -> Int32? { byId[id] }

    /// Prices a charged call of `billsec` seconds to the normalized `destination` by `tariff` as in force at `start`.
    public func charge(tariff: String, destination: String, start: Int64, billsec: Int) throws(NoPrice) -> CallCharge {
        guard let v = version(of: tariff, at: start) else {
            throw NoPrice(description: "no price for \(destination): tariff \(tariff) has no version in force at \(postgresTimestamp(start))")
        }
        let prefix = try versions[Int(v)].deck.match(destination, at: zone.local(of: start))
        return try charge(TariffRef(version: v, prefix: prefix, billsec: Int32(clamping: billsec)), start: start)
    }

    /// The price of the call `ref` names, starting at `start`, before the bundle: quoted, without its segments.
    public func charge(_ ref: TariffRef, start: Int64) throws(NoPrice) -> CallCharge {
        var none = 0
        let priced = try versions[Int(ref.version)].deck.quote(prefixAt: ref.prefix, start: start, seconds: Int(ref.billsec), zone: zone,
                                                               allowance: &none)
        return CallCharge(billedSeconds: priced.billedSeconds, bundleSeconds: priced.inBundleSeconds, fullCost: priced.cost, tariff: ref)
    }

    /// The walk of a tariff call with its first `covered` in-bundle billed seconds covered.
    public func explain(_ ref: TariffRef, start: Int64, covered: Int) throws(NoPrice) -> TariffCharge {
        var allowance = covered
        return try versions[Int(ref.version)].deck.charge(prefixAt: ref.prefix, start: start, seconds: Int(ref.billsec), zone: zone,
                                                          allowance: &allowance)
    }

    /// SPEC 3c, included minutes with a tariff: what `charge` costs when the
    /// bundle covers its first `covered` in-bundle billed seconds; the
    /// connect fee is never covered. A call of a plan without a tariff: its
    /// uncovered billed seconds at `flatRate` per 60 s (the plan's rate
    /// now: whole minutes, but for a period that once had a tariff).
    public func cost(_ charge: CallCharge, start: Int64, covered: Int, flatRate: Money) -> Money {
        guard let ref = charge.tariff else {
            return CallCharge.flatCost(seconds: charge.billedSeconds - min(covered, charge.bundleSeconds), rate: flatRate)
        }
        guard covered > 0 else { return charge.fullCost }
        // The version and prefix priced this call before: they price it the same way again.
        var allowance = covered
        return (try? versions[Int(ref.version)].deck.quote(prefixAt: ref.prefix, start: start, seconds: Int(ref.billsec), zone: zone,
                                                           allowance: &allowance).cost) ?? charge.fullCost
    }

    /// The bands of a tariff call's segments in walk order, each once, joined by `,`.
    public func bands(_ ref: TariffRef, start: Int64) -> String {
        versions[Int(ref.version)].deck.bandList(prefixAt: ref.prefix, start: start, seconds: Int(ref.billsec), zone: zone)
    }

    /// The tariff, version id and prefix a reference names (for a call's metadata).
    public func describe(_ ref: TariffRef) -> (tariff: String, versionId: Int64, prefix: String) {
        let v = versions[Int(ref.version)]
        return (v.tariff, v.id, v.deck.prefix(at: ref.prefix))
    }

    /// The reference of a stored call priced by version `versionId` at `prefix`.
    public func ref(versionId: Int64, prefix: String, billsec: Int) -> TariffRef? {
        guard let v = version(id: versionId), let p = versions[Int(v)].deck.prefixIndex(prefix) else { return nil }
        return TariffRef(version: v, prefix: p, billsec: Int32(clamping: billsec))
    }
}
