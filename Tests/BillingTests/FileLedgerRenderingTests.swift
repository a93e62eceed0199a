import Foundation
import Reports
import XCTest
@testable import Billing

/// `cdr-rater files` in each format, byte for byte, against renderings kept
/// in Renderings/ (made by the code before `Tabular`; CDR_RATER_RECORD=1 writes them anew).
final class FileLedgerRenderingTests: XCTestCase {
    static var ledger: FileLedger { FileLedger(rows: [
        ["2024-11-02 10:00:00", "rated", "a.csv", "9", "7", "1", "1", "1", "15", "4.5000", "0.25", String(repeating: "ab", count: 32),
         "/inbox/a.csv", "", "", ""],
        ["2024-11-02 09:00:00", "partial", "b, \"quoted\".csv.gz", "3", "3", "0", "0", "0", "2", "0.0000", "12.00", String(repeating: "cd", count: 32),
         "/inbox/b, \"quoted\".csv.gz", "/rejects/b.rejects.csv", "the file ends early: " + String(repeating: "truncated gzip ", count: 6),
         "ops@host at 2024-11-03 08:00:00"],
        ["2024-11-01 23:59:59", "failed", "é/ü.csv", "0", "0", "0", "0", "0", "0", "0.0000", "1.50", String(repeating: "ef", count: 32),
         "/inbox/é/ü.csv", "", "boom", ""],
    ]) }

    func testEachFormat() throws {
        for format in RunReport.Format.allCases {
            try check(Self.ledger.render(format), "files.\(format.rawValue)")
            try check(FileLedger(rows: []).render(format), "files-empty.\(format.rawValue)")
        }
    }

    private func check(_ rendered: String, _ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Renderings/\(name)")
        if ProcessInfo.processInfo.environment["CDR_RATER_RECORD"] == "1" {
            try Data(rendered.utf8).write(to: url)
            return
        }
        XCTAssertEqual(rendered, try String(contentsOf: url, encoding: .utf8), name, file: file, line: line)
    }
}
