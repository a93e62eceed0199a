import ConcurrencyHelpers
import Foundation
import Logging
import XCTest
import RatingRules
import Reports
@testable import Billing

/// One pass against two passes on the same in-memory store (`InMemoryRatingDatabase`):
/// the same two files of CDRs, rated by a whole run (`RatingRun`) against
/// fresh stores, end with the same stored calls, usage rows, balances, cost
/// history and ledger; and with the values worked out by hand below.
///
/// Times are India Standard Time, the switch's zone and the business zone.
/// SUB-A (prepaid, balance 100.00): 10 included minutes, then 0.50 a minute,
/// periods from the 1st. SUB-B (postpaid): 3 included, then 1.00, periods
/// from the 15th at 10:00.
///
/// 01.csv: a1 (Oct 10, 4 min), a2 (Oct 12, 5 min) of A; b1 (Oct 20, 2 min) of B.
/// A has 1 included minute left, B 1.
///
/// 02.csv, in this line order: a5 (Oct 20, 3 min), a3 (Oct 14, 2), a0 (Oct 5,
/// 3: earlier than both stored calls of A), b2 (Oct 25, 3), b0 (Oct 16, 2:
/// earlier than b1), b3 (Oct 17, 1), b4 (Oct 18, 1), an unmatched call, a5's
/// line again, a busy call of A, a rejected line.
///
/// In charge order A's 10 minutes go a0 3, a1 4, a2 3 (it was stored with 5:
/// re-priced 0.00 -> 1.00 for its 2 overage minutes), then a3 is 2 overage
/// (1.00) and a5 3 (1.50). B's 3 go b0 2, b3 1; then b4 is 1 overage (1.00),
/// b1 2 (re-priced 0.00 -> 2.00), b2 3 (3.00).
///
/// The one pass prices 02.csv as it reads it, in line order: A's 1 minute
/// left to a5 (1 included, 2 overage: 1.00), a3 1.00, a0 1.50; B's to b2
/// (1 included: 2.00), b0 2.00, b3 1.00, b4 1.00. Its final plan then prices
/// a0, a5, b0, b3 and b2 again (its own calls, `FilePlanner.ownCalls`): b2
/// only because it was given a minute as read, as it is not among B's
/// earliest 3 calls of the file. Two passes COPY them as the plan says.
final class OnePassTwoPassesTests: XCTestCase {
    static let zone = ZoneRules(identifier: "Asia/Kolkata")!

    static func ist(_ y: Int, _ mo: Int, _ d: Int, _ h: Int = 0, _ mi: Int = 0) -> Int64 {
        zone.instant(of: LocalDateTime(year: y, month: mo, day: d, hour: h, minute: mi))
    }

    static let subA = Subscription(id: "sub-a", number: "SUB-A", accountId: "acct-a", accountNumber: "ACC-A", accountType: .prepaid,
                                   plan: RatePlan(id: "plan-small", name: "Small", includedMinutes: 10, overageRatePerMinute: Money("0.50")!),
                                   start: ist(2024, 10, 1), end: nil)
    static let subB = Subscription(id: "sub-b", number: "SUB-B", accountId: "acct-b", accountNumber: "ACC-B", accountType: .postpaid,
                                   plan: RatePlan(id: "plan-tiny", name: "Tiny", includedMinutes: 3, overageRatePerMinute: Money("1.00")!),
                                   start: ist(2024, 10, 15, 10), end: nil)
    static let catalog = Catalog(subscriptions: [subA, subB], dids: [])

