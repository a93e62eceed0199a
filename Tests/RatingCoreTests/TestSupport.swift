import Foundation
import XCTest
@testable import RatingRules
@testable import CDRIngest

/// Shared helpers. Expected instants are computed with Foundation's own
/// calendar (independent of RatingRules' civil-date arithmetic) plus the
/// fixed IST offset, +05:30.
enum TS {
    static let ist = ZoneRules(identifier: "Asia/Kolkata")!
    static let istOffset: Int64 = 5 * 3600 + 30 * 60

    /// Epoch seconds of a UTC wall-clock reading.
    static func utc(_ y: Int, _ mo: Int, _ d: Int, _ h: Int = 0, _ mi: Int = 0, _ s: Int = 0) -> Int64 {
        var cal = Foundation.Calendar(identifier: .gregorian)
        cal.timeZone = TimeZone(identifier: "UTC")!
        let date = cal.date(from: DateComponents(year: y, month: mo, day: d, hour: h, minute: mi, second: s))!
        return Int64(date.timeIntervalSince1970)
    }

    /// Epoch seconds of an India Standard Time wall-clock reading.
    static func ist(_ y: Int, _ mo: Int, _ d: Int, _ h: Int = 0, _ mi: Int = 0, _ s: Int = 0) -> Int64 {
        utc(y, mo, d, h, mi, s) - istOffset
    }

    static func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

    /// A fresh directory under the system temporary directory.
    static func tempDir(_ file: StaticString = #file, _ line: UInt = #line) -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("RatingCoreTests-\(UUID().uuidString)", isDirectory: true)
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @discardableResult
    static func write(_ data: [UInt8], to url: URL) -> String {
        try! Data(data).write(to: url)
        return url.path
    }

    /// gzip-compresses `data` with /bin/gzip (or /usr/bin/gzip), not with zlib from the code under test.
    static func gzip(_ data: [UInt8]) throws -> [UInt8] {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("in")
        try Data(data).write(to: input)
        let process = Process()
        let exe = FileManager.default.isExecutableFile(atPath: "/bin/gzip") ? "/bin/gzip" : "/usr/bin/gzip"
        process.executableURL = URL(fileURLWithPath: exe)
        process.arguments = ["-c", "-n", "-6"]
        process.standardInput = try FileHandle(forReadingFrom: input)
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let compressed = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw NSError(domain: "gzip", code: Int(process.terminationStatus)) }
        return Array(compressed)
    }

    // MARK: catalog fixtures

    static let starter = RatePlan(id: "plan-starter", name: "Starter", includedMinutes: 500,
                                  overageRatePerMinute: Money("0.50")!)

    static func subscription(id: String, number: String? = nil, account: String, type: Subscription.AccountType = .prepaid,
                             plan: RatePlan = starter, start: Int64, end: Int64? = nil) -> Subscription {
        Subscription(id: id, number: number ?? "SUB-\(id)", accountId: "acct-\(account)", accountNumber: account,
                     accountType: type, plan: plan, start: start, end: end)
    }

    /// A record as the decoder would produce it (numbers already normalised).
    static func record(uuid: String = "uuid-1", caller: String, destination: String, account: String = "",
                       start: Int64, billsec: Int, cause: String? = nil, line: Int = 1) -> CallDetailRecord {
        CallDetailRecord(uuid: uuid, callerId: caller, destination: destination, accountCode: account,
                         start: start, answer: billsec > 0 ? start + 5 : nil, end: start + 5 + Int64(billsec),
                         duration: billsec + 5, billsec: billsec,
                         hangupCause: cause ?? (billsec > 0 ? "NORMAL_CLEARING" : "NO_ANSWER"), lineNumber: line)
    }
}

/// A test case with a scratch folder `dir`, made anew for each test and removed after it.
class ScratchFolderTestCase: XCTestCase {
    var dir: URL!

    override func setUp() {
        super.setUp()
        dir = TS.tempDir()
    }

    override func tearDown() {
        try? FileManager.default.removeItem(at: dir)
        super.tearDown()
    }
}

/// The tests name their files by String paths; the readers take the file system's bytes (`RawPath`).
extension FileParser {
    func parse(path: String) throws -> ParsedFile { try parse(path: RawPath(path)) }
    func parse(path: String, each: (ParsedChunk) throws -> Void) throws -> FileEnd { try parse(path: RawPath(path), each: each) }
}

extension CDRFileReader {
    convenience init(path: String) throws { try self.init(path: RawPath(path)) }
    static func expandedSize(path: String) -> Int64? { expandedSize(path: RawPath(path)) }
    static func sha256(path: String) throws -> (hex: String, size: Int64) { try sha256(path: RawPath(path)) }
}
