import XCTest
@testable import RatingRules

/// Builds CSV lines the way the switches write them.
enum CDRText {
    static func quoted(_ s: String) -> String { "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }

    /// FreeSWITCH mod_cdr_csv template `example`, every field quoted.
    static func freeswitch(name: String = "Alice", caller: String = "9812345678", destination: String = "18001234567",
                           context: String = "default", start: String = "2024-10-05 10:00:00",
                           answer: String = "2024-10-05 10:00:05", end: String = "2024-10-05 10:02:10",
                           duration: String = "130", billsec: String = "125", cause: String = "NORMAL_CLEARING",
                           uuid: String = "a1b2c3d4-0000-0000-0000-000000000001", bleg: String = "",
                           account: String = "ACC-10001", read: String = "PCMU", write: String = "PCMU") -> String {
        [name, caller, destination, context, start, answer, end, duration, billsec, cause, uuid, bleg, account, read, write]
            .map(quoted).joined(separator: ",")
    }

    /// Asterisk cdr_csv Master.csv: strings quoted, numbers bare.
    static func asterisk(account: String = "ACC-10002", src: String = "9812345678", dst: String = "01123456789",
                         start: String = "2024-10-05 11:00:00", answer: String = "2024-10-05 11:00:10",
                         end: String = "2024-10-05 11:05:10", duration: String = "310", billsec: String = "300",
                         disposition: String = "ANSWERED", uniqueid: String? = nil, userfield: String = "") -> String {
        var parts = [quoted(account), quoted(src), quoted(dst), quoted("from-internal"), quoted("\"Bob\" <\(src)>"),
                     quoted("SIP/100-00000001"), quoted("SIP/trunk-00000002"), quoted("Dial"),
                     quoted("SIP/trunk/\(dst),60"), quoted(start), quoted(answer), quoted(end), duration, billsec,
                     quoted(disposition), quoted("DOCUMENTATION")]
        if let uniqueid { parts += [quoted(uniqueid), quoted(userfield)] }
        return parts.joined(separator: ",")
    }
}

final class RecordDecoderTests: XCTestCase {
    private func decode(_ line: String, _ layout: CDRLayout, zone: ZoneRules = TS.ist, lineNumber: Int = 7)
        -> Result<CallDetailRecord, RejectReason>
    {
        let bytes = Array(line.utf8)
        var csv = CSVLine()
        do { try csv.parse(bytes) } catch { XCTFail("CSV did not parse: \(error)"); return .failure(RejectReason("csv")) }
        let decoder = RecordDecoder(layout: layout, zone: zone)
        do {
            return .success(try decoder.decode(csv, rawLine: bytes[...], lineNumber: lineNumber))
        } catch {
            return .failure(error)
        }
    }

    private func record(_ line: String, _ layout: CDRLayout, zone: ZoneRules = TS.ist, file: StaticString = #filePath, line l: UInt = #line) -> CallDetailRecord? {
        switch decode(line, layout, zone: zone) {
        case .success(let r): return r
        case .failure(let e): XCTFail("rejected: \(e.text)", file: file, line: l); return nil
        }
    }

    private func reason(_ line: String, _ layout: CDRLayout, file: StaticString = #filePath, line l: UInt = #line) -> String? {
        switch decode(line, layout) {
        case .success: XCTFail("expected a reject", file: file, line: l); return nil
        case .failure(let e): return e.text
        }
    }

    // MARK: layout detection

    func testDetectLayoutByFieldCount() {
        XCTAssertEqual(CDRLayout.detect(fieldCount: 15), .freeswitch)
        XCTAssertEqual(CDRLayout.detect(fieldCount: 16), .asterisk)
        XCTAssertEqual(CDRLayout.detect(fieldCount: 18), .asterisk)
        XCTAssertNil(CDRLayout.detect(fieldCount: 17))
        XCTAssertNil(CDRLayout.detect(fieldCount: 14))
        XCTAssertNil(CDRLayout.detect(fieldCount: 1))
    }

