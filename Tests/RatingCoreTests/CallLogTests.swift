import Foundation
import XCTest
@testable import RatingRules
@testable import CDRIngest

/// The call log gives back every call exactly as it was appended, chunk by chunk.
final class CallLogTests: ScratchFolderTestCase {
    let sub = TS.subscription(id: "sub-1", account: "ACC-10001", start: TS.ist(2024, 10, 1))

    /// Every field a call carries, so that any one lost or swapped shows.
    private func describe(_ c: ClassifiedCall) -> String {
        let r = c.record
        return [r.uuid, r.callerId, r.destination, r.accountCode, "\(r.start)", "\(r.answer.map(String.init) ?? "nil")", "\(r.end)",
                "\(r.duration)", "\(r.billsec)", r.hangupCause, "\(r.lineNumber)", r.callerReceived, r.destinationReceived,
                c.subscription?.id ?? "nil", c.direction.rawValue, c.type.rawValue, c.status.rawValue, "\(c.chargedMinutes)",
                c.unmatchedReason ?? "nil", c.period.map { "\($0.start)-\($0.end)" } ?? "nil"].joined(separator: "|")
    }

    private func call(_ line: Int, uuid: String, subscription: Subscription?, answer: Int64?, callerId: String = "+911140001000",
                      unmatched: String? = nil, period: UsagePeriod? = nil) -> ClassifiedCall {
        var record = CallDetailRecord(uuid: uuid, callerId: callerId, destination: "08041000001", accountCode: "ACC-10001",
                                      start: TS.ist(2024, 10, 5, 10), answer: answer, end: TS.ist(2024, 10, 5, 10, 2, 5),
                                      duration: 125, billsec: answer == nil ? 0 : 120, hangupCause: "NORMAL_CLEARING",
                                      lineNumber: line, callerReceived: "011 4000 1000", destinationReceived: "")
        record.destinationReceived = "08041000001"
        return ClassifiedCall(record: record, subscription: subscription, direction: .outbound, type: .std,
                              status: answer == nil ? .no_answer : .answered,
                              charge: answer == nil ? nil : CallCharge(billedSeconds: 120, bundleSeconds: 60, fullCost: Money("1.20")!,
                                                                       tariff: TariffRef(version: 1, prefix: 7, billsec: 120)),
                              unmatchedReason: unmatched, period: period)
    }

    func testCallsComeBackAsAppendedChunkByChunk() throws {
        let period = UsagePeriod(start: TS.ist(2024, 10, 1), end: TS.ist(2024, 11, 1))
        var first = ParsedChunk()
        first.bytesRead = 4096
        first.lineCount = 3
        first.calls = [call(1, uuid: "0e1d2c3b-aaaa-4bbb-8ccc-000000000001", subscription: sub, answer: TS.ist(2024, 10, 5, 10, 0, 5), period: period),
                       call(3, uuid: "Ünïcode-ūuid ✓", subscription: nil, answer: nil, unmatched: "no subscription has account code ACC-99")]
        var second = ParsedChunk()
        second.bytesRead = 5_000_000
        second.lineCount = 2
        // Longer than the reader's megabyte: a record is read whole whatever its size.
        second.calls = [call(4, uuid: "u-4", subscription: sub, answer: TS.ist(2024, 10, 5, 10, 0, 1),
                             callerId: String(repeating: "9", count: 3 << 20), period: period)]
        var empty = ParsedChunk()
        empty.bytesRead = 5_000_100
        empty.lineCount = 1 // a line that was rejected: no call

        let log = try CallLog(directory: dir)
        for chunk in [first, second, empty] { log.append(chunk) }
        try log.close()
        var back: [ParsedChunk] = []
        try log.read { back.append($0) }

        XCTAssertEqual(back.map(\.bytesRead), [4096, 5_000_000, 5_000_100])
        XCTAssertEqual(back.map(\.lineCount), [3, 2, 1])
        XCTAssertEqual(back.map { $0.calls.map(describe) }, [first, second, empty].map { $0.calls.map(describe) })
        XCTAssertTrue(back[0].calls[0].subscription === sub, "the same subscription object, not a copy")
        XCTAssertEqual(back[1].calls[0].record.callerId.utf8.count, 3 << 20)
    }

    func testTheLogFileHasNoNameLeftToBeForgotten() throws {
        let log = try CallLog(directory: dir)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), [], "unlinked at once: kill -9 leaves nothing in TMPDIR")
        var chunk = ParsedChunk()
        chunk.lineCount = 7
        log.append(chunk)
        try log.close()
        var back: [Int] = []
        try log.read { back.append($0.lineCount) }
        XCTAssertEqual(back, [7], "and it is still read through its open handle")
    }
}
