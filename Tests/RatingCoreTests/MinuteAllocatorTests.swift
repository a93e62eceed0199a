import XCTest
@testable import RatingRules

final class MinuteAllocatorTests: XCTestCase {
    // The SPEC section 3 worked example: Starter (500 included, 0.50/min), subscription started
    // 2024-10-01 00:00 IST, 498 minutes already recorded for the period.
    let sub = TS.subscription(id: "sub-1", number: "SUB-0001", account: "ACC-10001", start: TS.ist(2024, 10, 1))
    let localDID = NumberPlan.normalize("011 4000 1000")
    lazy var classifier = CallClassifier(
        catalog: Catalog(subscriptions: [sub], dids: [AssignedDID(number: localDID, type: .local, subscriptionId: "sub-1")]),
        businessZone: TS.ist)
    lazy var periodKey = UsageKey(subscriptionId: "sub-1", periodStart: TS.ist(2024, 10, 1))

    private func workedExampleCalls() -> [ClassifiedCall] {
        [
            TS.record(uuid: "call-a", caller: localDID, destination: NumberPlan.normalize("9812345678"), account: "ACC-10001",
                      start: TS.ist(2024, 10, 5, 10, 0), billsec: 125),
            TS.record(uuid: "call-b", caller: localDID, destination: NumberPlan.normalize("1800 123 4567"), account: "ACC-10001",
                      start: TS.ist(2024, 10, 5, 10, 5), billsec: 60),
            TS.record(uuid: "call-c", caller: NumberPlan.normalize("9812345678"), destination: localDID,
                      start: TS.ist(2024, 10, 5, 10, 7), billsec: 300),
            TS.record(uuid: "call-d", caller: localDID, destination: NumberPlan.normalize("9812345678"), account: "ACC-10001",
                      start: TS.ist(2024, 10, 5, 10, 9), billsec: 0, cause: "USER_BUSY"),
        ].map { classifier.classify($0) }
    }

    func testWorkedExampleEndToEnd() {
        let calls = workedExampleCalls()
        XCTAssertEqual(calls.map(\.type), [.mobile, .toll_free, .local, .mobile])
        XCTAssertEqual(calls.map(\.direction), [.outbound, .outbound, .inbound, .outbound])
        XCTAssertEqual(calls.map(\.status), [.answered, .answered, .answered, .busy])
        XCTAssertEqual(calls.map(\.chargedMinutes), [3, 1, 0, 0])

        var asked: [UsageKey] = []
        let key = periodKey
        let (rated, added) = rateBatch(calls) { k in asked.append(k); return k == key ? 498 : 0 }
        XCTAssertEqual(Set(asked), [key])

        XCTAssertEqual(rated.map(\.call.record.uuid), ["call-a", "call-b", "call-c", "call-d"])
        // 10:00 mobile, 3 minutes: 2 included, 1 overage, 0.5000
        XCTAssertEqual(rated[0].includedMinutes, 2)
        XCTAssertEqual(rated[0].overageMinutes, 1)
        XCTAssertEqual(rated[0].cost, Money("0.5000")!)
        // 10:05 toll free, 1 minute, all overage, 0.5000
        XCTAssertEqual(rated[1].includedMinutes, 0)
        XCTAssertEqual(rated[1].overageMinutes, 1)
        XCTAssertEqual(rated[1].cost, Money("0.5000")!)
        // 10:07 inbound local: no minutes, cost 0
        XCTAssertEqual(rated[2].includedMinutes, 0)
        XCTAssertEqual(rated[2].overageMinutes, 0)
        XCTAssertEqual(rated[2].cost, Money.zero)
        // 10:09 busy: cost 0
        XCTAssertEqual(rated[3].includedMinutes, 0)
        XCTAssertEqual(rated[3].overageMinutes, 0)
        XCTAssertEqual(rated[3].cost, Money.zero)

        XCTAssertEqual(added.count, 1)
        XCTAssertEqual(added[key], UsageTotals(billedSeconds: 240, localCalls: 1, mobileCalls: 1, tollFreeCalls: 1))

        let costs = rated.reduce(Money.zero) { $0 + $1.cost }
        // The batch's covered seconds come from its plan: the mobile call's first 2 minutes.
        var usage = added[key]!
        usage.coveredSeconds = 120
        let row = UsageRow(minutesIncluded: 500, imported: UsageTotals(minutesUsed: 498), totals: UsageTotals(minutesUsed: 498))
            .adding(usage, cost: costs)
        XCTAssertEqual(row.minutesUsed, 502)
        XCTAssertEqual(row.minutesOverage, 2)
        XCTAssertEqual(row.overageCost.formatted(decimals: 2), "1.00")
        XCTAssertEqual(UsageRow.prepaidDebit(from: UsageRow(minutesIncluded: 500, imported: UsageTotals(minutesUsed: 498)), to: row), Money("1.00")!)

        // sum of cdrs.cost over the period = minutes_overage x rate; prepaid balance 500.00 -> 499.00
        XCTAssertEqual(costs, TS.starter.overageRatePerMinute.times(2))
        XCTAssertEqual(Money("500.00")! - costs, Money("499.00")!)
    }

