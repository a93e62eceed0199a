import XCTest
@testable import RatingRules

final class CSVLineTests: XCTestCase {
    private func fields(_ line: String, file: StaticString = #filePath, lineNo: UInt = #line) -> [String]? {
        var csv = CSVLine()
        do {
            try csv.parse(Array(line.utf8))
        } catch {
            return nil
        }
        return (0 ..< csv.count).map { csv.string($0) }
    }

    private func problem(_ line: String) -> CSVLine.Problem? {
        var csv = CSVLine()
        do {
            try csv.parse(Array(line.utf8))
            return nil
        } catch {
            return error
        }
    }

    func testBareFields() {
        XCTAssertEqual(fields("a,b,c"), ["a", "b", "c"])
        XCTAssertEqual(fields("125"), ["125"])
        XCTAssertEqual(fields("2024-10-05 10:00:00,60,NORMAL_CLEARING"), ["2024-10-05 10:00:00", "60", "NORMAL_CLEARING"])
    }

    func testQuotedFields() {
        XCTAssertEqual(fields(#""Alice","9812345678",125"#), ["Alice", "9812345678", "125"])
        XCTAssertEqual(fields(#""a b","c""#), ["a b", "c"])
    }

    func testDoubledQuoteInsideQuotes() {
        XCTAssertEqual(fields(#""say ""hi""",x"#), [#"say "hi""#, "x"])
        XCTAssertEqual(fields(#""""Bob"" <100>""#), [#""Bob" <100>"#])
        XCTAssertEqual(fields(#""""""#), [#"""#])   // a field holding a single quote
    }

    func testCommaInsideQuotes() {
        XCTAssertEqual(fields(#""SIP/trunk/9812345678,60",Dial"#), ["SIP/trunk/9812345678,60", "Dial"])
        XCTAssertEqual(fields(#"",,,""#), [",,,"])
    }

    func testEmptyFields() {
        XCTAssertEqual(fields("a,,c"), ["a", "", "c"])
        XCTAssertEqual(fields(#""","",x"#), ["", "", "x"])
        XCTAssertEqual(fields(",,"), ["", "", ""])
        XCTAssertEqual(fields(""), [""])
    }

    func testTrailingEmptyField() {
        XCTAssertEqual(fields("a,b,"), ["a", "b", ""])
        XCTAssertEqual(fields(#""a","""#), ["a", ""])
        XCTAssertEqual(fields(#""a","#), ["a", ""])
    }

    func testLeadingEmptyField() {
        XCTAssertEqual(fields(",a"), ["", "a"])
    }

    func testUnterminatedQuote() {
        XCTAssertEqual(problem(#""abc"#), .unterminatedQuote)
        XCTAssertEqual(problem(#"a,"b,c"#), .unterminatedQuote)
        XCTAssertEqual(problem(#""abc"""#), .unterminatedQuote) // abc" and still open
        XCTAssertEqual(problem(#"""#), .unterminatedQuote)
    }

    func testTextAfterClosingQuote() {
        func field(_ line: String) -> Int? {
            if case .textAfterClosingQuote(let f)? = problem(line) { return f }
            return nil
        }
        let first = field(#""abc"x,d"#)
        let second = field(#"a,"b"c"#)
        let third = field(#"a,b,"c" ,d"#)
        XCTAssertNotNil(first)
        XCTAssertNotNil(second)
        XCTAssertNotNil(third)
        // The error names the field it happened in: consecutive fields, consecutive numbers.
        if let first, let second, let third {
            XCTAssertEqual(second, first + 1)
            XCTAssertEqual(third, first + 2)
        }
    }

    func testQuoteInsideBareFieldIsKept() {
        // Only a quote at the start of a field opens a quoted field.
        XCTAssertEqual(fields(#"ab"c,d"#), [#"ab"c"#, "d"])
    }

    func testFieldCountAndUTF8() {
        XCTAssertEqual(fields("Zoë,\"Ångström, Å\",名前"), ["Zoë", "Ångström, Å", "名前"])
    }

    func testReuseBetweenLines() {
        var csv = CSVLine()
        try? csv.parse(Array(#""one","two","three","four","five""#.utf8))
        XCTAssertEqual(csv.count, 5)
        try? csv.parse(Array("x,y".utf8))
        XCTAssertEqual(csv.count, 2)
        XCTAssertEqual(csv.string(0), "x")
        XCTAssertEqual(csv.string(1), "y")
        XCTAssertEqual(Array(csv[1]), Array("y".utf8))
    }

    func testParsesArraySlices() throws {
        let bytes = Array("junk|a,\"b,c\",d|junk".utf8)
        var csv = CSVLine()
        try csv.parse(bytes[5 ..< 14])
        XCTAssertEqual((0 ..< csv.count).map { csv.string($0) }, ["a", "b,c", "d"])
    }

    func testFifteenFieldFreeSWITCHLine() {
        let line = #""Alice","9812345678","18001234567","default","2024-10-05 10:00:00","2024-10-05 10:00:05","2024-10-05 10:02:10","130","125","NORMAL_CLEARING","a1b2c3d4-0000-0000-0000-000000000001","","ACC-10001","PCMU","PCMU""#
        let f = fields(line)
        XCTAssertEqual(f?.count, 15)
        XCTAssertEqual(f?[11], "")
        XCTAssertEqual(f?[12], "ACC-10001")
    }

    /// The byte-by-byte state machine CSVLine used to be, kept here as the
    /// definition the field-by-field splitter must agree with.
    private func stateMachine(_ line: [UInt8]) -> Result<[[UInt8]], CSVLine.Problem> {
        let quote = UInt8(ascii: "\""), comma = UInt8(ascii: ",")
        var fields: [[UInt8]] = [], field: [UInt8] = []
        var inQuotes = false, afterQuote = false, fieldStart = true, pendingQuote = false
        for b in line {
            if inQuotes {
                if pendingQuote {
                    pendingQuote = false
                    if b == quote { field.append(quote); continue }
                    inQuotes = false; afterQuote = true
                } else if b == quote {
                    pendingQuote = true; continue
                } else {
                    field.append(b); continue
                }
            }
            if b == comma {
                fields.append(field); field = []
                fieldStart = true; afterQuote = false
            } else if afterQuote {
                return .failure(.textAfterClosingQuote(field: fields.count + 1))
            } else if b == quote && fieldStart {
                inQuotes = true; fieldStart = false
            } else {
                field.append(b); fieldStart = false
            }
        }
        if inQuotes && !pendingQuote { return .failure(.unterminatedQuote) }
        fields.append(field)
        return .success(fields)
    }

    func testFieldByFieldAgreesWithTheStateMachine() {
        var generator = SystemRandomNumberGenerator()
        let alphabet: [[UInt8]] = [[0x22], [0x22], [0x2C], [0x2C], Array("a".utf8), Array("bc".utf8), [0x20], Array("\"\"".utf8)]
        var csv = CSVLine() // reused, as the parser does
        for _ in 0 ..< 60_000 {
            var line: [UInt8] = []
            for _ in 0 ..< Int.random(in: 0 ... 12, using: &generator) { line += alphabet.randomElement(using: &generator)! }
            let got: Result<[[UInt8]], CSVLine.Problem>
            do {
                try csv.parse(line)
                got = .success((0 ..< csv.count).map { Array(csv[$0]) })
            } catch {
                got = .failure(error)
            }
            XCTAssertEqual("\(got)", "\(stateMachine(line))", String(decoding: line, as: UTF8.self))
        }
    }
}
