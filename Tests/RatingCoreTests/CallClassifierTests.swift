import XCTest
@testable import RatingRules

final class CallClassifierTests: XCTestCase {
    // ACC-10001 has two open subscriptions: sub-0 from 2024-01-01 and sub-1 from 2024-10-01 (the later one wins once in force).
    // ACC-10002 has sub-2, in force 2024-09-01 00:00 IST up to (not including) 2024-11-01 00:00 IST.
    let sub0 = TS.subscription(id: "sub-0", account: "ACC-10001", start: TS.ist(2024, 1, 1))
    let sub1 = TS.subscription(id: "sub-1", account: "ACC-10001", start: TS.ist(2024, 10, 1))
    let sub2 = TS.subscription(id: "sub-2", account: "ACC-10002", type: .postpaid, start: TS.ist(2024, 9, 1), end: TS.ist(2024, 11, 1))

    let localDID = "+911140001000"     // sub-1, local
    let tollFreeDID = "+9118002001000" // sub-1, toll free
    let nationalDID = "+911140002000"  // sub-2, national
    let mobileDID = "+919800030000"    // sub-2, mobile
    let customer = "+919812345678"

    lazy var classifier = CallClassifier(
        catalog: Catalog(subscriptions: [sub0, sub1, sub2], dids: [
            AssignedDID(number: localDID, type: .local, subscriptionId: "sub-1"),
            AssignedDID(number: tollFreeDID, type: .toll_free, subscriptionId: "sub-1"),
            AssignedDID(number: nationalDID, type: .national, subscriptionId: "sub-2"),
            AssignedDID(number: mobileDID, type: .mobile, subscriptionId: "sub-2"),
        ]),
        businessZone: TS.ist)

    // MARK: catalog

    func testSubscriptionInForceBoundaries() {
        XCTAssertFalse(sub2.isInForce(at: TS.ist(2024, 9, 1) - 1))
        XCTAssertTrue(sub2.isInForce(at: TS.ist(2024, 9, 1)))
        XCTAssertTrue(sub2.isInForce(at: TS.ist(2024, 11, 1) - 1))
        XCTAssertFalse(sub2.isInForce(at: TS.ist(2024, 11, 1)))
        XCTAssertTrue(sub1.isInForce(at: TS.ist(2099, 1, 1)))
    }

    func testLatestStartWinsAmongSubscriptionsInForce() {
        let c = classifier.catalog
        XCTAssertEqual(c.subscription(accountNumber: "ACC-10001", at: TS.ist(2024, 9, 15))?.id, "sub-0")
        XCTAssertEqual(c.subscription(accountNumber: "ACC-10001", at: TS.ist(2024, 10, 1) - 1)?.id, "sub-0")
        XCTAssertEqual(c.subscription(accountNumber: "ACC-10001", at: TS.ist(2024, 10, 1))?.id, "sub-1")
        XCTAssertEqual(c.subscription(accountNumber: "ACC-10001", at: TS.ist(2024, 10, 5))?.id, "sub-1")
        XCTAssertNil(c.subscription(accountNumber: "ACC-10001", at: TS.ist(2023, 12, 31)))
        XCTAssertNil(c.subscription(accountNumber: "ACC-99999", at: TS.ist(2024, 10, 5)))
        XCTAssertTrue(c.hasAccount("ACC-10002"))
        XCTAssertFalse(c.hasAccount("ACC-99999"))
    }

    func testLatestStartWinsRegardlessOfCatalogOrder() {
        let c = Catalog(subscriptions: [sub1, sub0], dids: [])
        XCTAssertEqual(c.subscription(accountNumber: "ACC-10001", at: TS.ist(2024, 10, 5))?.id, "sub-1")
    }

    // MARK: matching order

    func testAccountCodeMatchOutbound() {
        let r = TS.record(caller: "100", destination: customer, account: "ACC-10001", start: TS.ist(2024, 10, 5, 10), billsec: 125)
        let c = classifier.classify(r)
        XCTAssertEqual(c.subscription?.id, "sub-1")
        XCTAssertEqual(c.direction, .outbound)
        XCTAssertEqual(c.type, .mobile)
        XCTAssertEqual(c.status, .answered)
        XCTAssertEqual(c.chargedMinutes, 3)
        XCTAssertNil(c.unmatchedReason)
        XCTAssertEqual(c.period, UsagePeriod(start: TS.ist(2024, 10, 1), end: TS.ist(2024, 11, 1)))
    }

    func testAccountCodeBeforeLaterSubscriptionStarts() {
        let r = TS.record(caller: "100", destination: "+911123456789", account: "ACC-10001", start: TS.ist(2024, 9, 15, 12), billsec: 60)
        let c = classifier.classify(r)
        XCTAssertEqual(c.subscription?.id, "sub-0")
        XCTAssertEqual(c.type, .std)
        XCTAssertEqual(c.chargedMinutes, 1)
        XCTAssertEqual(c.period, UsagePeriod(start: TS.ist(2024, 9, 1), end: TS.ist(2024, 10, 1)))
    }