    func testResultDoesNotDependOnInputOrder() {
        let calls = workedExampleCalls()
        let key = periodKey
        let reference = rateBatch(calls) { $0 == key ? 498 : 0 }
        func byUUID(_ rated: [RatedCall]) -> [String: [String]] {
            Dictionary(uniqueKeysWithValues: rated.map { ($0.call.record.uuid, ["\($0.includedMinutes)", "\($0.overageMinutes)", $0.cost.description]) })
        }
        let expected = byUUID(reference.rated)
        // every one of the 24 orders
        func permutations(_ a: [ClassifiedCall]) -> [[ClassifiedCall]] {
            guard a.count > 1 else { return [a] }
            return a.indices.flatMap { i -> [[ClassifiedCall]] in
                var rest = a; let x = rest.remove(at: i)
                return permutations(rest).map { [x] + $0 }
            }
        }
        let all = permutations(calls)
        XCTAssertEqual(all.count, 24)
        for order in all {
            let result = rateBatch(order) { $0 == key ? 498 : 0 }
            XCTAssertEqual(result.rated.map(\.call.record.uuid), order.map(\.record.uuid), "same order as the input")
            XCTAssertEqual(byUUID(result.rated), expected)
            XCTAssertEqual(result.added, reference.added)
        }
    }

    func testShuffledLargeBatchIsIdentical() {
        // 60 calls of 1..5 minutes spread over a day, 400 minutes already used: the line crosses mid-batch.
        var records: [CallDetailRecord] = []
        for i in 0 ..< 60 {
            records.append(TS.record(uuid: String(format: "u-%03d", i), caller: localDID, destination: "+919812345678",
                                     account: "ACC-10001", start: TS.ist(2024, 10, 6) + Int64(i * 600), billsec: 60 * (i % 5) + 1))
        }
        let calls = records.map { classifier.classify($0) }
        let key = periodKey
        let reference = rateBatch(calls) { $0 == key ? 400 : 0 }
        // by hand: the minutes are 1,2,3,4,5 repeating; 100 included left; cumulative 15 per 5 calls,
        // so after 30 calls 90 used, call 30 (1 min) -> 91, 31 (2) -> 93, 32 (3) -> 96, 33 (4) -> 100, call 34 (5) all overage.
        XCTAssertEqual(reference.rated[33].includedMinutes, 4)
        XCTAssertEqual(reference.rated[33].overageMinutes, 0)
        XCTAssertEqual(reference.rated[34].includedMinutes, 0)
        XCTAssertEqual(reference.rated[34].overageMinutes, 5)
        XCTAssertEqual(reference.rated.reduce(0) { $0 + $1.includedMinutes }, 100)
        XCTAssertEqual(reference.rated.reduce(0) { $0 + $1.overageMinutes }, 180 - 100)
        var generator = SplitMix(seed: 42)
        for _ in 0 ..< 10 {
            let shuffled = calls.shuffled(using: &generator)
            let result = rateBatch(shuffled) { $0 == key ? 400 : 0 }
            let got = Dictionary(uniqueKeysWithValues: result.rated.map { ($0.call.record.uuid, [$0.includedMinutes, $0.overageMinutes]) })
            let want = Dictionary(uniqueKeysWithValues: reference.rated.map { ($0.call.record.uuid, [$0.includedMinutes, $0.overageMinutes]) })
            XCTAssertEqual(got, want)
            XCTAssertEqual(result.added, reference.added)
        }
    }

