import CDRIngest
import ConcurrencyHelpers
import Foundation
import Logging
import XCTest
import RatingRules
import Reports
@testable import Billing

/// A file's way through a run on the in-memory database: the ledger's word
/// (already rated, failed), a claim another run holds (busy), and a stored
/// call the sampled lookup missed (the COPY fails, the file is rated again).
/// The catalog and lines are `OnePassTwoPassesTests`'.
final class RatingRunInMemoryTests: XCTestCase {
    typealias Fixture = OnePassTwoPassesTests

    private var inbox: URL!

    override func setUpWithError() throws {
        inbox = FileManager.default.temporaryDirectory.appendingPathComponent("run-in-memory-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: inbox.appendingPathComponent("in"), withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: inbox) }

    @discardableResult
    private func put(_ name: String, _ lines: [String]) throws -> String {
        let url = inbox.appendingPathComponent("in").appendingPathComponent(name)
        try (lines.joined(separator: "\n") + "\n").write(to: url, atomically: true, encoding: .utf8)
        return try CDRFileReader.sha256(path: RawPath(url.path)).hex
    }

    private func run(_ db: InMemoryRatingDatabase, dryRun: Bool = false, log: Locked<[String]> = Locked([])) throws -> RunReport {
        var options = RatingOptions(input: InputSelection(paths: [inbox.appendingPathComponent("in").path], switchZone: Fixture.zone))
        options.effects.dryRun = dryRun
        options.tuning.workers = 2
        options.effects.rejectsDirectory = inbox.appendingPathComponent("rejects").path
        var logger = Logger(label: "test") { _ in CapturingLogHandler(lines: log) }
        logger.logLevel = .debug
        return try RatingRun(backend: db.backend(catalog: Fixture.catalog, zone: Fixture.zone), options: options, logger: logger).run()
    }

    func testAFileRatedBeforeIsNotRatedAgainAndOneAnotherRunClaimedIsLeftToIt() throws {
        let db = InMemoryRatingDatabase(balances: ["acct-a": Money("100.00")!])
        try put("01.csv", Fixture.first)
        XCTAssertEqual(try run(db).files.map(\.status), [.rated])
        let stored = db.committed
        let again = try run(db)
        XCTAssertEqual(again.files.map(\.status), [.already_rated])
        XCTAssertEqual(db.committed, stored, "nothing written again")

        let sha = try put("02.csv", Fixture.second)
        db.locks.heldElsewhere[sha] = [LockHolder(backendPid: "4242", clientAddress: "local socket", connectedSince: "now",
                                                  host: ProcessInfo.processInfo.hostName, pid: String(getpid()), command: "rate",
                                                  since: "2026-12-01 02:00:01 UTC")]
        let busy = try run(db)
        XCTAssertEqual(busy.files.map(\.status), [.already_rated, .busy])
        XCTAssertTrue(busy.files[1].message?.contains("is rating it now") == true, busy.files[1].message ?? "")
        XCTAssertEqual(db.committed, stored, "nothing of a file another run is rating")
        XCTAssertNil(try db.ledger.verdict(sha256: sha))
    }

    func testAStoredCallTheSampleMissedFailsTheCOPYAndTheFileIsRatedAgainLookingUpEveryUUID() throws {
        let db = InMemoryRatingDatabase()
        try put("01.csv", Fixture.first)
        // a1 is stored: its line is the file's second, which the sampled lookup (every 64th uuid from the first) does not ask about.
        try put("03.csv", [Fixture.line("c1", account: "ACC-A", start: "2024-10-21 09:00:00", billsec: 60), Fixture.first[0],
                           Fixture.line("c2", account: "ACC-A", start: "2024-10-22 09:00:00", billsec: 60)])
        let log = Locked([String]())
        let report = try run(db, log: log)
        XCTAssertEqual(report.files.map(\.status), [.rated, .rated], log.value.joined(separator: "\n"))
        XCTAssertEqual([report.files[1].stored, report.files[1].duplicates], [2, 1])
        XCTAssertEqual(db.rollbacks, 1, "the one pass's COPY met a1 (unique_violation) and rolled back")
        XCTAssertEqual(db.locks.gateTurns, [false, false, false], "01.csv, then 03.csv twice, never alone")
        XCTAssertEqual(log.value.filter { $0.contains("some of its calls are stored already") }.count, 1, log.value.joined(separator: "\n"))
        XCTAssertEqual(db.committed.calls.keys.sorted(), ["a1", "a2", "b1", "c1", "c2"])
        XCTAssertEqual(db.committed.calls["a1"]?.file, "01.csv", "the stored call stays as it was")
    }

    func testAFileThatIsNotCDRsFailsInTheLedgerAndIsReadAgainByTheNextRun() throws {
        let db = InMemoryRatingDatabase()
        let sha = try put("notes.csv", ["not,a,cdr", "nor,this"])
        let report = try run(db)
        XCTAssertEqual(report.files.map(\.status), [.failed])
        XCTAssertTrue(report.files[0].message?.contains("not a CDR file") == true, report.files[0].message ?? "")
        XCTAssertEqual(try db.ledger.verdict(sha256: sha), .failed)
        XCTAssertTrue(db.committed.calls.isEmpty)
        XCTAssertEqual(try run(db).files.map(\.status), [.failed], "a failed file is rated again, not skipped")
        XCTAssertEqual(db.ledger.entries.count, 1, "one entry a content, written over while it is failed")
    }

    /// A dry run looks every uuid up beside the reading, in the run's snapshot (`SnapshotLookups` through
    /// `RatingDatabase.exportSnapshot` and `SnapshotTransaction`): a stored call is its duplicate, and nothing is written.
    func testADryRunLooksItsUUIDsUpInTheRunsSnapshotAndCountsStoredCallsAsDuplicates() throws {
        let db = InMemoryRatingDatabase()
        try put("01.csv", Fixture.first)
        XCTAssertEqual(try run(db).files.map(\.status), [.rated])
        let stored = db.committed
        try put("03.csv", [Fixture.line("c1", account: "ACC-A", start: "2024-10-21 09:00:00", billsec: 60), Fixture.first[0],
                           Fixture.line("c2", account: "ACC-A", start: "2024-10-22 09:00:00", billsec: 60)])
        let report = try run(db, dryRun: true)
        let fresh = try XCTUnwrap(report.files.first { $0.path.hasSuffix("03.csv") })
        XCTAssertEqual([fresh.stored, fresh.duplicates], [2, 1], "a1 is stored: a duplicate")
        XCTAssertGreaterThan(db.snapshots.begun, 0, "the lookups went to the second handle, in the run's snapshot")
        XCTAssertEqual(db.snapshots.ended, db.snapshots.begun, "each file's snapshot transaction ended")
        XCTAssertEqual(db.committed, stored, "a dry run writes nothing")
    }
}
