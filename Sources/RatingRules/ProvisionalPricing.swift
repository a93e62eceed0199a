/// Prices a file's calls while the file is still being read (the single
/// pass: rows reach COPY before the last line is read), when the
/// chronological plan (`MinuteAllocator.plan`) cannot be made yet.
///
/// Each usage row's included minutes that no stored call holds go to the
/// file's charged calls in line order; every other minute is overage at the
/// row's rate. A switch writes a day's calls about in the order they
/// happened, after the calls stored before, so this is the final split of
/// nearly every call. The calls it gave included minutes are remembered:
/// with the final plan's earliest calls they are all that the final plan can
/// price differently (`price` says how each was stored).
public struct ProvisionalPricing {
    /// A call given included minutes, as it was stored.
    public struct Grant: Sendable {
        public let key: UsageKey
        public let charge: Charge
        /// Billed seconds the bundle covers.
        public let covered: Int
    }

    private struct Row {
        var free: Int
        let basis: PeriodBasis
    }

    private var rows: [UsageKey: Row] = [:]
    /// The calls given included minutes, by uuid.
    public private(set) var grants: [CDRKey: Grant] = [:]
    private let basis: (UsageKey) throws -> PeriodBasis

    /// `basis` gives a usage row as committed now, with its held calls; asked once per row.
    public init(basis: @escaping (UsageKey) throws -> PeriodBasis) {
        self.basis = basis
    }

    /// Splits and prices the next charged call of usage row `key`, in line order.
    public mutating func take(_ key: UsageKey, _ charge: Charge) throws -> (covered: Int, overage: Int, cost: Money) {
        var row: Row
        if let known = rows[key] { row = known } else {
            let b = try basis(key)
            row = Row(free: max(0, b.room - b.held.reduce(0) { $0 + $1.coveredSeconds }), basis: b)
        }
        let covered = min(charge.seconds, row.free)
        row.free -= covered
        rows[key] = row
        if covered > 0 { grants[charge.key] = Grant(key: key, charge: charge, covered: covered) }
        return (covered, charge.price.billedSeconds - covered, row.basis.cost(charge, covered: covered))
    }

    /// A new classified call, split and priced by `take` when it is charged.
    public mutating func rate(_ call: ClassifiedCall) throws -> RatedCall {
        var r = RatedCall(call: call)
        guard let charge = call.allocationCharge, let key = MinuteAllocator.usageKey(call) else { return r }
        (r.coveredSeconds, r.overageSeconds, r.cost) = try take(key, charge)
        return r
    }

    /// How `take` split and priced a charged call of usage row `key` (nil for a row it never saw).
    public func price(_ key: UsageKey, _ call: Charge) -> (covered: Int, overage: Int, cost: Money)? {
        guard let row = rows[key] else { return nil }
        let covered = grants[call.key]?.covered ?? 0
        return (covered, call.price.billedSeconds - covered, row.basis.cost(call, covered: covered))
    }
}
