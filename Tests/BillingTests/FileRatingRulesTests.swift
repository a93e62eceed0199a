import Foundation
import XCTest
@testable import Billing
import Reports

/// The rules of a file's rating that need no database: the retry policy,
/// what the ledger's word makes of a file, a claim another session holds.
final class RetryPolicyTests: XCTestCase {
    func testTheFirstAttemptGoesInOnePassWithASampleThenEveryUUIDInTwoPasses() {
        var p = RetryPolicy(dryRun: false, singlePass: true)
        XCTAssertEqual(p.attempt, 1)
        XCTAssertEqual(p.lookup, .sample)
        XCTAssertTrue(p.onePass)
        XCTAssertFalse(p.alone)
        XCTAssertTrue(p.retry(after: .sampledCallStored))
        XCTAssertEqual(p.attempt, 2)
        XCTAssertEqual(p.lookup, .every, "a sampled uuid found stored: every uuid looked up")
        XCTAssertFalse(p.onePass, "only the first attempt tries one pass")
        XCTAssertFalse(p.alone)
    }

    func testTheThirdAttemptHoldsTheGateAloneAndTheFourthIsTheLast() {
        var p = RetryPolicy(dryRun: false, singlePass: true)
        XCTAssertTrue(p.retry(after: .conflict))
        XCTAssertTrue(p.retry(after: .changedMeanwhile))
        XCTAssertEqual(p.attempt, 3)
        XCTAssertTrue(p.alone, "from the third attempt no other run stores its calls between its lookup and its COPY")
        XCTAssertTrue(p.retry(after: .conflict))
        XCTAssertEqual(p.attempt, 4)
        XCTAssertTrue(p.alone)
        XCTAssertFalse(p.retry(after: .conflict), "4 attempts in all: the fourth's error is the file's failure")
        XCTAssertEqual(p.attempt, 4)
    }

    func testADryRunLooksUpEveryUUIDAndNeverGoesInOnePass() {
        let p = RetryPolicy(dryRun: true, singlePass: true)
        XCTAssertEqual(p.lookup, .every, "a dry run has no unique index to catch a uuid the sample missed")
        XCTAssertFalse(p.onePass)
        XCTAssertFalse(RetryPolicy(dryRun: false, singlePass: false).onePass, "--no-single-pass")
    }
}

final class LedgerOutcomeTests: XCTestCase {
    private func entry(_ sha: String, _ status: String) -> LedgerEntry {
        LedgerEntry(fileName: "night.csv", path: "/in/night.csv", size: 10, sha256: sha, layout: nil, status: status, started: Date())
    }

    private func skipping(_ ledger: InMemoryLedgerStore, _ sha: String) throws -> (status: FileOutcome.Status, message: String)? {
        FileRater.skipping(try ledger.verdict(sha256: sha), digest: sha)
    }

    func testANewOrFailedFileIsRatedAndARatedOneIsNotRatedAgain() throws {
        let ledger = InMemoryLedgerStore()
        XCTAssertNil(try skipping(ledger, "aaaa"), "new: rate it")
        XCTAssertNotNil(try ledger.record(entry("aaaa", "failed")))
        XCTAssertNil(try skipping(ledger, "aaaa"), "failed before, nothing stored: rate it again")
        XCTAssertNotNil(try ledger.record(entry("aaaa", "rated")), "a rated entry goes over a failed one")
        let rated = try XCTUnwrap(try skipping(ledger, "aaaa"))
        XCTAssertEqual(rated.status, .already_rated)
        XCTAssertEqual(rated.message, "a file with the same content (sha256 aaaa) is already rated")
        XCTAssertNil(try ledger.record(entry("aaaa", "rated")), "another run rated the same content: no second entry")
        XCTAssertNil(try ledger.record(entry("aaaa", "failed")), "nor is a rated file recorded as failed")
    }

    func testAPartialFileStaysIncompleteUntilAccepted() throws {
        let ledger = InMemoryLedgerStore()
        XCTAssertNotNil(try ledger.record(entry("bbbb", "partial")))
        XCTAssertEqual(try skipping(ledger, "bbbb")?.status, .incomplete)
        ledger.accept(sha256: "bbbb", by: "ops@vm at 2026-12-01 02:00:00 UTC")
        let accepted = try XCTUnwrap(try skipping(ledger, "bbbb"))
        XCTAssertEqual(accepted.status, .already_rated, "accepted as final: the night is green")
        XCTAssertTrue(accepted.message.contains("accepted by ops@vm at 2026-12-01 02:00:00 UTC as final"), accepted.message)
    }

    func testAClaimHeldByALiveRunIsBusyAndOneLeftByAGoneRunIsAFailure() throws {
        let outcome = FileOutcome(path: "/in/night.csv", status: .rated)
        func holder(pid: String) -> LockHolder {
            LockHolder(backendPid: "4242", clientAddress: "local socket", connectedSince: "2026-12-01 02:00:00 UTC",
                       host: ProcessInfo.processInfo.hostName, pid: pid, command: "rate", since: "2026-12-01 02:00:01 UTC")
        }
        let busy = FileRater.unclaimed(outcome, holders: [holder(pid: String(getpid()))])
        XCTAssertEqual(busy.status, .busy)
        XCTAssertEqual(busy.message, "cdr-rater rate on host \(ProcessInfo.processInfo.hostName), pid \(getpid()), since 2026-12-01 02:00:01 UTC is rating it now")
        // A pid that was a process and is no more.
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/bin/true")
        try child.run()
        child.waitUntilExit()
        let gone = FileRater.unclaimed(outcome, holders: [holder(pid: String(child.processIdentifier))])
        XCTAssertEqual(gone.status, .failed, "never reported as in hand: nobody is rating it")
        XCTAssertTrue(gone.message?.contains("which is gone, and its server session 4242 could not be ended") == true, gone.message ?? "")
        XCTAssertEqual(FileRater.unclaimed(outcome, holders: []).status, .busy, "the holder let go just now: left for the next run")
    }
}

final class AdvisoryLockTests: XCTestCase {
    func testEveryLockHasAKeyOfItsOwn() {
        let keys = [AdvisoryLock.migrate, .seed, .rating, .fileGate].map(\.key)
        XCTAssertEqual(Set(keys).count, keys.count)
        XCTAssertEqual(AdvisoryLock.rating.key, 0x6364_7272_0003, "the rating lock's key is what running raters of the last release hold")
        // A file's claim: the first 16 hex digits of its sha256 as two signed 32-bit keys.
        XCTAssertEqual(AdvisoryLock.claimKeys("ffffffff0000000a" + String(repeating: "0", count: 48)), ["-1", "10"])
    }
}
