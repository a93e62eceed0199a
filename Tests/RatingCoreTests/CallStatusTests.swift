import XCTest
@testable import RatingRules

final class CallStatusTests: XCTestCase {
    func testBillsecAboveZeroIsAlwaysAnswered() {
        for cause in ["NORMAL_CLEARING", "NO_ANSWER", "USER_BUSY", "ORIGINATOR_CANCEL", "BUSY", "NO ANSWER",
                      "CANCEL", "FAILED", "CALL_REJECTED", ""] {
            XCTAssertEqual(CallStatus.from(billsec: 1, cause: cause), .answered, cause)
            XCTAssertEqual(CallStatus.from(billsec: 3600, cause: cause), .answered, cause)
        }
    }

    func testFreeSWITCHCauses() {
        XCTAssertEqual(CallStatus.from(billsec: 0, cause: "NO_ANSWER"), .no_answer)
        XCTAssertEqual(CallStatus.from(billsec: 0, cause: "NO_USER_RESPONSE"), .no_answer)
        XCTAssertEqual(CallStatus.from(billsec: 0, cause: "USER_BUSY"), .busy)
        XCTAssertEqual(CallStatus.from(billsec: 0, cause: "ORIGINATOR_CANCEL"), .cancelled)
        XCTAssertEqual(CallStatus.from(billsec: 0, cause: "CALL_REJECTED"), .failed)
        XCTAssertEqual(CallStatus.from(billsec: 0, cause: "UNALLOCATED_NUMBER"), .failed)
        XCTAssertEqual(CallStatus.from(billsec: 0, cause: "NORMAL_TEMPORARY_FAILURE"), .failed)
        XCTAssertEqual(CallStatus.from(billsec: 0, cause: "NORMAL_CLEARING"), .failed)
        XCTAssertEqual(CallStatus.from(billsec: 0, cause: ""), .failed)
    }

    func testAsteriskDispositions() {
        XCTAssertEqual(CallStatus.from(billsec: 0, cause: "NO ANSWER"), .no_answer)
        XCTAssertEqual(CallStatus.from(billsec: 0, cause: "BUSY"), .busy)
        XCTAssertEqual(CallStatus.from(billsec: 0, cause: "CANCEL"), .cancelled)
        XCTAssertEqual(CallStatus.from(billsec: 0, cause: "FAILED"), .failed)
        XCTAssertEqual(CallStatus.from(billsec: 0, cause: "CONGESTION"), .failed)
        XCTAssertEqual(CallStatus.from(billsec: 300, cause: "ANSWERED"), .answered)
    }

    func testDatabaseSpellings() {
        XCTAssertEqual(CallStatus.no_answer.rawValue, "no_answer")
        XCTAssertEqual(CallStatus.allCases.map(\.rawValue).sorted(),
                       ["answered", "busy", "cancelled", "failed", "no_answer"])
        XCTAssertEqual(CallType.toll_free.rawValue, "toll_free")
        XCTAssertEqual(CallDirection.inbound.rawValue, "inbound")
    }

    func testInboundCallTypeOfDIDTypes() {
        XCTAssertEqual(DIDType.toll_free.inboundCallType, .toll_free)
        XCTAssertEqual(DIDType.mobile.inboundCallType, .mobile)
        XCTAssertEqual(DIDType.national.inboundCallType, .std)
        XCTAssertEqual(DIDType.local.inboundCallType, .local)
    }
}