    func testTieOnStartTimeBrokenByUuid() {
        let t = TS.ist(2024, 10, 5, 12)
        let b = TS.record(uuid: "b-call", caller: localDID, destination: "+919812345678", account: "ACC-10001", start: t, billsec: 120)
        let a = TS.record(uuid: "a-call", caller: localDID, destination: "+919812345678", account: "ACC-10001", start: t, billsec: 120)
        let key = periodKey
        for input in [[b, a], [a, b]] {
            let (rated, _) = rateBatch(input.map { classifier.classify($0) }) { $0 == key ? 497 : 0 }
            let r = Dictionary(uniqueKeysWithValues: rated.map { ($0.call.record.uuid, $0) })
            // 3 minutes left: a-call first takes 2 included; b-call 1 included + 1 overage
            XCTAssertEqual(r["a-call"]?.includedMinutes, 2)
            XCTAssertEqual(r["a-call"]?.overageMinutes, 0)
            XCTAssertEqual(r["a-call"]?.cost, Money.zero)
            XCTAssertEqual(r["b-call"]?.includedMinutes, 1)
            XCTAssertEqual(r["b-call"]?.overageMinutes, 1)
            XCTAssertEqual(r["b-call"]?.cost, Money("0.50")!)
        }
    }

    func testEarlierStartBeatsSmallerUuid() {
        let early = TS.record(uuid: "zzz", caller: localDID, destination: "+919812345678", account: "ACC-10001",
                              start: TS.ist(2024, 10, 5, 9), billsec: 60)
        let late = TS.record(uuid: "aaa", caller: localDID, destination: "+919812345678", account: "ACC-10001",
                             start: TS.ist(2024, 10, 5, 9) + 1, billsec: 60)
        let key = periodKey
        let (rated, _) = rateBatch([late, early].map { classifier.classify($0) }) { $0 == key ? 499 : 0 }
        XCTAssertEqual(rated[0].call.record.uuid, "aaa")
        XCTAssertEqual(rated[0].overageMinutes, 1)
        XCTAssertEqual(rated[1].includedMinutes, 1)
        XCTAssertEqual(rated[1].overageMinutes, 0)
    }

    func testSeparatePeriodsAllocateSeparately() {
        let october = TS.record(uuid: "oct", caller: localDID, destination: "+919812345678", account: "ACC-10001",
                                start: TS.ist(2024, 10, 31, 23), billsec: 180)
        let november = TS.record(uuid: "nov", caller: localDID, destination: "+919812345678", account: "ACC-10001",
                                 start: TS.ist(2024, 11, 1), billsec: 180)
        let octKey = UsageKey(subscriptionId: "sub-1", periodStart: TS.ist(2024, 10, 1))
        let novKey = UsageKey(subscriptionId: "sub-1", periodStart: TS.ist(2024, 11, 1))
        let (rated, added) = rateBatch([november, october].map { classifier.classify($0) }) { k in
            k == octKey ? 499 : (k == novKey ? 0 : -1_000_000)
        }
        let r = Dictionary(uniqueKeysWithValues: rated.map { ($0.call.record.uuid, $0) })
        XCTAssertEqual(r["oct"]?.includedMinutes, 1)
        XCTAssertEqual(r["oct"]?.overageMinutes, 2)
        XCTAssertEqual(r["oct"]?.cost, Money("1.00")!)
        XCTAssertEqual(r["nov"]?.includedMinutes, 3)
        XCTAssertEqual(r["nov"]?.overageMinutes, 0)
        XCTAssertEqual(r["nov"]?.cost, Money.zero)
        XCTAssertEqual(added[octKey], UsageTotals(billedSeconds: 180, mobileCalls: 1))
        XCTAssertEqual(added[novKey], UsageTotals(billedSeconds: 180, mobileCalls: 1))
    }

    func testSeparateSubscriptionsAllocateSeparately() {
        let pro = RatePlan(id: "plan-pro", name: "Professional", includedMinutes: 2000, overageRatePerMinute: Money("0.40")!)
        let other = TS.subscription(id: "sub-9", account: "ACC-10009", plan: pro, start: TS.ist(2024, 10, 1))
        let cls = CallClassifier(catalog: Catalog(subscriptions: [sub, other], dids: []), businessZone: TS.ist)
        let calls = [
            TS.record(uuid: "x1", caller: "100", destination: "+14155550100", account: "ACC-10001", start: TS.ist(2024, 10, 5), billsec: 600),
            TS.record(uuid: "x2", caller: "100", destination: "+14155550100", account: "ACC-10009", start: TS.ist(2024, 10, 5), billsec: 600),
        ].map { cls.classify($0) }
        let k1 = UsageKey(subscriptionId: "sub-1", periodStart: TS.ist(2024, 10, 1))
        let k9 = UsageKey(subscriptionId: "sub-9", periodStart: TS.ist(2024, 10, 1))
        let (rated, added) = rateBatch(calls) { k in k == k1 ? 500 : 1995 }
        // sub-1: nothing left, 10 overage at 0.50 = 5.00; sub-9: 5 left, 5 overage at 0.40 = 2.00
        XCTAssertEqual(rated[0].includedMinutes, 0)
        XCTAssertEqual(rated[0].overageMinutes, 10)
        XCTAssertEqual(rated[0].cost, Money("5.00")!)
        XCTAssertEqual(rated[1].includedMinutes, 5)
        XCTAssertEqual(rated[1].overageMinutes, 5)
        XCTAssertEqual(rated[1].cost, Money("2.00")!)
        XCTAssertEqual(added[k1], UsageTotals(billedSeconds: 600, isdCalls: 1))
        XCTAssertEqual(added[k9], UsageTotals(billedSeconds: 600, isdCalls: 1))
    }