    /// A FreeSWITCH line of an answered (or, with billsec 0, busy) outbound call to a mobile; `start` as the switch wrote it.
    static func line(_ uuid: String, account: String, start: String, billsec: Int) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC") // wall-clock arithmetic only
        f.dateFormat = "yyyy-MM-dd HH:mm:ss"
        let t = f.date(from: start)!
        let answer = billsec > 0 ? f.string(from: t.addingTimeInterval(2)) : ""
        let end = f.string(from: t.addingTimeInterval(Double(billsec + 2)))
        let cause = billsec > 0 ? "NORMAL_CLEARING" : "USER_BUSY"
        return "\"Caller\",\"+919876543212\",\"9812345678\",\"default\",\"\(start)\",\"\(answer)\",\"\(end)\",\(billsec + 2),\(billsec),"
            + "\"\(cause)\",\"\(uuid)\",\"\",\"\(account)\",\"PCMU\",\"PCMU\""
    }

    static let first = [
        line("a1", account: "ACC-A", start: "2024-10-10 10:00:00", billsec: 240),
        line("a2", account: "ACC-A", start: "2024-10-12 10:00:00", billsec: 300),
        line("b1", account: "ACC-B", start: "2024-10-20 10:00:00", billsec: 120),
    ]

    static let second = [
        line("a5", account: "ACC-A", start: "2024-10-20 09:00:00", billsec: 180),
        line("a3", account: "ACC-A", start: "2024-10-14 09:00:00", billsec: 120),
        line("a0", account: "ACC-A", start: "2024-10-05 09:00:00", billsec: 170),
        line("b2", account: "ACC-B", start: "2024-10-25 10:00:00", billsec: 180),
        line("b0", account: "ACC-B", start: "2024-10-16 10:00:00", billsec: 61),
        line("b3", account: "ACC-B", start: "2024-10-17 10:00:00", billsec: 60),
        line("b4", account: "ACC-B", start: "2024-10-18 10:00:00", billsec: 45),
        line("x1", account: "ACC-X", start: "2024-10-06 09:00:00", billsec: 300),
        line("a5", account: "ACC-A", start: "2024-10-20 09:00:00", billsec: 180),
        line("busy-a", account: "ACC-A", start: "2024-10-07 09:00:00", billsec: 0),
        "not,a,cdr",
    ]

    /// What a run of both files left: the database, the ledger by file name, and the run's debug log.
    struct Rated {
        let tables: InMemoryTables
        let ledger: [String: LedgerEntry]
        let log: [String]
        let report: RunReport
    }

    func rate(onePass: Bool) throws -> Rated {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("one-two-\(UUID().uuidString)")
        let inbox = dir.appendingPathComponent("in")
        try FileManager.default.createDirectory(at: inbox, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try (Self.first.joined(separator: "\n") + "\n").write(to: inbox.appendingPathComponent("01.csv"), atomically: true, encoding: .utf8)
        try (Self.second.joined(separator: "\n") + "\n").write(to: inbox.appendingPathComponent("02.csv"), atomically: true, encoding: .utf8)

        let db = InMemoryRatingDatabase(balances: ["acct-a": Money("100.00")!])
        var options = RatingOptions(input: InputSelection(paths: [inbox.path], switchZone: Self.zone))
        options.tuning.singlePass = onePass
        options.tuning.workers = 2
        options.effects.rejectsDirectory = dir.appendingPathComponent("rejects").path
        let log = Locked([String]())
        var logger = Logger(label: "test") { _ in CapturingLogHandler(lines: log) }
        logger.logLevel = .debug
        let report = try RatingRun(backend: db.backend(catalog: Self.catalog, zone: Self.zone), options: options, logger: logger).run()
        XCTAssertEqual(report.files.map(\.status), [.rated, .rated], log.value.joined(separator: "\n"))
        XCTAssertNil(db.locks.ratingLock, "the rating lock let go")
        XCTAssertTrue(db.locks.claims.isEmpty, "every claim let go")
        let ledger = Dictionary(uniqueKeysWithValues: db.ledger.entries.values.map { ($0.entry.fileName, $0.entry) })
        // The cost history names a file by its ledger id: by its name here, as ids count attempts.
        var tables = db.committed
        let names = Dictionary(uniqueKeysWithValues: db.ledger.entries.values.map { ($0.id, $0.entry.fileName) })
        tables.history = tables.history.map {
            InMemoryCostChange(uuid: $0.uuid, oldCost: $0.oldCost, newCost: $0.newCost, reason: $0.reason,
                               fileId: $0.fileId.map { names[$0] ?? "?" }, runId: $0.runId)
        }
        return Rated(tables: tables, ledger: ledger, log: log.value, report: report)
    }

    func testOnePassStoresWhatTwoPassesStore() throws {
        let one = try rate(onePass: true), two = try rate(onePass: false)
        func count(_ r: Rated, _ text: String) -> Int { r.log.filter { $0.contains(text) }.count }
        XCTAssertEqual(count(one, "one pass: COPY cdrs, after the reading"), 2, one.log.joined(separator: "\n"))
        XCTAssertEqual(count(two, "one pass"), 0, two.log.joined(separator: "\n"))
        XCTAssertEqual(count(one, "5 own call(s) priced again"), 1, "a0, a5, b0, b3, b2: " + one.log.joined(separator: "\n"))
        XCTAssertEqual(count(two, "0 own call(s) priced again"), 2, two.log.joined(separator: "\n"))

        XCTAssertEqual(one.tables.calls.count, 12)
        for uuid in one.tables.calls.keys.sorted() {
            XCTAssertEqual(one.tables.calls[uuid], two.tables.calls[uuid], uuid)
        }
        XCTAssertEqual(one.tables.usage, two.tables.usage)
        XCTAssertEqual(one.tables.balances, two.tables.balances)
        XCTAssertEqual(one.tables.history, two.tables.history)
        XCTAssertEqual(one.tables, two.tables)
        for name in ["01.csv", "02.csv"] {
            let a = try XCTUnwrap(one.ledger[name]), b = try XCTUnwrap(two.ledger[name])
            XCTAssertEqual([a.lines, a.stored, a.unmatched, a.duplicates, a.rejected, a.chargedMinutes],
                           [b.lines, b.stored, b.unmatched, b.duplicates, b.rejected, b.chargedMinutes], name)
            XCTAssertEqual(a.cost, b.cost, name)
            XCTAssertEqual(a.status, b.status, name)
        }
        XCTAssertEqual(one.report.files.map(\.repricedCost), two.report.files.map(\.repricedCost))
    }

    func testTheValuesWorkedOutByHand() throws {
        for onePass in [true, false] {
            let r = try rate(onePass: onePass), mode = onePass ? "one pass" : "two passes"
            func split(_ uuid: String) -> String {
                guard let c = r.tables.calls[uuid] else { return "missing" }
                return "\(c.includedMinutes)+\(c.overageMinutes) \(c.cost)"
            }
            XCTAssertEqual(split("a0"), "3+0 0.0000", mode)
            XCTAssertEqual(split("a1"), "4+0 0.0000", mode)
            XCTAssertEqual(split("a2"), "3+2 1.0000", "\(mode): stored with 5 included, re-priced by the late a0")
            XCTAssertEqual(split("a3"), "0+2 1.0000", mode)
            XCTAssertEqual(split("a5"), "0+3 1.5000", "\(mode): given the minute left as it was read, none in charge order")
            XCTAssertEqual(split("b0"), "2+0 0.0000", mode)
            XCTAssertEqual(split("b3"), "1+0 0.0000", mode)
            XCTAssertEqual(split("b4"), "0+1 1.0000", mode)
            XCTAssertEqual(split("b1"), "0+2 2.0000", "\(mode): stored with 2 included, re-priced by the late b0 and b3")
            XCTAssertEqual(split("b2"), "0+3 3.0000", "\(mode): given a minute as it was read, none in charge order")
            XCTAssertEqual(split("busy-a"), "0+0 0.0000", mode)
            XCTAssertNil(r.tables.calls["x1"]?.subscriptionId, mode)
            XCTAssertEqual(r.tables.calls["x1"]?.cost, .zero, mode)

            let a = try XCTUnwrap(r.tables.usage[UsageKey(subscriptionId: "sub-a", periodStart: Self.ist(2024, 10, 1))], mode)
            XCTAssertEqual([a.minutesIncluded, a.minutesUsed, a.minutesOverage], [10, 17, 7], mode)
            XCTAssertEqual(a.overageCost, Money("3.50")!, mode)
            let b = try XCTUnwrap(r.tables.usage[UsageKey(subscriptionId: "sub-b", periodStart: Self.ist(2024, 10, 15, 10))], mode)
            XCTAssertEqual([b.minutesIncluded, b.minutesUsed, b.minutesOverage], [3, 9, 6], mode)
            XCTAssertEqual(b.overageCost, Money("6.00")!, mode)
            XCTAssertEqual(r.tables.balances, ["acct-a": Money("96.50")!], "\(mode): prepaid A paid its overage; B is postpaid")

            XCTAssertEqual(r.tables.history.map { "\($0.uuid) \($0.oldCost) -> \($0.newCost) \($0.reason) \($0.fileId ?? "")" },
                           ["a2 0.0000 -> 1.0000 late_call 02.csv", "b1 0.0000 -> 2.0000 late_call 02.csv"], mode)
            let second = try XCTUnwrap(r.ledger["02.csv"], mode)
            XCTAssertEqual([second.lines, second.stored, second.unmatched, second.duplicates, second.rejected, second.chargedMinutes],
                           [11, 9, 1, 1, 1, 15], mode)
            XCTAssertEqual(second.cost, Money("6.50")!, "\(mode): a3 1.00 + a5 1.50 + b4 1.00 + b2 3.00")
            XCTAssertEqual(r.report.files.last?.repricedCost, Money("3.00")!, "\(mode): a2 1.00 + b1 2.00")
        }
    }
}

/// Keeps every message a run logs.
struct CapturingLogHandler: LogHandler {
    let lines: Locked<[String]>
    var logLevel: Logger.Level = .debug
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) { lines.withLock { $0.append(event.message.description) } }
}