    // MARK: FreeSWITCH

    func testFreeSWITCHLine() {
        guard let r = record(CDRText.freeswitch(), .freeswitch) else { return }
        XCTAssertEqual(r.uuid, "a1b2c3d4-0000-0000-0000-000000000001")
        XCTAssertEqual(r.callerId, "+919812345678")
        XCTAssertEqual(r.destination, "+9118001234567")
        XCTAssertEqual(r.accountCode, "ACC-10001")
        XCTAssertEqual(r.start, TS.utc(2024, 10, 5, 4, 30))
        XCTAssertEqual(r.answer, TS.utc(2024, 10, 5, 4, 30, 5))
        XCTAssertEqual(r.end, TS.utc(2024, 10, 5, 4, 32, 10))
        XCTAssertEqual(r.duration, 130)
        XCTAssertEqual(r.billsec, 125)
        XCTAssertEqual(r.hangupCause, "NORMAL_CLEARING")
        XCTAssertEqual(r.lineNumber, 7)
        XCTAssertEqual(r.billableMinutes, 3)
    }

    func testFreeSWITCHUnquotedNumbersAndEmptyAccount() {
        let line = #""","100","2001","default","2024-10-05 10:00:00","","2024-10-05 10:00:20",20,0,"NO_ANSWER","u-2","","","PCMA","PCMA""#
        guard let r = record(line, .freeswitch) else { return }
        XCTAssertEqual(r.callerId, "100")
        XCTAssertEqual(r.destination, "2001")
        XCTAssertEqual(r.accountCode, "")
        XCTAssertNil(r.answer)
        XCTAssertEqual(r.billsec, 0)
        XCTAssertEqual(r.billableMinutes, 0)
    }

    func testEmptyAnswerStampMeansNotAnswered() {
        guard let r = record(CDRText.freeswitch(answer: "", billsec: "0", cause: "NO_ANSWER"), .freeswitch) else { return }
        XCTAssertNil(r.answer)
        XCTAssertEqual(CallStatus.from(billsec: r.billsec, cause: r.hangupCause), .no_answer)
    }

    func testBillableMinutesRoundUp() {
        for (billsec, minutes) in [(0, 0), (1, 1), (59, 1), (60, 1), (61, 2), (120, 2), (121, 3)] {
            guard let r = record(CDRText.freeswitch(duration: "200", billsec: String(billsec)), .freeswitch) else { continue }
            XCTAssertEqual(r.billableMinutes, minutes, "billsec \(billsec)")
        }
    }

    func testTimestampsInSwitchZone() {
        let ny = ZoneRules(identifier: "America/New_York")!
        let line = CDRText.freeswitch(start: "2024-07-05 10:00:00", answer: "2024-07-05 10:00:05", end: "2024-07-05 10:02:10")
        guard let r = record(line, .freeswitch, zone: ny) else { return }
        XCTAssertEqual(r.start, TS.utc(2024, 7, 5, 14))
    }

    // MARK: Asterisk

