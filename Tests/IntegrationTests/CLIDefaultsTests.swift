import Billing
import Foundation
import RatingRules
import CDRIngest
import XCTest

/// The defaults `rate` and `rerate` print in their help are the library's:
/// an option left out runs as a Billing caller that leaves the value out.
final class CLIDefaultsTests: XCTestCase {
    func testRateDefaultsAreTheLibrarysDefaults() throws {
        let options = try optionDefaults(["rate", "--help-hidden"])
        let input = InputSelection(paths: [], switchZone: ZoneRules(identifier: "UTC")!)
        let (tuning, effects) = (ReadingTuning(), RunEffects())
        XCTAssertEqual(tuning.chunkLines, FileParser.defaultChunkLines)
        XCTAssertEqual(tuning.sortRunCalls, FileScan.runLength)
        let expected: [String: String] = [
            "--workers": "\(tuning.workers)",
            "--chunk-lines": "\(tuning.chunkLines)",
            "--sort-run-calls": "\(tuning.sortRunCalls)",
            "--bulk-load/--no-bulk-load": tuning.bulkLoad ? "--bulk-load" : "--no-bulk-load",
            "--single-pass/--no-single-pass": tuning.singlePass ? "--single-pass" : "--no-single-pass",
            "--min-age": "\(input.minAge)",
            "--cdr-format": input.layout?.rawValue ?? "auto",
            "--rejects-dir": effects.rejectsDirectory,
            "--max-reject-share": "\(effects.maxRejectShare)",
            "--lock-wait": "\(LockPolicy().wait)",
        ]
        for (option, value) in expected {
            XCTAssertEqual(options[option], value, option)
        }
        XCTAssertFalse(effects.dryRun)
        XCTAssertNil(options["--dry-run"], "a flag that is off has no default shown")
    }

    func testRerateLockWaitIsTheLibrarysDefault() throws {
        let options = try optionDefaults(["rerate", "--help"])
        let day = LocalDateTime(bytes: Array("2024-10-01 00:00:00".utf8))!
        XCTAssertEqual(options["--lock-wait"], "\(LockPolicy().wait)")
        XCTAssertEqual(RerateOptions(from: day, to: day).lockWait, LockPolicy().wait)
    }

    /// Each option of a command's help and the default it shows ("(default: X)" or "…; default: X)").
    private func optionDefaults(_ args: [String]) throws -> [String: String] {
        let help = try CLI.expect(0, args, db: nil).stdout
        let section = try XCTUnwrap(help.range(of: "OPTIONS:\n")).upperBound
        var options: [String: String] = [:]
        for block in help[section...].components(separatedBy: "\n  -") {
            let text = block.split(whereSeparator: \.isWhitespace).joined(separator: " ")
            guard let name = text.split(separator: " ").first else { continue }
            let option = "--" + name.drop { $0 == "-" } // the split took one of its dashes
            guard let range = text.range(of: "default: ", options: .backwards), text.hasSuffix(")") else { continue }
            options[option] = String(text[range.upperBound...].dropLast())
        }
        return options
    }
}
