import Foundation
import RatingRules
import XCTest
@testable import Billing

/// What a rerate selects, and how `rerate_runs.selection` records it.
final class RerateSelectionTests: XCTestCase {
    private func selection(subscriptions: [String] = [], plans: [String] = [], unmatched: Bool = false) -> RerateSelection {
        var options = RerateOptions(from: LocalDateTime(year: 2024, month: 10, day: 1), to: LocalDateTime(year: 2024, month: 11, day: 1))
        options.subscriptions = subscriptions
        options.plans = plans
        options.unmatchedOnly = unmatched
        // 2024-10-01 00:00 and 2024-11-01 00:00 IST, in UTC.
        return RerateSelection(options, from: 1_727_721_000, to: 1_730_399_400)
    }

    func testTheSelectionIsRecordedAsJSONWithSortedKeys() throws {
        XCTAssertEqual(try selection(subscriptions: ["SUB-\"1\""], unmatched: false).json(),
                       #"{"accounts":[],"from":"2024-09-30 18:30:00+00","plans":[],"subscriptions":["SUB-\"1\""],"#
                           + #""to":"2024-10-31 18:30:00+00","unmatched":false}"#)
        let decoded = try JSONDecoder().decode(RerateSelection.Recorded.self, from: Data(try selection(unmatched: true).json().utf8))
        XCTAssertEqual(decoded, selection(unmatched: true).recorded)
    }

    /// Each narrowing option adds its array as the next parameter.
    func testEachNarrowingAddsItsParameterInTurn() {
        let query = selection(subscriptions: ["SUB-A"], plans: ["Starter", "Pro"]).selectedCalls
        XCTAssertEqual(query.parameters, ["1727721000", "1730399400", #"{"SUB-A"}"#, #"{"Starter","Pro"}"#])
        XCTAssertTrue(query.sql.hasSuffix("AND c.subscription_id IN (SELECT id FROM subscriptions WHERE subscription_number = ANY($3::text[])) "
            + "AND c.subscription_id IN (SELECT s.id FROM subscriptions s JOIN rate_plans p ON p.id = s.rate_plan_id WHERE p.name = ANY($4::text[]))"),
                      query.sql)
        XCTAssertTrue(selection(unmatched: true).selectedCalls.sql.hasSuffix("c.start_time < to_timestamp($2) AND c.subscription_id IS NULL"))
    }
}