    func testInboundViaDestinationDID() {
        let r = TS.record(caller: customer, destination: localDID, start: TS.ist(2024, 10, 5, 10, 7), billsec: 300)
        let c = classifier.classify(r)
        XCTAssertEqual(c.subscription?.id, "sub-1")
        XCTAssertEqual(c.direction, .inbound)
        XCTAssertEqual(c.type, .local)
        XCTAssertEqual(c.status, .answered)
        XCTAssertEqual(c.chargedMinutes, 0, "inbound to a local DID costs nothing")
        XCTAssertNotNil(c.period)
    }

    func testInboundToTollFreeDIDAnsweredIsCharged() {
        let r = TS.record(caller: customer, destination: tollFreeDID, start: TS.ist(2024, 10, 5, 11), billsec: 61)
        let c = classifier.classify(r)
        XCTAssertEqual(c.subscription?.id, "sub-1")
        XCTAssertEqual(c.direction, .inbound)
        XCTAssertEqual(c.type, .toll_free)
        XCTAssertEqual(c.chargedMinutes, 2)
    }

    func testInboundToTollFreeDIDUnansweredIsFree() {
        let r = TS.record(caller: customer, destination: tollFreeDID, start: TS.ist(2024, 10, 5, 11), billsec: 0, cause: "NO_ANSWER")
        let c = classifier.classify(r)
        XCTAssertEqual(c.direction, .inbound)
        XCTAssertEqual(c.status, .no_answer)
        XCTAssertEqual(c.chargedMinutes, 0)
    }

    func testInboundToNationalDIDIsSTDAndMobileDIDIsMobile() {
        let national = classifier.classify(TS.record(caller: customer, destination: nationalDID, start: TS.ist(2024, 10, 5), billsec: 90))
        XCTAssertEqual(national.subscription?.id, "sub-2")
        XCTAssertEqual(national.direction, .inbound)
        XCTAssertEqual(national.type, .std)
        XCTAssertEqual(national.chargedMinutes, 0)
        let mobile = classifier.classify(TS.record(caller: customer, destination: mobileDID, start: TS.ist(2024, 10, 5), billsec: 90))
        XCTAssertEqual(mobile.type, .mobile)
        XCTAssertEqual(mobile.direction, .inbound)
        XCTAssertEqual(mobile.chargedMinutes, 0)
    }

    func testOutboundViaCallerDID() {
        let r = TS.record(caller: nationalDID, destination: "+14155550100", start: TS.ist(2024, 10, 5, 22), billsec: 59)
        let c = classifier.classify(r)
        XCTAssertEqual(c.subscription?.id, "sub-2")
        XCTAssertEqual(c.direction, .outbound)
        XCTAssertEqual(c.type, .isd)
        XCTAssertEqual(c.chargedMinutes, 1)
        XCTAssertEqual(c.period, UsagePeriod(start: TS.ist(2024, 10, 1), end: TS.ist(2024, 11, 1)))
    }

    func testOutboundCallTypesFromDestination() {
        let cases: [(String, CallType)] = [("+9118001234567", .toll_free), ("+971501234567", .isd), (customer, .mobile),
                                           ("+912222334455", .std), ("4501", .local)]
        for (destination, type) in cases {
            let c = classifier.classify(TS.record(caller: localDID, destination: destination, start: TS.ist(2024, 10, 5), billsec: 30))
            XCTAssertEqual(c.subscription?.id, "sub-1", destination)
            XCTAssertEqual(c.direction, .outbound, destination)
            XCTAssertEqual(c.type, type, destination)
            XCTAssertEqual(c.chargedMinutes, 1, destination)
        }
    }

    func testDestinationDIDBeatsCallerDID() {
        // caller is sub-2's DID, destination is sub-1's DID: rule 2 (destination) comes before rule 3 (caller).
        let c = classifier.classify(TS.record(caller: nationalDID, destination: localDID, start: TS.ist(2024, 10, 5), billsec: 30))
        XCTAssertEqual(c.subscription?.id, "sub-1")
        XCTAssertEqual(c.direction, .inbound)
    }

    func testAccountCodeBeatsDIDAndDirectionFollowsMatchedSubscription() {
        // accountcode is ACC-10002 (sub-2) but the destination is sub-1's DID: sub-2 matches,
        // and since the destination is not one of sub-2's DIDs the call is outbound, typed from the number.
        let c = classifier.classify(TS.record(caller: "100", destination: localDID, account: "ACC-10002", start: TS.ist(2024, 10, 5), billsec: 30))
        XCTAssertEqual(c.subscription?.id, "sub-2")
        XCTAssertEqual(c.direction, .outbound)
        XCTAssertEqual(c.type, .std)
        XCTAssertEqual(c.chargedMinutes, 1)
    }

