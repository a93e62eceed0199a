import RatingRules
import XCTest
@testable import Billing

/// A `cdrs` row as `rerate` reads it, column by column: bad data fails the
/// rerate with the column's name instead of crashing it.
final class StoredCallTests: XCTestCase {
    /// The row of a call ACC-A made at 2024-10-05 04:30 UTC: 125 s, 3 minutes, 2 included, 0.5000.
    private func row(_ replacing: [StoredCall.Column: String?] = [:]) -> [String?] {
        var values: [StoredCall.Column: String?] = [
            .uuid: "c1", .start: "1728102600", .end: "1728102730", .duration: "130", .billsec: "125",
            .hangupCause: "NORMAL_CLEARING", .accountCode: "ACC-A", .callerReceived: "011 4000 1000",
            .destinationReceived: "09812345678", .subscriptionId: "sub-a", .accountId: "acct-a", .direction: "outbound",
            .type: "mobile", .status: "answered", .error: nil, .cost: "0.5000", .periodStart: "1727721000",
            .billedSeconds: "180", .bundleSeconds: "180", .coveredSeconds: "120",
        ]
        for (column, value) in replacing { values[column] = value }
        return StoredCall.Column.allCases.map { values[$0] ?? nil }
    }

    func testARowIsReadByColumn() throws {
        let call = try StoredCall(row: row())
        XCTAssertEqual(call.uuid, "c1")
        XCTAssertEqual(call.start, 1_728_102_600)
        XCTAssertEqual(call.match, CallMatch(subscriptionId: "sub-a", accountId: "acct-a", direction: .outbound, type: .mobile,
                                             status: .answered, error: nil))
        XCTAssertEqual(call.priced, PricedCall(subscriptionId: "sub-a", cost: Money("0.50")!, periodStart: 1_727_721_000,
                                               chargedMinutes: 3, includedMinutes: 2))
        let record = try XCTUnwrap(call.record)
        XCTAssertEqual(record.callerId, "+911140001000", "the numbers as received, normalised again")
        XCTAssertEqual(record.destination, "+919812345678")
        XCTAssertEqual(record.destinationReceived, "09812345678")
        XCTAssertEqual([record.billsec, record.duration], [125, 130])
        XCTAssertEqual(record.end, 1_728_102_730)
    }

    /// Rows rated before the account code was kept cannot be matched again; what matching alone needs may be missing.
    func testARowWithoutTheNumbersAsReceivedHasNoRecord() throws {
        let call = try StoredCall(row: row([.accountCode: nil, .duration: nil, .periodStart: nil]))
        XCTAssertNil(call.record)
        XCTAssertNil(call.priced.periodStart, "an unmatched call has no period")
    }

    func testANullOrUnreadableColumnThrowsNamingIt() {
        XCTAssertThrowsError(try StoredCall(row: row([.type: nil]))) {
            XCTAssertEqual("\($0)", "cannot re-rate the stored call c1: cdrs call_type is NULL")
        }
        XCTAssertThrowsError(try StoredCall(row: row([.cost: "0.5.0"]))) {
            XCTAssertEqual("\($0)", "cannot re-rate the stored call c1: cdrs cost is not an amount: '0.5.0'")
        }
        XCTAssertThrowsError(try StoredCall(row: row([.status: "ANSWERED"]))) {
            XCTAssertEqual("\($0)", "cannot re-rate the stored call c1: cdrs call_status is not a call status: 'ANSWERED'")
        }
        XCTAssertThrowsError(try StoredCall(row: row([.uuid: nil]))) {
            XCTAssertEqual("\($0)", "cannot re-rate a stored call: cdrs uuid is NULL")
        }
        XCTAssertThrowsError(try StoredCall(row: Array(row().dropLast()))) {
            XCTAssertTrue("\($0)".contains("23 columns, not the 24 selected"), "\($0)")
        }
    }

    /// The select list, expression for expression: the seconds fall back to the minutes of rows rated before they were kept.
    func testTheColumnsAreTheSelectListAsBefore() {
        let before = """
            c.uuid, extract(epoch FROM c.start_time)::bigint, extract(epoch FROM c.end_time)::bigint, c.duration, c.billable_seconds,
            c.hangup_cause, c.metadata->>'account_code', c.metadata->>'caller_received', c.metadata->>'destination_received',
            c.subscription_id, c.account_id, c.call_direction, c.call_type, c.call_status, c.processing_error, c.cost,
            extract(epoch FROM (c.metadata->>'usage_period_start')::timestamptz)::bigint,
            coalesce(coalesce((c.metadata->>'billed_seconds')::int, (c.metadata->>'charged_minutes')::int * 60), 0),
            coalesce(coalesce((c.metadata->>'bundle_seconds')::int, coalesce((c.metadata->>'billed_seconds')::int,
            (c.metadata->>'charged_minutes')::int * 60)), 0),
            coalesce(coalesce((c.metadata->>'covered_seconds')::int, (c.metadata->>'included_minutes')::int * 60), 0),
            c.metadata->>'tariff', c.metadata->>'tariff_version', c.metadata->>'prefix', c.metadata->>'bands'
            """
        XCTAssertEqual(StoredCall.columns, before.replacingOccurrences(of: "\n", with: " "))
    }
}
