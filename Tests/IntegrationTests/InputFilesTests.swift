import Billing
import Foundation
import XCTest

/// Which files a run rates, in which order (no database needed).
final class InputFilesTests: XCTestCase {
    func testOrderDoesNotDependOnHowPathsAreWritten() throws {
        let dir = try scratchFolder(self)
        for name in ["a.csv", "b.csv", ".hidden", "sub/c.csv"] {
            let url = dir.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try "x\n".write(to: url, atomically: true, encoding: .utf8)
        }
        let cwd = FileManager.default.currentDirectoryPath
        FileManager.default.changeCurrentDirectoryPath(dir.path)
        defer { FileManager.default.changeCurrentDirectoryPath(cwd) }
        let expected = [dir.appendingPathComponent("a.csv").standardizedFileURL.path,
                        dir.appendingPathComponent("b.csv").standardizedFileURL.path]
        XCTAssertEqual(try RatingRun.inputFiles(["./b.csv", "a.csv"]), expected)
        XCTAssertEqual(try RatingRun.inputFiles(["b.csv", "a.csv", "b.csv"]), expected)
        XCTAssertEqual(try RatingRun.inputFiles(["."]), expected, "a folder: its regular files, not hidden ones, not subfolders")
        XCTAssertThrowsError(try RatingRun.inputFiles(["missing.csv"]))
    }
}
