import Foundation
import XCTest
@testable import RatingRules
@testable import Reports

/// The reports' table, csv and json, byte for byte, against renderings kept
/// in Renderings/ (made by the code before `Tabular`; CDR_RATER_RECORD=1 writes them anew).
final class ReportRenderingTests: XCTestCase {
    static func runReport(dryRun: Bool, whatIf: Bool) -> RunReport {
        var r = RunReport(dryRun: dryRun)
        r.whatIf = whatIf
        var a = CallTally()
        for (s, t) in [(CallStatus.answered, CallType.local), (.answered, .isd), (.busy, .mobile), (.no_answer, .toll_free)] {
            a.count(status: s, type: t)
        }
        a.includedSeconds = 12 * 60; a.overageSeconds = 3 * 60; a.cost = Money("4.5")!
        a.proposed.includedSeconds = 15 * 60; a.proposed.cost = Money("0.25")!
        var u = CallTally()
        u.count(status: .failed, type: .std)
        r.add(["SUB-10002": a, RunReport.unmatchedLabel: u, "SUB-10001 é/x": a])
        var f = FileOutcome(path: "inbox/a.csv", status: .rated)
        (f.lines, f.stored, f.unmatched, f.duplicates, f.rejected) = (9, 7, 1, 1, 1)
        f.chargedMinutes = 15; f.cost = Money("4.5")!; f.repriced = 2; f.repricedCost = Money("-1.25")!
        var p = FileOutcome(path: "inbox/b \"q\".csv.gz", status: .partial)
        p.message = "the file ends early: truncated gzip"
        var failed = FileOutcome(path: "inbox/c.csv", status: .failed)
        failed.message = "boom"
        r.files = [f, p, failed, FileOutcome(path: "inbox/d.csv", status: .already_rated), FileOutcome(path: "inbox/e", status: .busy),
                   FileOutcome(path: "inbox/f", status: .empty), FileOutcome(path: "inbox/g", status: .skipped),
                   FileOutcome(path: "inbox/h", status: .incomplete)]
        return r
    }

    static func rerateReport(dryRun: Bool, whatIf: Bool) -> RerateReport {
        var r = RerateReport(dryRun: dryRun)
        r.whatIf = whatIf
        var p = RerateReport.Period(subscription: "SUB-10001", periodStart: "2024-10-01 00:00:00")
        (p.calls, p.chargedMinutes, p.includedMinutes, p.overageMinutes) = (4, 30, 25, 5)
        (p.oldCost, p.newCost) = (Money("10")!, Money("7.5")!)
        var q = RerateReport.Period(subscription: "SUB-10003", periodStart: "2024-10-15 00:00:00")
        (q.calls, q.chargedMinutes, q.overageMinutes) = (1, 2, 2)
        (q.oldCost, q.newCost) = (Money("0")!, Money("1.2")!)
        r.periods = [p, q]
        (r.callsExamined, r.callsRematched, r.callsRepriced, r.callsKept) = (12, 3, 5, 1)
        return r
    }

    func testRunReports() throws {
        for dryRun in [false, true] {
            for whatIf in [false, true] {
                for format in RunReport.Format.allCases {
                    try check(Self.runReport(dryRun: dryRun, whatIf: whatIf).render(format),
                              "run-\(dryRun ? "dry" : "wet")-\(whatIf ? "whatif" : "plain").\(format.rawValue)")
                }
            }
        }
        for format in RunReport.Format.allCases { try check(RunReport(dryRun: false).render(format), "run-empty.\(format.rawValue)") }
    }

    func testRerateReports() throws {
        for dryRun in [false, true] {
            for whatIf in [false, true] {
                for format in RunReport.Format.allCases {
                    try check(Self.rerateReport(dryRun: dryRun, whatIf: whatIf).render(format),
                              "rerate-\(dryRun ? "dry" : "wet")-\(whatIf ? "whatif" : "plain").\(format.rawValue)")
                }
            }
        }
        for format in RunReport.Format.allCases { try check(RerateReport(dryRun: false).render(format), "rerate-empty.\(format.rawValue)") }
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