    func testAlreadyOverIncluded() {
        let c = classifier.classify(TS.record(caller: localDID, destination: "+911123456789", account: "ACC-10001",
                                              start: TS.ist(2024, 10, 5), billsec: 61))
        let (rated, added) = rateBatch([c]) { _ in 650 }
        XCTAssertEqual(rated[0].includedMinutes, 0)
        XCTAssertEqual(rated[0].overageMinutes, 2)
        XCTAssertEqual(rated[0].cost, Money("1.00")!)
        XCTAssertEqual(added.first?.value, UsageTotals(billedSeconds: 120, stdCalls: 1))
    }

    func testCallExactlyUsingTheLastIncludedMinutes() {
        let c = classifier.classify(TS.record(caller: localDID, destination: "+911123456789", account: "ACC-10001",
                                              start: TS.ist(2024, 10, 5), billsec: 180))
        let (rated, _) = rateBatch([c]) { _ in 497 }
        XCTAssertEqual(rated[0].includedMinutes, 3)
        XCTAssertEqual(rated[0].overageMinutes, 0)
        XCTAssertEqual(rated[0].cost, Money.zero)
    }

    func testUnmatchedCallsAreNotAllocated() {
        let c = classifier.classify(TS.record(caller: "100", destination: "200", account: "NOPE", start: TS.ist(2024, 10, 5), billsec: 600))
        XCTAssertNil(c.subscription)
        let (rated, added) = rateBatch([c]) { _ in XCTFail("no usage row to look up"); return 0 }
        XCTAssertEqual(rated.count, 1)
        XCTAssertEqual(rated[0].includedMinutes, 0)
        XCTAssertEqual(rated[0].overageMinutes, 0)
        XCTAssertEqual(rated[0].cost, Money.zero)
        XCTAssertTrue(added.isEmpty)
    }

    func testEmptyBatch() {
        let (rated, added) = rateBatch([]) { _ in 0 }
        XCTAssertTrue(rated.isEmpty)
        XCTAssertTrue(added.isEmpty)
    }

    // MARK: UsageTotals

    func testUsageTotalsCounts() {
        var t = UsageTotals()
        for type in [CallType.local, .std, .std, .isd, .mobile, .mobile, .mobile, .toll_free] { t.countAnswered(type) }
        XCTAssertEqual(t, UsageTotals(localCalls: 1, stdCalls: 2, isdCalls: 1, mobileCalls: 3, tollFreeCalls: 1))
        XCTAssertEqual(t + UsageTotals(minutesUsed: 7, localCalls: 1),
                       UsageTotals(minutesUsed: 7, localCalls: 2, stdCalls: 2, isdCalls: 1, mobileCalls: 3, tollFreeCalls: 1))
    }

    /// SPEC 3c: minutes_overage = the calls' uncovered billed seconds / 60, rounded up once, + imported minutes past the included.
    func testOverageMinutes() {
        func row(billed: Int, covered: Int, imported: Int = 0) -> UsageRow {
            UsageRow(minutesIncluded: 500, imported: UsageTotals(minutesUsed: imported),
                     totals: UsageTotals(minutesUsed: imported, billedSeconds: billed, coveredSeconds: covered))
        }
        XCTAssertEqual(row(billed: 499 * 60, covered: 499 * 60).minutesOverage, 0)
        XCTAssertEqual(row(billed: 500 * 60, covered: 500 * 60).minutesOverage, 0)
        XCTAssertEqual(row(billed: 501 * 60, covered: 500 * 60).minutesOverage, 1)
        // The bundle example of SPEC 3c: 210 s billed, 120 covered: 4 minutes used, 2 overage.
        XCTAssertEqual(row(billed: 210, covered: 120).minutesUsed, 4)
        XCTAssertEqual(row(billed: 210, covered: 120).minutesOverage, 2)
        // 510 minutes imported of 500 included: the calls' 2 minutes and the 10 imported past the included.
        XCTAssertEqual(row(billed: 120, covered: 0, imported: 510).minutesUsed, 512)
        XCTAssertEqual(row(billed: 120, covered: 0, imported: 510).minutesOverage, 12)
    }
}

