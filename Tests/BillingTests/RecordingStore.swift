import RatingRules
@testable import Billing

/// A `BillingStore` that keeps what it was asked to apply: the role an
/// in-memory store plays for the steps that write through one.
final class RecordingStore: BillingStore {
    private(set) var applied: [(changes: [CallChange], source: ChangeSource?)] = []

    func usageRow(_ key: UsageKey) throws -> UsageRow? { nil }
    func heldCalls(subscriptionId: String, period: UsagePeriod, earliest: Int?, book: TariffBook) throws -> [HeldCall] { [] }
    func lockUsageRows(_ rows: [(key: UsageKey, periodEnd: Int64, included: Int)]) throws {}
    func storedUUIDs(_ uuids: [String]) throws -> Set<CDRKey> { [] }
    func apply(_ changes: [CallChange], source: ChangeSource?) throws { applied.append((changes, source)) }
    func write(_ usage: [UsageWrite]) throws {}
}
