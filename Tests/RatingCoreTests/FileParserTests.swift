import Foundation
import XCTest
@testable import RatingRules
@testable import CDRIngest

final class FileParserTests: ScratchFolderTestCase {
    let sub = TS.subscription(id: "sub-1", account: "ACC-10001", start: TS.ist(2024, 10, 1))
    lazy var classifier = CallClassifier(
        catalog: Catalog(subscriptions: [sub], dids: [AssignedDID(number: "+911140001000", type: .local, subscriptionId: "sub-1")]),
        businessZone: TS.ist)

    private func write(_ name: String, _ bytes: [UInt8]) -> String { TS.write(bytes, to: dir.appendingPathComponent(name)) }

    private func parser(workers: Int, chunkLines: Int, layout: CDRLayout? = nil) -> FileParser {
        FileParser(layout: layout, switchZone: TS.ist, classifier: classifier, workers: workers, chunkLines: chunkLines)
    }

    /// A FreeSWITCH file with good and bad lines; returns bytes and, by line number, whether the line is a call.
    private func mixedFile() -> (bytes: [UInt8], callLines: [Int: String], rejectLines: [Int]) {
        var lines: [[UInt8]] = []
        var calls: [Int: String] = [:]
        var rejects: [Int] = []
        func good(_ uuid: String, account: String = "ACC-10001", answer: String = "2024-10-05 10:00:05", billsec: String = "125",
                  cause: String = "NORMAL_CLEARING", crlf: Bool = false) {
            lines.append(Array((CDRText.freeswitch(answer: answer, billsec: billsec, cause: cause, uuid: uuid, account: account)
                + (crlf ? "\r" : "")).utf8))
            calls[lines.count] = uuid
        }
        func bad(_ bytes: [UInt8]) { lines.append(bytes); rejects.append(lines.count) }
        good("uuid-01")                                                              // 1
        good("uuid-02", crlf: true)                                                  // 2
        bad([])                                                                      // 3 empty line
        bad([0x00, 0xFF, 0xFE, 0x01, 0x80, 0x9F, 0x1B, 0x7F])                        // 4 binary garbage
        bad(Array("a,b,c".utf8))                                                     // 5 wrong field count
        bad(Array(CDRText.freeswitch(duration: "-5", billsec: "0", uuid: "bad-6").utf8)) // 6 negative duration
        bad(Array(#""abc,def"#.utf8))                                                // 7 unterminated quote
        good("uuid-08", account: "ACC-99999")                                        // 8 unmatched: still a call
        bad(Array(#""a"b,c"#.utf8))                                                  // 9 text after closing quote
        bad(Array(CDRText.freeswitch(start: "2024-10-05 10:00:00", answer: "", end: "2024-10-05 09:00:00",
                                     duration: "0", billsec: "0", uuid: "bad-10").utf8)) // 10 end before start
        good("uuid-11")                                                              // 11
        bad([0xC3, 0x28, 0x41, 0x2C, 0x42])                                          // 12 invalid UTF-8
        good("uuid-13", answer: "", billsec: "0", cause: "NO_ANSWER")                // 13 unanswered
        bad(Array("   ".utf8))                                                       // 14 blanks: one field
        good("uuid-15")                                                              // 15, no newline after it
        var bytes: [UInt8] = []
        for (i, l) in lines.enumerated() {
            bytes += l
            if i < lines.count - 1 { bytes.append(0x0A) }
        }
        return (bytes, calls, rejects)
    }

    private struct Summary: Equatable {
        var calls: [String]
        var rejects: [String]
        var lineCount: Int
        var layout: CDRLayout?
    }

    private func summary(_ p: ParsedFile) -> Summary {
        Summary(calls: p.calls.map { "\($0.record.lineNumber) \($0.record.uuid) \($0.subscription?.id ?? "-") \($0.chargedMinutes)" },
                rejects: p.rejects.map { "\($0.lineNumber) \($0.reason) \($0.raw)" },
                lineCount: p.lineCount, layout: p.layout)
    }

    func testEveryLineEndsUpInExactlyOnePlace() throws {
        let (bytes, callLines, rejectLines) = mixedFile()
        let path = write("mixed.csv", bytes)
        let parsed = try parser(workers: 2, chunkLines: 4).parse(path: path)
        XCTAssertEqual(parsed.lineCount, 15)
        XCTAssertEqual(parsed.calls.count + parsed.rejects.count, parsed.lineCount)
        XCTAssertEqual(parsed.calls.map(\.record.lineNumber), callLines.keys.sorted())
        XCTAssertEqual(parsed.calls.map(\.record.uuid), callLines.keys.sorted().map { callLines[$0]! })
        XCTAssertEqual(parsed.rejects.map(\.lineNumber), rejectLines)
        let numbers = Set(parsed.calls.map(\.record.lineNumber)).union(parsed.rejects.map(\.lineNumber))
        XCTAssertEqual(numbers, Set(1 ... 15))
        XCTAssertEqual(parsed.layout, .freeswitch)
        XCTAssertNil(parsed.streamError)
        for r in parsed.rejects {
            XCTAssertFalse(r.reason.isEmpty, "line \(r.lineNumber)")
            XCTAssertFalse(r.reason.contains("\n"), "line \(r.lineNumber)")
        }
    }

    func testRejectsKeepLineNumberAndRawLine() throws {
        let (bytes, _, _) = mixedFile()
        let parsed = try parser(workers: 1, chunkLines: 100).parse(path: write("mixed.csv", bytes))
        let byLine = Dictionary(uniqueKeysWithValues: parsed.rejects.map { ($0.lineNumber, $0) })
        XCTAssertEqual(byLine[3]?.raw, [])
        XCTAssertEqual(byLine[4]?.raw, [0x00, 0xFF, 0xFE, 0x01, 0x80, 0x9F, 0x1B, 0x7F])
        XCTAssertEqual(byLine[5]?.raw, Array("a,b,c".utf8))
        XCTAssertEqual(byLine[12]?.raw, [0xC3, 0x28, 0x41, 0x2C, 0x42])
        XCTAssertNotEqual(byLine[3]?.reason, byLine[4]?.reason)
        XCTAssertTrue(byLine[6]?.reason.contains("duration") ?? false, byLine[6]?.reason ?? "")
        XCTAssertTrue(byLine[10]?.reason.contains("end time") ?? false, byLine[10]?.reason ?? "")
        // the CRLF line is a call (its CR is not part of the line)
        let call2 = parsed.calls.first { $0.record.lineNumber == 2 }
        XCTAssertEqual(call2?.record.uuid, "uuid-02")
        XCTAssertEqual(call2?.subscription?.id, "sub-1")
        // unmatched line 8 is a call with no subscription
        let call8 = parsed.calls.first { $0.record.lineNumber == 8 }
        XCTAssertNil(call8?.subscription)
        XCTAssertNotNil(call8?.unmatchedReason)
        XCTAssertEqual(parsed.calls.first { $0.record.lineNumber == 13 }?.status, .no_answer)
    }

    func testResultDoesNotDependOnWorkersOrChunkSize() throws {
        let (bytes, _, _) = mixedFile()
        let path = write("mixed.csv", bytes)
        let reference = summary(try parser(workers: 1, chunkLines: 1).parse(path: path))
        XCTAssertEqual(reference.lineCount, 15)
        for (workers, chunk) in [(4, 3), (3, 7), (8, 2), (2, 8192), (16, 1)] {
            let other = summary(try parser(workers: workers, chunkLines: chunk).parse(path: path))
            XCTAssertEqual(other, reference, "workers \(workers), chunkLines \(chunk)")
        }
    }

    func testManyLinesManyWorkersKeepOrder() throws {
        var text = ""
        var expected: [String] = []
        for i in 1 ... 2000 {
            if i % 97 == 0 { text += "garbage line \(i)\n"; continue }
            let uuid = "u-\(i)"
            expected.append(uuid)
            text += CDRText.freeswitch(billsec: String(i % 120), uuid: uuid) + (i % 3 == 0 ? "\r\n" : "\n")
        }
        let path = write("many.csv", Array(text.utf8))
        let a = try parser(workers: 8, chunkLines: 7).parse(path: path)
        XCTAssertEqual(a.lineCount, 2000)
        XCTAssertEqual(a.calls.map(\.record.uuid), expected)
        XCTAssertEqual(a.rejects.map(\.lineNumber), (1 ... 2000).filter { $0 % 97 == 0 })
        XCTAssertEqual(a.calls.count + a.rejects.count, a.lineCount)
        let b = try parser(workers: 1, chunkLines: 1).parse(path: path)
        XCTAssertEqual(summary(a), summary(b))
    }

    func testAsteriskFileDetected() throws {
        let lines = [CDRText.asterisk(),
                     CDRText.asterisk(end: "2024-10-05 11:05:11", duration: "311"),
                     CDRText.asterisk(src: "100", dst: "9812345678", uniqueid: "1728106200.42")]
        let path = write("Master.csv", Array(lines.joined(separator: "\r\n").utf8))
        let parsed = try parser(workers: 2, chunkLines: 1).parse(path: path)
        XCTAssertEqual(parsed.layout, .asterisk)
        XCTAssertEqual(parsed.lineCount, 3)
        XCTAssertEqual(parsed.rejects.count, 0)
        XCTAssertEqual(parsed.calls.map(\.record.uuid), [
            "line-sha256:842607b1e10d1d3c6a948f73a004ef3b5e25eb0acca942e6d648ff7103fe1c31",
            "line-sha256:a12106f563e6fa8c942a363d619d9cb7c70fd4ed4855c39b1229a2af8a6da307",
            "1728106200.42",
        ])
    }

    func testExplicitLayoutIsNotOverridden() throws {
        let path = write("Master.csv", Array((CDRText.asterisk() + "\n" + CDRText.asterisk(uniqueid: "x")).utf8))
        let parsed = try parser(workers: 1, chunkLines: 10, layout: .freeswitch).parse(path: path)
        XCTAssertEqual(parsed.calls.count, 0)
        XCTAssertEqual(parsed.rejects.map(\.lineNumber), [1, 2])
        XCTAssertTrue(parsed.rejects.allSatisfy { $0.reason.contains("wrong number of fields") })
    }

    func testLayoutDetectionDoesNotDependOnChunkSize() throws {
        // The first line is not a record; the layout comes from the first record (line 2, Asterisk).
        // The reject reason of line 1 must be the same whatever the chunk size.
        let text = "hello,world\n" + CDRText.asterisk() + "\n" + CDRText.asterisk(uniqueid: "u-3") + "\n"
        let path = write("Master.csv", Array(text.utf8))
        let small = try parser(workers: 1, chunkLines: 1).parse(path: path)
        let large = try parser(workers: 4, chunkLines: 3).parse(path: path)
        XCTAssertEqual(small.layout, .asterisk)
        XCTAssertEqual(large.layout, .asterisk)
        XCTAssertEqual(small.calls.map(\.record.uuid), large.calls.map(\.record.uuid))
        XCTAssertEqual(small.rejects.map(\.lineNumber), [1])
        XCTAssertEqual(small.rejects.map(\.reason), large.rejects.map(\.reason))
    }

    func testGzipFileParses() throws {
        let (bytes, callLines, _) = mixedFile()
        let path = write("mixed.csv.gz", try TS.gzip(bytes))
        let parsed = try parser(workers: 3, chunkLines: 2).parse(path: path)
        XCTAssertNil(parsed.streamError)
        XCTAssertEqual(parsed.lineCount, 15)
        XCTAssertEqual(parsed.calls.map(\.record.lineNumber), callLines.keys.sorted())
    }

    func testTruncatedGzipSetsStreamError() throws {
        var text = ""
        for i in 1 ... 3000 { text += CDRText.freeswitch(uuid: "trunc-\(i)-\(i * 7_919 % 10_007)") + "\n" }
        let gz = try TS.gzip(Array(text.utf8))
        let path = write("cut.gz", Array(gz.prefix(gz.count * 2 / 3)))
        let parsed = try parser(workers: 2, chunkLines: 50).parse(path: path)
        XCTAssertNotNil(parsed.streamError)
        XCTAssertGreaterThan(parsed.calls.count, 0)
        XCTAssertEqual(parsed.calls.count + parsed.rejects.count, parsed.lineCount)
        // the lines before the cut are whole lines: all of them rate
        XCTAssertEqual(parsed.rejects.count, 0, parsed.rejects.map { "\($0.lineNumber): \($0.reason)" }.joined(separator: "; "))
    }

    func testOversizedLineRejected() throws {
        let long = String(repeating: "x", count: CDRFileReader.maxLineLength + 1)
        let text = CDRText.freeswitch(uuid: "a") + "\n" + long + "\n" + CDRText.freeswitch(uuid: "c") + "\n"
        let parsed = try parser(workers: 2, chunkLines: 1).parse(path: write("long.csv", Array(text.utf8)))
        XCTAssertEqual(parsed.lineCount, 3)
        XCTAssertEqual(parsed.calls.map(\.record.uuid), ["a", "c"])
        XCTAssertEqual(parsed.rejects.map(\.lineNumber), [2])
        XCTAssertLessThanOrEqual(parsed.rejects[0].raw.count, CDRFileReader.maxLineLength)
    }

    func testEmptyFile() throws {
        let parsed = try parser(workers: 4, chunkLines: 3).parse(path: write("empty.csv", []))
        XCTAssertEqual(parsed.lineCount, 0)
        XCTAssertTrue(parsed.calls.isEmpty)
        XCTAssertTrue(parsed.rejects.isEmpty)
    }

    func testMissingFileThrows() {
        XCTAssertThrowsError(try parser(workers: 1, chunkLines: 1).parse(path: dir.appendingPathComponent("none.csv").path))
    }

    /// 120,000,000 s = 2,000,000 minutes at 0.50 = 1,000,000.0000, one paisa-ten-thousandth over numeric(10,4).
    func testCallThatCouldOverflowTheCostColumnIsRejected() throws {
        let big = CDRText.freeswitch(start: "2024-10-05 10:00:00", answer: "2024-10-05 10:00:05", end: "2024-10-05 10:00:05",
                                     duration: "120000000", billsec: "120000000", uuid: "big-1", account: "ACC-10001")
        let fits = CDRText.freeswitch(duration: "119999940", billsec: "119999940", uuid: "fits-1", account: "ACC-10001")
        let path = write("big.csv", Array((big + "\n" + fits + "\n").utf8))
        let r = try parser(workers: 1, chunkLines: 10, layout: .freeswitch).parse(path: path)
        XCTAssertEqual(r.rejects.map(\.lineNumber), [1], r.rejects.map(\.reason).joined(separator: "; "))
        XCTAssertTrue(r.rejects[0].reason.contains("2000000 charged minutes could cost more"), r.rejects[0].reason)
        XCTAssertEqual(r.calls.map(\.record.uuid), ["fits-1"]) // 119,999,940 s = 1,999,999 minutes: 999,999.5000
    }

    /// A consumer that stops early: the reader and workers are stopped, the error comes back.
    func testThrowingConsumerStopsTheReader() throws {
        struct Stop: Error {}
        let lines = (1 ... 5000).map { CDRText.freeswitch(uuid: "stop-\($0)") }.joined(separator: "\n") + "\n"
        let path = write("stop.csv", Array(lines.utf8))
        var taken = 0
        XCTAssertThrowsError(try parser(workers: 2, chunkLines: 10).parse(path: path) { _ in
            taken += 1
            if taken == 3 { throw Stop() }
        }) { XCTAssertTrue($0 is Stop) }
        XCTAssertEqual(taken, 3)
    }
}
