import RatingRules
import XCTest
@testable import Billing

/// Phase 1 of a rerate, worked by hand from SPEC section 3b: each stored call
/// matched again from what its row keeps, and the usage periods to price again.
/// Catalog: SUB-A (account ACC-A, periods from the 1st) and SUB-B (account
/// ACC-B, periods from the 15th 10:00, DID +911140002000 added since).
final class RematcherTests: XCTestCase {
    private func rematch(_ calls: [StoredCall]) -> RematchResult {
        var rematcher = Rematcher(classifier: Rerating.classifier)
        for call in calls { rematcher.take(call) }
        return rematcher.result
    }

    /// Examined, matched anew, kept: the report's counts.
    private func counts(_ found: RematchResult) -> [Int] { [found.examined, found.rematched, found.kept] }

    /// A call matched as it is stored (ACC-A's account code, 125 s = 3 minutes, all included) is not matched anew,
    /// but its period is priced again: a new rate changes its price there.
    func testACallMatchedAsStoredIsNotMatchedAnewButItsPeriodIsPricedAgain() {
        let t = Rerating.ist(2024, 10, 5, 10)
        let found = rematch([Rerating.stored("c1", at: t, minutes: 3, included: 3, cost: "0",
                                             record: Rerating.record("c1", at: t, account: "ACC-A", billsec: 125))])
        XCTAssertEqual(found.periods.map(\.key), [UsageKey(subscriptionId: "sub-a", periodStart: Rerating.ist(2024, 10, 1))])
        XCTAssertEqual(found.periods.first?.span.end, Rerating.ist(2024, 11, 1))
        XCTAssertEqual(counts(found), [1, 0, 0])
        XCTAssertTrue(found.arriving.isEmpty)
        XCTAssertTrue(found.changes.isEmpty)
        XCTAssertTrue(found.skip.isEmpty)
    }

    /// A call matched as stored whose price changed (stored as 2 minutes, its 125 s are 3 at the plan now, as after a
    /// tariff's new version) is priced again where it is stored, by its new charge: not held as classified, not
    /// skipped, counted as matched anew.
    func testACallWhosePriceAloneChangedIsPricedWhereItIsStoredByItsNewCharge() {
        let t = Rerating.ist(2024, 10, 5, 10)
        let found = rematch([Rerating.stored("p1", at: t, minutes: 2, included: 2, cost: "0",
                                             record: Rerating.record("p1", at: t, account: "ACC-A", billsec: 125))])
        XCTAssertEqual(found.periods.map(\.key), [UsageKey(subscriptionId: "sub-a", periodStart: Rerating.ist(2024, 10, 1))])
        XCTAssertEqual(found.repriced[CDRKey("p1")]?.billedSeconds, 180)
        XCTAssertTrue(found.arriving.isEmpty)
        XCTAssertTrue(found.skip.isEmpty)
        XCTAssertTrue(found.changes.isEmpty)
        XCTAssertEqual(counts(found), [1, 1, 0])
    }

    /// A call stored unmatched whose caller is now SUB-B's DID is matched anew: outbound, 150 s = 3 minutes,
    /// in SUB-B's period 15 Oct 10:00 - 15 Nov 10:00, where it arrives; it is skipped where it is stored.
    func testACallFromADIDAddedSinceArrivesInThatSubscriptionsPeriod() {
        let t = Rerating.ist(2024, 10, 20, 12)
        let stored = Rerating.unmatched(Rerating.record("u1", at: t, caller: Rerating.didB, billsec: 150), error: "no subscription")
        let found = rematch([stored])
        let key = UsageKey(subscriptionId: "sub-b", periodStart: Rerating.ist(2024, 10, 15, 10))
        XCTAssertEqual(found.periods.map(\.key), [key], "the stored call had no period; its new one is priced")
        XCTAssertEqual(found.periods.first?.span.end, Rerating.ist(2024, 11, 15, 10))
        XCTAssertEqual(found.arriving[key]?.map(\.call.record.uuid), ["u1"])
        XCTAssertEqual(found.arriving[key]?.first?.call.chargedMinutes, 3)
        XCTAssertEqual(found.arriving[key]?.first?.call.direction, .outbound)
        XCTAssertEqual(found.arriving[key]?.first?.before, stored.priced, "the history's old side")
        XCTAssertEqual(found.skip, ["u1"])
        XCTAssertTrue(found.changes.isEmpty)
        XCTAssertEqual(counts(found), [1, 1, 0])
    }