/// Test driver over the production path: the batch's charges planned as
/// FileScan gathers them, then each call rated by the plan (the second
/// reading); `alreadyUsed` gives each row's imported minutes.
func rateBatch(_ calls: [ClassifiedCall], alreadyUsed: (UsageKey) -> Int) -> (rated: [RatedCall], added: [UsageKey: UsageTotals]) {
    var added: [UsageKey: UsageTotals] = [:]
    var charges: [UsageKey: [Charge]] = [:]
    var plans: [UsageKey: RatePlan] = [:]
    for call in calls {
        guard let key = MinuteAllocator.usageKey(call) else { continue }
        added[key, default: UsageTotals()].add(call)
        plans[key] = call.subscription!.plan
        if call.chargedMinutes > 0 {
            charges[key, default: []].append(Charge(start: call.record.start, uuid: call.record.uuid, minutes: call.chargedMinutes))
        }
    }
    let plan = MinuteAllocator.plan(charges) { key in
        PeriodBasis(included: plans[key]!.includedMinutes, imported: alreadyUsed(key), rate: plans[key]!.overageRatePerMinute)
    }
    return (calls.map { plan.rate($0) }, added)
}

/// A small deterministic generator so shuffles are reproducible.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The plan on its own: where included minutes run out, worked by hand.
final class AllocationPlanTests: XCTestCase {
    let key = UsageKey(subscriptionId: "sub-1", periodStart: 0)

    func testThresholdSplitsTheCallThatCrossesTheLine() {
        // 10 included, 7 used: 3 left. In order: u3 (start 50, 1 min), u1 (100, 1), u2 (100, 2), u4 (200, 4).
        // u3 and u1 fit (1 left), u2 crosses: 1 included + 1 overage, u4 is all overage.
        let charges = [Charge(start: 100, uuid: "u1", minutes: 1), Charge(start: 100, uuid: "u2", minutes: 2),
                       Charge(start: 50, uuid: "u3", minutes: 1), Charge(start: 200, uuid: "u4", minutes: 4)]
        let plan = MinuteAllocator.plan([key: charges]) { _ in PeriodBasis(included: 10, imported: 7, rate: Money("0.50")!) }
        XCTAssertTrue(plan.split(key, start: 50, uuid: "u3", minutes: 1) == (1, 0))
        XCTAssertTrue(plan.split(key, start: 100, uuid: "u1", minutes: 1) == (1, 0))
        XCTAssertTrue(plan.split(key, start: 100, uuid: "u2", minutes: 2) == (1, 1))
        XCTAssertTrue(plan.split(key, start: 200, uuid: "u4", minutes: 4) == (0, 4))
        XCTAssertEqual(plan.batch[key], BatchMinutes(included: 3, overage: 5, cost: Money("2.50")!))
    }

    func testNothingLeftMakesEveryMinuteOverage() {
        let plan = MinuteAllocator.plan([key: [Charge(start: 5, uuid: "a", minutes: 2), Charge(start: 6, uuid: "b", minutes: 3)]]) { _ in
            PeriodBasis(included: 500, imported: 520, rate: Money("0.50")!)
        }
        XCTAssertTrue(plan.split(key, start: 5, uuid: "a", minutes: 2) == (0, 2))
        XCTAssertTrue(plan.split(key, start: 6, uuid: "b", minutes: 3) == (0, 3))
        XCTAssertEqual(plan.batch[key], BatchMinutes(included: 0, overage: 5, cost: Money("2.50")!))
    }

    func testExactFitLeavesNoThreshold() {
        let plan = MinuteAllocator.plan([key: [Charge(start: 5, uuid: "a", minutes: 1), Charge(start: 6, uuid: "b", minutes: 2)]]) { _ in
            PeriodBasis(included: 3, imported: 0, rate: Money("0.50")!)
        }
        XCTAssertTrue(plan.split(key, start: 6, uuid: "b", minutes: 2) == (2, 0))
        XCTAssertEqual(plan.batch[key], BatchMinutes(included: 3, overage: 0, cost: .zero))
        let other = UsageKey(subscriptionId: "sub-2", periodStart: 0)
        XCTAssertTrue(plan.split(other, start: 1, uuid: "z", minutes: 4) == (4, 0), "a row with no charges planned never runs out")
    }
}