    func testAsterisk16FieldsUsesHashOfLine() {
        let line = CDRText.asterisk()
        XCTAssertEqual(line, #""ACC-10002","9812345678","01123456789","from-internal","""Bob"" <9812345678>","SIP/100-00000001","SIP/trunk-00000002","Dial","SIP/trunk/01123456789,60","2024-10-05 11:00:00","2024-10-05 11:00:10","2024-10-05 11:05:10",310,300,"ANSWERED","DOCUMENTATION""#)
        guard let r = record(line, .asterisk) else { return }
        // sha256 of the line's bytes, computed with coreutils sha256sum.
        XCTAssertEqual(r.uuid, "line-sha256:842607b1e10d1d3c6a948f73a004ef3b5e25eb0acca942e6d648ff7103fe1c31")
        XCTAssertEqual(r.accountCode, "ACC-10002")
        XCTAssertEqual(r.callerId, "+919812345678")
        XCTAssertEqual(r.destination, "+911123456789")
        XCTAssertEqual(r.start, TS.utc(2024, 10, 5, 5, 30))
        XCTAssertEqual(r.answer, TS.utc(2024, 10, 5, 5, 30, 10))
        XCTAssertEqual(r.end, TS.utc(2024, 10, 5, 5, 35, 10))
        XCTAssertEqual(r.duration, 310)
        XCTAssertEqual(r.billsec, 300)
        XCTAssertEqual(r.hangupCause, "ANSWERED")
        XCTAssertEqual(r.billableMinutes, 5)
    }

    func testAsteriskHashIsStableAndDiffersPerLine() {
        let a = record(CDRText.asterisk(), .asterisk)
        let again = record(CDRText.asterisk(), .asterisk)
        let b = record(CDRText.asterisk(end: "2024-10-05 11:05:11", duration: "311"), .asterisk)
        XCTAssertEqual(a?.uuid, again?.uuid)
        XCTAssertNotEqual(a?.uuid, b?.uuid)
        XCTAssertEqual(b?.uuid, "line-sha256:a12106f563e6fa8c942a363d619d9cb7c70fd4ed4855c39b1229a2af8a6da307")
    }

    func testAsterisk18FieldsUsesUniqueid() {
        let line = CDRText.asterisk(uniqueid: "1728106200.42", userfield: "campaign-7")
        guard let r = record(line, .asterisk) else { return }
        XCTAssertEqual(r.uuid, "1728106200.42")
        XCTAssertEqual(r.accountCode, "ACC-10002")
        XCTAssertEqual(r.billsec, 300)
    }

    /// SPEC section 2: without a uniqueid the id is a stable hash of the line; an empty one counts as none.
    func testAsterisk18FieldsWithEmptyUniqueidUsesHashOfLine() {
        let line = CDRText.asterisk(uniqueid: "")
        guard let r = record(line, .asterisk) else { return }
        XCTAssertEqual(r.uuid, "line-sha256:" + SHA256Digest.hex(of: Array(line.utf8)))
        XCTAssertEqual(reason(CDRText.freeswitch(uuid: ""), .freeswitch), "uuid is empty")
    }

    func testAsteriskNotAnswered() {
        let line = CDRText.asterisk(answer: "", end: "2024-10-05 11:00:30", duration: "30", billsec: "0", disposition: "NO ANSWER")
        guard let r = record(line, .asterisk) else { return }
        XCTAssertNil(r.answer)
        XCTAssertEqual(CallStatus.from(billsec: r.billsec, cause: r.hangupCause), .no_answer)
    }

    func testSha256Hex() {
        XCTAssertEqual(SHA256Digest.hex(of: Array("abc".utf8)), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(SHA256Digest.hex(of: [UInt8]()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    // MARK: rejects

    func testWrongFieldCount() {
        let fourteen = CDRText.freeswitch().split(separator: ",", omittingEmptySubsequences: false).dropLast().joined(separator: ",")
        XCTAssertTrue(reason(fourteen, .freeswitch)?.contains("wrong number of fields") ?? false)
        XCTAssertTrue(reason(CDRText.asterisk(), .freeswitch)?.contains("16") ?? false)
        XCTAssertNotNil(reason(CDRText.freeswitch(), .asterisk))
        XCTAssertNotNil(reason(CDRText.asterisk() + ",\"extra\"", .asterisk)) // 17 fields
        XCTAssertNotNil(reason("a,b,c", .asterisk))
    }

    func testUnparsableDates() {
        XCTAssertTrue(reason(CDRText.freeswitch(start: "2024-10-05 25:00:00"), .freeswitch)?.contains("start") ?? false)
        XCTAssertTrue(reason(CDRText.freeswitch(start: "yesterday"), .freeswitch)?.contains("start") ?? false)
        XCTAssertTrue(reason(CDRText.freeswitch(end: "2024-02-30 10:02:10"), .freeswitch)?.contains("end") ?? false)
        XCTAssertTrue(reason(CDRText.freeswitch(answer: "2024-10-05T10:0:05"), .freeswitch)?.contains("answer") ?? false)
        XCTAssertNotNil(reason(CDRText.freeswitch(start: ""), .freeswitch))
        XCTAssertNotNil(reason(CDRText.freeswitch(end: ""), .freeswitch))
        XCTAssertNotNil(reason(CDRText.asterisk(start: "05/10/2024 11:00"), .asterisk))
    }

    func testNegativeOrNonNumericDurations() {
        XCTAssertTrue(reason(CDRText.freeswitch(duration: "-5", billsec: "0"), .freeswitch)?.contains("-5") ?? false)
        XCTAssertNotNil(reason(CDRText.freeswitch(billsec: "-5"), .freeswitch))
        XCTAssertNotNil(reason(CDRText.freeswitch(billsec: "12.5"), .freeswitch))
        XCTAssertNotNil(reason(CDRText.freeswitch(billsec: ""), .freeswitch))
        XCTAssertNotNil(reason(CDRText.freeswitch(billsec: " 125"), .freeswitch))
        XCTAssertNotNil(reason(CDRText.freeswitch(duration: "abc"), .freeswitch))
        XCTAssertNotNil(reason(CDRText.asterisk(duration: "-310"), .asterisk))
    }

    func testEndBeforeStart() {
        let r = reason(CDRText.freeswitch(start: "2024-10-05 10:00:00", answer: "", end: "2024-10-05 09:59:59",
                                          duration: "0", billsec: "0"), .freeswitch)
        XCTAssertTrue(r?.contains("end time") ?? false, r ?? "")
    }

    func testAnswerBeforeStartRejected() {
        XCTAssertNotNil(reason(CDRText.freeswitch(answer: "2024-10-05 09:59:00"), .freeswitch))
    }

    func testBillsecGreaterThanDurationRejected() {
        XCTAssertNotNil(reason(CDRText.freeswitch(duration: "100", billsec: "125"), .freeswitch))
    }

    func testEmptyUuidAndDestinationRejected() {
        XCTAssertNotNil(reason(CDRText.freeswitch(uuid: ""), .freeswitch))
        XCTAssertNotNil(reason(CDRText.freeswitch(destination: ""), .freeswitch))
        XCTAssertNotNil(reason(CDRText.freeswitch(destination: " - "), .freeswitch))
    }

    func testEndEqualToStartIsFine() {
        let line = CDRText.freeswitch(start: "2024-10-05 10:00:00", answer: "", end: "2024-10-05 10:00:00",
                                      duration: "0", billsec: "0", cause: "CALL_REJECTED")
        XCTAssertNotNil(record(line, .freeswitch))
    }

    func testRejectReasonIsOneLine() {
        for line in [CDRText.freeswitch(start: "x"), CDRText.freeswitch(duration: "-5"), "a,b"] {
            if let r = reason(line, .freeswitch) {
                XCTAssertFalse(r.isEmpty)
                XCTAssertFalse(r.contains("\n"))
            }
        }
    }

    /// varchar(100) counts code points: "e" + combining accent is two.
    func testLengthLimitsCountCodePoints() {
        let cause = String(repeating: "e\u{301}", count: 60) // 60 characters, 120 code points
        XCTAssertEqual(reason(CDRText.freeswitch(cause: cause), .freeswitch), "hangup cause is longer than 100 characters")
    }

    func testSecondsMustFitAnIntegerColumn() {
        let line = CDRText.freeswitch(duration: "3000000000", billsec: "3000000000")
        XCTAssertEqual(reason(line, .freeswitch), "duration 3000000000 is larger than 2147483647 seconds")
    }
}
