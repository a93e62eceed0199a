import XCTest
@testable import RatingRules

/// What-if (`--plans`): the plans file and its arithmetic, worked by hand.
final class ProposedPlansTests: XCTestCase {
    func testJSONObjectListAndCSV() throws {
        let object = try ProposedPlan.parse("""
            {"Starter": {"included_minutes": 600, "overage_rate_per_minute": "0.40"},
             "Professional": {"included_minutes": 1500, "overage_rate_per_minute": 0.35}}
            """)
        XCTAssertEqual(object, [
            ProposedPlan(name: "Professional", includedMinutes: 1500, overageRatePerMinute: Money("0.35")!),
            ProposedPlan(name: "Starter", includedMinutes: 600, overageRatePerMinute: Money("0.40")!),
        ])
        let list = try ProposedPlan.parse(#"[{"name": "Call Center", "included_minutes": 12000, "overage_rate_per_minute": "0.2500"}]"#)
        XCTAssertEqual(list, [ProposedPlan(name: "Call Center", includedMinutes: 12000, overageRatePerMinute: Money("0.25")!)])
        let csv = try ProposedPlan.parse("name,included_minutes,overage_rate_per_minute\r\nStarter,600,0.40\n\"Call Center\", 12000 ,0.25\n")
        XCTAssertEqual(csv, [ProposedPlan(name: "Starter", includedMinutes: 600, overageRatePerMinute: Money("0.40")!),
                             ProposedPlan(name: "Call Center", includedMinutes: 12000, overageRatePerMinute: Money("0.25")!)])
    }

    func testBadFilesSayWhy() {
        func error(_ text: String) -> String {
            do { _ = try ProposedPlan.parse(text); return "no error" } catch { return error.description }
        }
        XCTAssertEqual(error("{\"Starter\": {\"included_minutes\": 600, \"overage_rate_per_minute\": \"0.12345\"}}"),
                       "plan 'Starter': overage_rate_per_minute '0.12345' is not an amount >= 0 with at most 4 decimals")
        XCTAssertEqual(error("{\"Starter\": {\"included_minutes\": -1, \"overage_rate_per_minute\": \"0.1\"}}"),
                       "plan 'Starter': included_minutes '-1' is not a whole number >= 0")
        XCTAssertEqual(error("plan,minutes\nStarter,1"),
                       "line 1: expected the header name,included_minutes,overage_rate_per_minute (or a JSON file)")
        XCTAssertEqual(error("name,included_minutes,overage_rate_per_minute\nStarter,1,0.1\nStarter,2,0.2"), "plan 'Starter' is named twice")
        XCTAssertEqual(error("{\"Starter\": {\"included_minutes\": 600}}"), "plan 'Starter': overage_rate_per_minute is missing")
        XCTAssertEqual(error("{"), "it is not valid JSON")
        XCTAssertEqual(error("{}"), "it names no plan")
    }

    func testCatalogWithProposedPlans() throws {
        let sub = TS.subscription(id: "sub-1", account: "ACC-1", start: 0)
        let catalog = Catalog(subscriptions: [sub], dids: [])
        let proposed = try catalog.replacingPlans([ProposedPlan(name: "Starter", includedMinutes: 600, overageRatePerMinute: Money("0.40")!)])
        XCTAssertEqual(proposed.subscription(id: "sub-1")!.plan.includedMinutes, 600)
        XCTAssertEqual(proposed.subscription(id: "sub-1")!.plan.overageRatePerMinute, Money("0.40")!)
        XCTAssertEqual(catalog.subscription(id: "sub-1")!.plan.includedMinutes, 500, "the catalog itself is left as it is")
        XCTAssertThrowsError(try catalog.replacingPlans([ProposedPlan(name: "Gold", includedMinutes: 1, overageRatePerMinute: .zero)])) {
            XCTAssertEqual("\($0)", "plan 'Gold' is no plan of any subscription (known: Starter)")
        }
    }

    func testWhatIfArithmetic() {
        // The SPEC worked example's usage row (498 of 500 used) and its two charged calls, 3 and 1 minutes.
        let key = UsageKey(subscriptionId: "sub-1", periodStart: 0)
        let charges = [key: [Charge(start: 10, uuid: "a", minutes: 3), Charge(start: 20, uuid: "b", minutes: 1)]]
        func cost(included: Int, rate: String) -> BatchMinutes {
            MinuteAllocator.plan(charges) { _ in PeriodBasis(included: included, imported: 498, rate: Money(rate)!) }.batch[key]!
        }
        // Now: 2 included, 2 overage at 0.50 = 1.00.
        XCTAssertEqual(cost(included: 500, rate: "0.50"), BatchMinutes(included: 2, overage: 2, cost: Money("1.00")!))
        // 600 included at 0.40: 102 left, all 4 minutes included, 0.00 (1.00 less).
        XCTAssertEqual(cost(included: 600, rate: "0.40"), BatchMinutes(included: 4, overage: 0, cost: .zero))
        // 400 included at 0.45: 498 already over, all 4 minutes overage, 1.80 (0.80 more).
        XCTAssertEqual(cost(included: 400, rate: "0.45"), BatchMinutes(included: 0, overage: 4, cost: Money("1.80")!))
        // 501 included at 0.45: 3 left; a 3 included, b 1 overage, 0.45.
        XCTAssertEqual(cost(included: 501, rate: "0.45"), BatchMinutes(included: 3, overage: 1, cost: Money("0.45")!))
    }
}
