import RatingRules

/// What `cdr-rater rerate` was asked to do. SPEC section 3b.
public struct RerateOptions {
    /// [from, to), wall-clock times in the business zone.
    public var from: LocalDateTime
    public var to: LocalDateTime
    public var subscriptions: [String] = []
    public var accounts: [String] = []
    public var plans: [String] = []
    /// Only calls stored without a subscription.
    public var unmatchedOnly = false
    public var dryRun = false
    /// What-if (with dryRun): new costs under these plans instead of the catalog's.
    public var proposedPlans: [ProposedPlan]?
    /// What-if (with dryRun): plans priced by these proposed decks.
    public var proposedTariffs: [String: TariffDeck] = [:]
    /// Seconds to wait for another run's rating lock before giving up (exit 75).
    public var lockWait: Double = 0
    /// The share of a month's calls changed (0 to 1) from which the month is written anew into a fresh
    /// table and swapped in, instead of UPDATEd (`MonthRewrite`); nil: always UPDATE, batch by batch.
    public var rewriteShare: Double? = RerateOptions.defaultRewriteShare
    public static let defaultRewriteShare = MonthRewrite.defaultShare
    /// Set by SIGINT/SIGTERM: the rerate's transaction rolls back.
    public var stop: StopRequest?

    public init(from: LocalDateTime, to: LocalDateTime) {
        self.from = from
        self.to = to
    }
}