    /// A matched call that nothing matches now (its account code names no account, its numbers no DID) keeps its
    /// subscription rather than dropping to unmatched at cost 0; its period is still priced again.
    func testAMatchedCallNothingMatchesNowKeepsItsSubscription() {
        let t = Rerating.ist(2024, 10, 6, 9)
        let found = rematch([Rerating.stored("k1", at: t, minutes: 2, included: 2, cost: "0",
                                             record: Rerating.record("k1", at: t, account: "ACC-GONE", billsec: 90))])
        XCTAssertEqual(counts(found), [1, 0, 1])
        XCTAssertEqual(found.periods.map(\.key.subscriptionId), ["sub-a"])
        XCTAssertTrue(found.changes.isEmpty)
        XCTAssertTrue(found.skip.isEmpty)
    }

    /// A row rated before the account code and numbers as received were kept is priced again, not matched again,
    /// in the period of its start time, not the one its metadata names (which may predate a change of anchor).
    func testARowThatCannotBeMatchedAgainIsPricedInThePeriodOfItsStartTime() {
        let t = Rerating.ist(2024, 11, 3, 9)
        let found = rematch([Rerating.stored("old", at: t, minutes: 2, included: 2, cost: "0", periodStart: Rerating.ist(2024, 10, 1))])
        XCTAssertEqual(found.periods.map(\.key), [UsageKey(subscriptionId: "sub-a", periodStart: Rerating.ist(2024, 11, 1))])
        XCTAssertEqual(counts(found), [1, 0, 1])
    }

    /// A call still unmatched, for another reason than the stored one, changes at cost 0 and in no period.
    func testACallStillUnmatchedForAnotherReasonChangesAtCostZero() {
        let t = Rerating.ist(2024, 10, 7, 9)
        let stored = Rerating.unmatched(Rerating.record("n1", at: t, account: "NOBODY", billsec: 60), error: "an older wording")
        let found = rematch([stored])
        XCTAssertTrue(found.periods.isEmpty)
        XCTAssertEqual(found.changes.map(\.uuid), ["n1"])
        XCTAssertEqual(found.changes.first?.after, PricedCall(subscriptionId: nil, cost: .zero))
        XCTAssertEqual(found.changes.first?.match?.error,
                       "no subscription in force at 2024-10-07 03:30:00+00: account code 'NOBODY' is no account, "
                           + "and neither destination +919812345678 nor caller +911140009999 is a DID of one")
        XCTAssertEqual(found.skip, ["n1"])
        XCTAssertEqual(counts(found), [1, 1, 0])
    }

    /// A call matched anew from SUB-A to SUB-B (its account code says ACC-B): priced in SUB-B's period, and
    /// SUB-A's period, where it was, is priced again without it.
    func testACallMovedToAnotherSubscriptionTouchesBothPeriods() {
        let t = Rerating.ist(2024, 10, 20, 12)
        let found = rematch([Rerating.stored("m1", at: t, minutes: 1, included: 1, cost: "0",
                                             record: Rerating.record("m1", at: t, account: "ACC-B", billsec: 60))])
        XCTAssertEqual(found.periods.map(\.key), [UsageKey(subscriptionId: "sub-a", periodStart: Rerating.ist(2024, 10, 1)),
                                                  UsageKey(subscriptionId: "sub-b", periodStart: Rerating.ist(2024, 10, 15, 10))])
        XCTAssertEqual(found.skip, ["m1"])
        XCTAssertEqual(found.rematched, 1)
    }

    /// The calls arriving in a period come in (start_time, uuid byte order), whatever order they were read in:
    /// "B-2" (0x42) before "b-1" (0x62) on the same second, and both after the earlier "z-0".
    func testArrivingCallsAreInChargeOrder() {
        let t = Rerating.ist(2024, 10, 21, 12)
        let calls = [("b-1", t), ("B-2", t), ("z-0", t - 60)].map { uuid, start in
            Rerating.unmatched(Rerating.record(uuid, at: start, caller: Rerating.didB, billsec: 60), error: "no subscription")
        }
        let found = rematch(calls)
        XCTAssertEqual(found.arriving[Rerating.key(Rerating.subB, t)]?.map(\.call.record.uuid), ["z-0", "B-2", "b-1"])
    }

    /// Phase 2 reads whole periods: the selection [20 Oct, 21 Oct) widens to SUB-B's 15 Oct 10:00 - 15 Nov 10:00.
    func testTheSpanReadWidensToTheWholePeriods() {
        let t = Rerating.ist(2024, 10, 20, 12)
        let (from, to) = (Rerating.ist(2024, 10, 20), Rerating.ist(2024, 10, 21))
        let none = rematch([])
        XCTAssertTrue(none.span(from: from, to: to) == (from, to))
        let found = rematch([Rerating.unmatched(Rerating.record("u1", at: t, caller: Rerating.didB, billsec: 60), error: "none")])
        XCTAssertTrue(found.span(from: from, to: to) == (Rerating.ist(2024, 10, 15, 10), Rerating.ist(2024, 11, 15, 10)))
    }
}
