import RatingRules

/// Phase 1 of a rerate (SPEC section 3b): each selected call is matched again
/// from what its row keeps, against the catalog as it is now, and every usage
/// period it was or now is in is noted, to be priced again whole in phase 2.
/// Pure: stored calls go in one at a time (a cursor's rows), nothing is written.
struct Rematcher {
    let classifier: CallClassifier
    private var periods = Set<UsageKey>()
    private var moved: [String: RematchedCall] = [:]
    private var repriced: [CDRKey: CallCharge] = [:]
    private var changes: [CallChange] = []
    private var examined = 0, kept = 0, rematched = 0

    init(classifier: CallClassifier) { self.classifier = classifier }

    mutating func take(_ stored: StoredCall) {
        examined += 1
        let catalog = classifier.catalog
        if let id = stored.priced.subscriptionId, let sub = catalog.subscription(id: id) {
            // The period from the call's time, not from its metadata, which may predate a change of anchor or zone.
            periods.insert(UsageKey(subscriptionId: id,
                                    periodStart: UsagePeriod.containing(stored.start, anchor: sub.start, zone: classifier.businessZone).start))
        }
        // Rows rated before the account code was kept are priced again, not matched again.
        guard let record = stored.record else { kept += 1; return }
        let call = classifier.classify(record)
        // A DID given to another subscription since, or a subscription ended since: the catalog no
        // longer knows who had the call, so a matched call keeps its subscription rather than
        // dropping to unmatched at cost 0.
        if call.subscription == nil && stored.match.subscriptionId != nil { kept += 1; return }
        let sameMatch = CallMatch(call) == stored.match && call.period?.start == stored.priced.periodStart
        guard !sameMatch || !stored.priced.isPriced(as: call.charge, book: catalog.tariffs) else { return }
        rematched += 1
        if sameMatch, let charge = call.charge {
            // Only its price changed (a tariff's new version): priced where it is stored, by its new charge. Holding the
            // call as classified instead held a month's calls after a tariff change (1.3 GiB for 700k calls).
            repriced[CDRKey(stored.uuid)] = charge
            return
        }
        if let key = MinuteAllocator.usageKey(call) {
            periods.insert(key)
            moved[stored.uuid] = RematchedCall(call: call, before: stored.priced, key: key)
        } else {
            changes.append(CallChange(uuid: stored.uuid, start: record.start, before: stored.priced,
                                      after: PricedCall(subscriptionId: nil, cost: .zero), match: CallMatch(call)))
        }
    }

    /// What the calls taken so far found.
    var result: RematchResult {
        let catalog = classifier.catalog, zone = classifier.businessZone
        return RematchResult(
            periods: periods.sorted().compactMap { key in
                catalog.subscription(id: key.subscriptionId).map {
                    TouchedPeriod(key: key, subscription: $0, span: UsagePeriod.containing(key.periodStart, anchor: $0.start, zone: zone))
                }
            },
            // Sorted by index: a RematchedCall is a large value (the call as classified), and moving each one
            // through a stable sort of a month's calls was most of the rerate's retains and releases.
            arriving: Dictionary(grouping: moved.values, by: \.key).mapValues { calls in
                calls.indices.sorted { calls[$0].charge.precedes(calls[$1].charge) }.map { calls[$0] }
            },
            repriced: repriced,
            changes: changes,
            // Calls re-matched away from a period (or changed within it) are skipped where they were stored.
            skip: Set(moved.keys).union(changes.map(\.uuid)),
            examined: examined, kept: kept, rematched: rematched)
    }
}

/// What re-matching the selected calls found: what phase 2 prices, and the counts for the report.
struct RematchResult {
    /// The usage periods to price again, whole, in (subscription, period) order: every one the
    /// selected calls were or now are in, whose subscription the catalog knows.
    let periods: [TouchedPeriod]
    /// The calls matched anew into each period, in (start_time, uuid) order, priced there among its stored calls.
    let arriving: [UsageKey: [RematchedCall]]
    /// The calls matched as stored whose price changed: their new charge, by uuid.
    let repriced: [CDRKey: CallCharge]
    /// The calls matched anew to no subscription: they cost 0 and leave every period.
    let changes: [CallChange]
    /// Calls not priced where they are stored, because they were matched anew.
    let skip: Set<String>
    let examined: Int
    /// Matched calls that keep their subscription: none matches them now, or their row cannot be matched again.
    let kept: Int
    let rematched: Int

    /// [from, to) widened to the whole of every period to price: the span whose calls phase 2 reads.
    func span(from: Int64, to: Int64) -> (from: Int64, to: Int64) {
        (min(from, periods.map(\.span.start).min() ?? from), max(to, periods.map(\.span.end).max() ?? to))
    }
}

/// A usage period to price again: its row's key, its subscription as the catalog has it now, its span.
struct TouchedPeriod {
    let key: UsageKey
    let subscription: Subscription
    let span: UsagePeriod
}

/// A stored call matched anew into usage row `key`: its new classification, and how it is stored now.
struct RematchedCall {
    let call: ClassifiedCall
    let before: PricedCall
    let key: UsageKey
    /// Where it falls among the period's calls: made once, since the sort and the merge compare it often.
    let charge: Charge

    init(call: ClassifiedCall, before: PricedCall, key: UsageKey) {
        self.call = call
        self.before = before
        self.key = key
        charge = Charge(start: call.record.start, key: call.record.key,
                        price: call.charge ?? CallCharge(billedSeconds: 0, bundleSeconds: 0, fullCost: .zero, tariff: nil))
    }
}