    func testAccountCodeAndOwnDIDIsInbound() {
        let c = classifier.classify(TS.record(caller: customer, destination: localDID, account: "ACC-10001", start: TS.ist(2024, 10, 5), billsec: 30))
        XCTAssertEqual(c.subscription?.id, "sub-1")
        XCTAssertEqual(c.direction, .inbound)
        XCTAssertEqual(c.type, .local)
        XCTAssertEqual(c.chargedMinutes, 0)
    }

    // MARK: unmatched and time limits

    func testUnmatched() {
        let r = TS.record(caller: "+919811111111", destination: "+919822222222", account: "ACC-99999", start: TS.ist(2024, 10, 5), billsec: 600)
        let c = classifier.classify(r)
        XCTAssertNil(c.subscription)
        XCTAssertNil(c.period)
        XCTAssertEqual(c.chargedMinutes, 0)
        XCTAssertEqual(c.status, .answered)
        XCTAssertFalse(c.unmatchedReason?.isEmpty ?? true)
    }

    func testUnmatchedWithoutAccountCode() {
        let c = classifier.classify(TS.record(caller: "100", destination: "200", start: TS.ist(2024, 10, 5), billsec: 10))
        XCTAssertNil(c.subscription)
        XCTAssertEqual(c.chargedMinutes, 0)
        XCTAssertFalse(c.unmatchedReason?.isEmpty ?? true)
        XCTAssertFalse(c.unmatchedReason?.contains("\n") ?? true)
    }

    func testSubscriptionNotYetInForce() {
        let before = classifier.classify(TS.record(caller: "100", destination: customer, account: "ACC-10002",
                                                   start: TS.ist(2024, 8, 31, 23, 59, 59), billsec: 60))
        XCTAssertNil(before.subscription)
        XCTAssertEqual(before.chargedMinutes, 0)
        XCTAssertNotNil(before.unmatchedReason)
        let atStart = classifier.classify(TS.record(caller: "100", destination: customer, account: "ACC-10002",
                                                    start: TS.ist(2024, 9, 1), billsec: 60))
        XCTAssertEqual(atStart.subscription?.id, "sub-2")
        XCTAssertEqual(atStart.period, UsagePeriod(start: TS.ist(2024, 9, 1), end: TS.ist(2024, 10, 1)))
    }

    func testSubscriptionEndIsExclusive() {
        let lastSecond = classifier.classify(TS.record(caller: "100", destination: customer, account: "ACC-10002",
                                                       start: TS.ist(2024, 11, 1) - 1, billsec: 60))
        XCTAssertEqual(lastSecond.subscription?.id, "sub-2")
        let atEnd = classifier.classify(TS.record(caller: "100", destination: customer, account: "ACC-10002",
                                                  start: TS.ist(2024, 11, 1), billsec: 60))
        XCTAssertNil(atEnd.subscription)
        XCTAssertEqual(atEnd.chargedMinutes, 0)
        XCTAssertTrue(atEnd.unmatchedReason?.contains("ACC-10002") ?? false, atEnd.unmatchedReason ?? "")
        // the DIDs of an ended subscription no longer match either
        let toDID = classifier.classify(TS.record(caller: customer, destination: nationalDID, start: TS.ist(2024, 11, 1), billsec: 60))
        XCTAssertNil(toDID.subscription)
        let fromDID = classifier.classify(TS.record(caller: mobileDID, destination: customer, start: TS.ist(2024, 11, 2), billsec: 60))
        XCTAssertNil(fromDID.subscription)
    }

    func testCallTimeIsStartTime() {
        // starts in force (last second), ends after the subscription ended: still sub-2's call
        var r = TS.record(caller: "100", destination: customer, account: "ACC-10002", start: TS.ist(2024, 11, 1) - 1, billsec: 600)
        r.end = TS.ist(2024, 11, 1) + 700
        XCTAssertEqual(classifier.classify(r).subscription?.id, "sub-2")
    }

    func testAccountWithoutSubscriptionInForceFallsBackToDIDs() {
        let c = classifier.classify(TS.record(caller: customer, destination: localDID, account: "ACC-10002",
                                              start: TS.ist(2024, 11, 5), billsec: 30))
        XCTAssertEqual(c.subscription?.id, "sub-1")
        XCTAssertEqual(c.direction, .inbound)
    }

    // MARK: who pays

    func testUnansweredOutboundChargesNothing() {
        for cause in ["USER_BUSY", "NO_ANSWER", "ORIGINATOR_CANCEL", "CALL_REJECTED"] {
            let c = classifier.classify(TS.record(caller: "100", destination: customer, account: "ACC-10001",
                                                  start: TS.ist(2024, 10, 5, 10, 9), billsec: 0, cause: cause))
            XCTAssertEqual(c.subscription?.id, "sub-1")
            XCTAssertNotEqual(c.status, .answered)
            XCTAssertEqual(c.chargedMinutes, 0, cause)
        }
        let busy = classifier.classify(TS.record(caller: "100", destination: customer, account: "ACC-10001",
                                                 start: TS.ist(2024, 10, 5, 10, 9), billsec: 0, cause: "USER_BUSY"))
        XCTAssertEqual(busy.status, .busy)
    }
}
