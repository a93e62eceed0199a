import Billing
import Foundation
import XCTest

/// Which files a run rates, in which order, and what it leaves alone (SPEC
/// section 6, the inbox).
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

    /// A Latin-1 name is rated like any other; it and a name with control
    /// characters are shown escaped everywhere, so neither can forge a line.
    func testNamesThatAreNotUTF8OrHoldControlCharactersAreRatedAndShownEscaped() throws {
        let db = try TestDatabase()
        try db.prepare()
        let dir = try scratchFolder(self)
        let inbox = dir.appendingPathComponent("inbox"), archive = dir.appendingPathComponent("archive")
        try FileManager.default.createDirectory(at: inbox, withIntermediateDirectories: true)
        let names: [[UInt8]] = [Array("caf".utf8) + [0xE9] + Array(".csv".utf8), Array("\u{1B}[31mred.csv".utf8),
                                Array("two\nFAKE: all is well.csv".utf8)]
        for (i, name) in names.enumerated() {
            try writeFile(named: name, in: inbox, CorrectOverTimeTests.line("name-\(i)", start: "2024-10-05 10:00:00", billsec: 60) + "\n")
        }
        let summary = dir.appendingPathComponent("run.json")
        let r = try CLI.expect(0, ["rate", "--archive-dir", archive.path, "--rejects-dir", dir.appendingPathComponent("rejects").path,
                                   "--summary-json", summary.path, inbox.path], db: db)
        XCTAssertTrue(r.stdout.contains("files: 3 (3 rated"), r.stdout)
        XCTAssertTrue(r.stderr.contains("/caf\\xe9.csv: lines 1 = stored 1"), r.stderr)
        XCTAssertTrue(r.stderr.contains("/\\x1b[31mred.csv: lines 1 = stored 1"), r.stderr)
        XCTAssertTrue(r.stderr.contains("/two\\x0aFAKE: all is well.csv: lines 1 = stored 1"), r.stderr)
        let shown = ["caf\\xe9.csv", "two\\x0aFAKE: all is well.csv", "\\x1b[31mred.csv"]
        XCTAssertEqual(try db.dump("SELECT file_name FROM cdr_files ORDER BY 1"), shown.sorted().joined(separator: "\n"))
        XCTAssertEqual(try db.dump("SELECT DISTINCT metadata->>'source' FROM cdrs ORDER BY 1"), shown.sorted().joined(separator: "\n"))
        // A ledger row written before names were escaped is shown escaped too.
        try db.connect().execute(script: "UPDATE cdr_files SET error = E'old \\033[2J\\nFAKE' WHERE file_name = 'caf\\xe9.csv'")
        let listing = try CLI.expect(0, ["files"], db: db)
        XCTAssertTrue(listing.stdout.contains("old \\x1b[2J\\x0aFAKE"), listing.stdout)
        let json = try String(contentsOf: summary, encoding: .utf8)
        for output in [r.stdout, r.stderr, listing.stdout, json] {
            XCTAssertFalse(output.contains("\u{1B}") || output.contains("\u{FFFD}"), output)
            XCTAssertFalse(output.split(separator: "\n").contains { $0.hasPrefix("FAKE") }, output)
        }
        for name in shown { XCTAssertTrue(listing.stdout.contains(name), listing.stdout) }
        XCTAssertTrue(json.contains("caf\\\\xe9.csv"), json)
        // The archive keeps each file's real name.
        XCTAssertEqual(try rawNames(in: archive), names.sorted { $0.lexicographicallyPrecedes($1) })
        XCTAssertEqual(try rawNames(in: inbox), [])
    }

    /// A name that is not UTF-8, named on the command line (not through its
    /// folder), is the file the shell passed: Swift repairs argv's bytes, and
    /// the run found no such file.
    func testANameThatIsNotUTF8NamedOnTheCommandLineIsRated() throws {
        let db = try TestDatabase()
        try db.prepare()
        let dir = try scratchFolder(self)
        let inbox = dir.appendingPathComponent("inbox")
        try FileManager.default.createDirectory(at: inbox, withIntermediateDirectories: true)
        for (name, uuid) in [(Array("caf".utf8) + [0xE9] + Array(".csv".utf8), "latin-1"), (Array("caf".utf8) + [0xE8] + Array(".csv".utf8), "other")] {
            try writeFile(named: name, in: inbox, CorrectOverTimeTests.line(uuid, start: "2024-10-05 10:00:00", billsec: 60) + "\n")
        }
        // Through a shell, which passes the bytes as they are (Process would pass UTF-8).
        let r = try CLI.run(["-c", #"exec "$0" rate --rejects-dir "$1/rejects" "$(printf '%s/caf\351.csv' "$1")""#,
                             CLI.binary.path, inbox.path], db: db, binary: URL(fileURLWithPath: "/bin/sh"))
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("/caf\\xe9.csv: lines 1 = stored 1"), r.stderr)
        XCTAssertEqual(try db.dump("SELECT uuid FROM cdrs"), "latin-1", "the file named, not its neighbour")
        // Both named: spelt alike once repaired, so which is which cannot be told: a usage error, not one file taken twice.
        let both = try CLI.run(["-c", #"exec "$0" rate --rejects-dir "$1/rejects" "$(printf '%s/caf\350.csv' "$1")" "$(printf '%s/caf\351.csv' "$1")""#,
                                CLI.binary.path, inbox.path], db: db, binary: URL(fileURLWithPath: "/bin/sh"))
        XCTAssertEqual(both.status, 2, both.stderr)
        XCTAssertTrue(both.stderr.contains("name the folder that holds them instead"), both.stderr)
        XCTAssertEqual(try db.dump("SELECT uuid FROM cdrs"), "latin-1")
    }

    /// A FIFO, a device, a socket, a dangling link and a link to a folder
    /// are named with a warning (also under --quiet) and never read; the
    /// regular file beside them is rated.
    func testOnlyRegularFilesAreReadTheRestIsNamedAndSkipped() throws {
        let db = try TestDatabase()
        try db.prepare()
        let dir = try scratchFolder(self)
        let inbox = dir.appendingPathComponent("inbox"), elsewhere = dir.appendingPathComponent("elsewhere")
        for folder in [inbox, elsewhere, inbox.appendingPathComponent("subfolder")] {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        }
        try (CorrectOverTimeTests.line("regular-1", start: "2024-10-05 10:00:00", billsec: 60) + "\n")
            .write(to: inbox.appendingPathComponent("good.csv"), atomically: true, encoding: .utf8)
        try (CorrectOverTimeTests.line("elsewhere-1", start: "2024-10-05 10:00:00", billsec: 60) + "\n")
            .write(to: elsewhere.appendingPathComponent("other.csv"), atomically: true, encoding: .utf8)
        let fifo = inbox.appendingPathComponent("fifo.csv"), named = dir.appendingPathComponent("named-fifo.csv")
        XCTAssertEqual(mkfifo(fifo.path, 0o644), 0)
        XCTAssertEqual(mkfifo(named.path, 0o644), 0)
        try FileManager.default.createSymbolicLink(atPath: inbox.appendingPathComponent("zero.csv").path, withDestinationPath: "/dev/null")
        try FileManager.default.createSymbolicLink(atPath: inbox.appendingPathComponent("dangling.csv").path, withDestinationPath: "../gone.csv")
        try FileManager.default.createSymbolicLink(atPath: inbox.appendingPathComponent("linked-folder").path, withDestinationPath: elsewhere.path)
        let socket = try listeningSocket(at: inbox.appendingPathComponent("socket.csv"))
        defer { close(socket) }
        // A rater that opened a FIFO for reading would wait for a writer for ever: one knocks, so that such a rater fails
        // this test instead of hanging it.
        let knocking = knock(on: [fifo, named])
        defer { knocking() }

        let summary = dir.appendingPathComponent("run.json")
        let r = try CLI.expect(0, ["rate", "--quiet", "--rejects-dir", dir.appendingPathComponent("rejects").path,
                                   "--summary-json", summary.path, inbox.path, named.path], db: db)
        for (name, says) in [("fifo.csv", "a FIFO (named pipe), not a regular file: skipped, never read"),
                             ("named-fifo.csv", "a FIFO (named pipe), not a regular file: skipped, never read"),
                             ("zero.csv", "a symbolic link to a character device, not a regular file: skipped, never read"),
                             ("socket.csv", "a socket, not a regular file: skipped, never read"),
                             ("dangling.csv", "a symbolic link to ../gone.csv that does not exist (dangling): skipped"),
                             ("linked-folder", "a symbolic link to a folder: folders inside a folder are not rated")] {
            XCTAssertTrue(r.stderr.contains("/\(name): \(says)"), "\(name)\n\(r.stderr)")
        }
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 6, "one warning each, nothing else under --quiet\n\(r.stderr)")
        XCTAssertEqual(try db.dump("SELECT file_name, status, stored FROM cdr_files"), "good.csv|rated|1")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: summary)) as! [String: Any]
        XCTAssertEqual((json["files_by_status"] as! [String: Int])["skipped"], 6)
        XCTAssertEqual((json["files_by_status"] as! [String: Int])["rated"], 1)
    }

    /// --archive-dir archives a link's data (its target, under the link's
    /// name) and removes the link; a target that was itself in the inbox is
    /// gone by its turn, which is no failure.
    func testTheArchiveGetsALinksDataAndTheLinkGoes() throws {
        let db = try TestDatabase()
        try db.prepare()
        let dir = try scratchFolder(self)
        let inbox = dir.appendingPathComponent("inbox"), data = dir.appendingPathComponent("switch"),
            archive = dir.appendingPathComponent("archive")
        for folder in [inbox, data] { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) }
        let outside = CorrectOverTimeTests.line("link-1", start: "2024-10-05 10:00:00", billsec: 60) + "\n"
        let inside = CorrectOverTimeTests.line("link-2", start: "2024-10-05 11:00:00", billsec: 60) + "\n"
        try outside.write(to: data.appendingPathComponent("Master.csv.1"), atomically: true, encoding: .utf8)
        try inside.write(to: inbox.appendingPathComponent("b-real.csv"), atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: inbox.appendingPathComponent("night.csv").path,
                                                   withDestinationPath: "../switch/Master.csv.1")
        try FileManager.default.createSymbolicLink(atPath: inbox.appendingPathComponent("a-link.csv").path, withDestinationPath: "b-real.csv")

        let r = try CLI.expect(0, ["rate", "--archive-dir", archive.path, "--rejects-dir", dir.appendingPathComponent("rejects").path,
                                   inbox.path], db: db)
        XCTAssertTrue(r.stderr.contains("b-real.csv: no longer there"), r.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: inbox.path), [], "the links went with their data")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: data.path), [], "the data was archived, not the link")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: archive.path).sorted(), ["a-link.csv", "night.csv"])
        for (name, text) in [("night.csv", outside), ("a-link.csv", inside)] {
            let archived = archive.appendingPathComponent(name).path
            XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: archived)[.type] as? FileAttributeType, .typeRegular, name)
            XCTAssertEqual(try String(contentsOfFile: archived, encoding: .utf8), text)
        }
        XCTAssertEqual(try db.dump("SELECT file_name, status FROM cdr_files ORDER BY 1"), "a-link.csv|rated\nnight.csv|rated")
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM cdrs"), "2")
    }

    /// A 0-byte file stays in the inbox and out of the ledger, however many
    /// there are; once written, it is rated.
    func testAnEmptyFileIsLeftForALaterRunAndNeverInTheLedger() throws {
        let db = try TestDatabase()
        try db.prepare()
        let dir = try scratchFolder(self)
        let inbox = dir.appendingPathComponent("inbox"), archive = dir.appendingPathComponent("archive")
        try FileManager.default.createDirectory(at: inbox, withIntermediateDirectories: true)
        let rate = ["rate", "--archive-dir", archive.path, "--rejects-dir", dir.appendingPathComponent("rejects").path, inbox.path]
        let tonight = inbox.appendingPathComponent("tonight.csv")
        XCTAssertTrue(FileManager.default.createFile(atPath: tonight.path, contents: Data()))
        try (CorrectOverTimeTests.line("empty-1", start: "2024-10-05 10:00:00", billsec: 60) + "\n")
            .write(to: inbox.appendingPathComponent("yesterday.csv"), atomically: true, encoding: .utf8)
        let first = try CLI.expect(0, rate, db: db)
        XCTAssertTrue(first.stderr.contains("tonight.csv: empty (0 bytes), left for a later run"), first.stderr)
        XCTAssertTrue(first.stdout.contains("files: 2 (1 rated, 0 partial, 0 already rated, 0 failed, 1 empty, left for a later run)"), first.stdout)
        XCTAssertEqual(try db.dump("SELECT file_name FROM cdr_files"), "yesterday.csv")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: inbox.path), ["tonight.csv"])

        // The next night another switch has made its empty file too: neither is "already rated", neither is archived.
        XCTAssertTrue(FileManager.default.createFile(atPath: inbox.appendingPathComponent("other.csv").path, contents: Data()))
        let second = try CLI.expect(0, rate, db: db)
        XCTAssertFalse(second.stderr.contains("already rated"), second.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: inbox.path).sorted(), ["other.csv", "tonight.csv"])
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM cdr_files"), "1")

        // Once the switch wrote it, it is rated and archived.
        try (CorrectOverTimeTests.line("empty-2", start: "2024-10-05 11:00:00", billsec: 60) + "\n").write(to: tonight, atomically: false, encoding: .utf8)
        try CLI.expect(0, rate, db: db)
        XCTAssertEqual(try db.dump("SELECT file_name, stored FROM cdr_files ORDER BY 1"), "tonight.csv|1\nyesterday.csv|1")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: inbox.path), ["other.csv"])
    }

    /// A file most of whose lines are rejected fails as "mostly not CDRs":
    /// nothing of it stored, exit 1, the warning even under --quiet, its
    /// rejects kept. A file under 100 lines is judged by "not a CDR file" alone.
    func testAFileOfMostlyRejectedLinesFailsEvenUnderQuiet() throws {
        let db = try TestDatabase()
        try db.prepare()
        let dir = try scratchFolder(self)
        let rejects = dir.appendingPathComponent("rejects")
        func cdrs(_ n: Int, _ prefix: String) -> [String] {
            (0 ..< n).map { CorrectOverTimeTests.line("\(prefix)-\($0)", start: "2024-10-05 10:00:00", billsec: 60) }
        }
        let export = dir.appendingPathComponent("export.csv")
        try ((cdrs(40, "share") + (0 ..< 60).map { "Customer \($0),report,page 1" }).joined(separator: "\n") + "\n")
            .write(to: export, atomically: true, encoding: .utf8)
        let r = try CLI.expect(1, ["rate", "--quiet", "--rejects-dir", rejects.path, export.path], db: db)
        XCTAssertEqual(r.stdout, "")
        XCTAssertTrue(r.stderr.contains("export.csv: FAILED: mostly not CDRs: 60 of its 100 lines (60.0%) were rejected, "
            + "more than --max-reject-share 50%; they are in \(rejects.path)/export.csv."), r.stderr)
        XCTAssertTrue(r.stderr.contains("nothing from this file was stored"), r.stderr)
        XCTAssertEqual(try db.dump("SELECT (SELECT count(*) FROM cdrs), (SELECT count(*) FROM subscription_usage)"), "0|0")
        let kept = try XCTUnwrap(try db.scalar("SELECT rejects_path FROM cdr_files WHERE status = 'failed'"))
        XCTAssertEqual(try String(contentsOfFile: kept, encoding: .utf8).split(separator: "\n").count, 61, "header + 60 rejected lines")

        // The operator finds it is CDRs after all.
        try CLI.expect(0, ["rate", "--max-reject-share", "60", "--rejects-dir", rejects.path, export.path], db: db)
        XCTAssertEqual(try db.dump("SELECT status, stored, rejected FROM cdr_files"), "rated|40|60")

        // 99 lines, 98 of them rejected: a small damaged file, rated.
        let small = dir.appendingPathComponent("small.csv")
        try ((cdrs(1, "small") + (0 ..< 98).map { "garbage \($0)" }).joined(separator: "\n") + "\n").write(to: small, atomically: true, encoding: .utf8)
        try CLI.expect(0, ["rate", "--quiet", "--rejects-dir", rejects.path, small.path], db: db)
        XCTAssertEqual(try db.scalar("SELECT status FROM cdr_files WHERE file_name = 'small.csv'"), "rated")

        let bad = try CLI.expect(2, ["rate", "--max-reject-share", "101", small.path], db: db)
        XCTAssertTrue(bad.stderr.contains("--max-reject-share must be a percentage from 0 to 100"), bad.stderr)
    }

    /// The issue's file: a small gzip of junk that expands to 12 MB. It
    /// fails as mostly not CDRs, and its rejects file stops at 10 MiB with a
    /// last line that says how many were left out.
    func testARejectsFileIsBounded() throws {
        let db = try TestDatabase()
        try db.prepare()
        let dir = try scratchFolder(self)
        let rejects = dir.appendingPathComponent("rejects")
        let junk = String(repeating: "\u{1}\u{2}\u{3}garbage", count: 100)
        let file = dir.appendingPathComponent("switch.csv.gz")
        let text = CorrectOverTimeTests.line("bomb-1", start: "2024-10-05 10:00:00", billsec: 60) + "\n"
            + String(repeating: junk + "\n", count: 12_000)
        try gzip(text).write(to: file)
        XCTAssertLessThan(try FileManager.default.attributesOfItem(atPath: file.path)[.size] as! Int, 100_000)

        let r = try CLI.expect(1, ["rate", "--quiet", "--rejects-dir", rejects.path, file.path], db: db)
        XCTAssertTrue(r.stderr.contains("switch.csv.gz: FAILED: mostly not CDRs: 12000 of its 12001 lines (99.9%) were rejected"), r.stderr)
        let kept = try XCTUnwrap(try db.scalar("SELECT rejects_path FROM cdr_files"))
        let size = try FileManager.default.attributesOfItem(atPath: kept)[.size] as! Int
        XCTAssertLessThanOrEqual(size, 10 << 20 + 200, "10 MiB and its last line")
        let lines = try String(contentsOfFile: kept, encoding: .utf8).split(separator: "\n")
        let last = String(lines.last ?? "")
        XCTAssertTrue(last.hasPrefix(",\"") && last.contains(" more rejected line(s) left out: a rejects file stops at 10 MiB"), last)
        let leftOut = Int(last.dropFirst(2).prefix { $0.isNumber })
        XCTAssertEqual((lines.count - 2) + (leftOut ?? 0), 12_000, "header, written, last line: every rejected line is counted")
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM cdrs"), "0")
    }

    /// A file in two passes whose call log would not fit in TMPDIR (a real
    /// 1 MiB tmpfs) fails before anything is read, naming TMPDIR and the sizes.
    func testTooLittleTemporaryRoomFailsTheFileBeforeItIsRead() throws {
        let db = try TestDatabase()
        try db.prepare()
        let dir = try scratchFolder(self)
        let tmp = try smallFileSystem(self, size: "1m")
        let file = dir.appendingPathComponent("big.csv")
        try syntheticFreeSWITCH(lines: 10_000, prefix: "tmp").write(to: file, atomically: true, encoding: .utf8)
        let rate = ["rate", "--rejects-dir", dir.appendingPathComponent("rejects").path, file.path]
        let r = try CLI.expect(1, rate, db: db, environment: ["TMPDIR": tmp.path])
        XCTAssertTrue(r.stderr.contains("big.csv: FAILED: not enough room in the temporary folder \(tmp.path) (TMPDIR) for this file's call log: "
            + "it needs about 2.3 MB (its lines are 1.9 MB decompressed) and 1.0 MB is free; nothing of it was read. "
            + "Free room there or point TMPDIR at a larger disk"), r.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: tmp.path), [], "nothing was written to TMPDIR")
        XCTAssertEqual(try db.dump("SELECT status, (SELECT count(*) FROM cdrs) FROM cdr_files"), "failed|0")
        try CLI.expect(0, rate, db: db)
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM cdrs"), "10000")
    }

    /// An archive on another file system gets a copy (rename(2) cannot), and the inbox's file goes.
    func testAnArchiveOnAnotherFileSystemGetsTheFile() throws {
        let db = try TestDatabase()
        try db.prepare()
        let dir = try scratchFolder(self)
        let archive = try smallFileSystem(self, size: "4m").appendingPathComponent("archive")
        let inbox = dir.appendingPathComponent("inbox")
        try FileManager.default.createDirectory(at: inbox, withIntermediateDirectories: true)
        let text = CorrectOverTimeTests.line("moved-1", start: "2024-10-05 10:00:00", billsec: 60) + "\n"
        try text.write(to: inbox.appendingPathComponent("night.csv"), atomically: true, encoding: .utf8)
        try CLI.expect(0, ["rate", "--archive-dir", archive.path, "--rejects-dir", dir.appendingPathComponent("rejects").path, inbox.path], db: db)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: inbox.path), [])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: archive.path), ["night.csv"], "no partial copy left")
        XCTAssertEqual(try String(contentsOf: archive.appendingPathComponent("night.csv"), encoding: .utf8), text)
    }
}

/// A tmpfs of `size` (mount's size=, e.g. "1m") at a new folder, unmounted
/// when the test ends; skips the test where mounting is not allowed (not root).
func smallFileSystem(_ test: XCTestCase, size: String) throws -> URL {
    let folder = try scratchFolder(test).appendingPathComponent("small")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    func run(_ args: [String]) throws -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = args
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        return p.terminationStatus
    }
    guard try run(["mount", "-t", "tmpfs", "-o", "size=\(size),mode=0755", "tmpfs", folder.path]) == 0 else {
        throw XCTSkip("cannot mount a small tmpfs here (it takes root)")
    }
    test.addTeardownBlock { _ = try? run(["umount", folder.path]) }
    return folder
}

/// Writes a file whose name is `name`'s bytes (which need not be UTF-8).
func writeFile(named name: [UInt8], in folder: URL, _ text: String) throws {
    let path = Array(folder.path.utf8) + [UInt8(ascii: "/")] + name + [0]
    let fd = path.withUnsafeBufferPointer { p in p.withMemoryRebound(to: CChar.self) { open($0.baseAddress!, O_WRONLY | O_CREAT | O_EXCL, 0o644) } }
    guard fd >= 0 else { throw CocoaError(.fileWriteUnknown) }
    defer { close(fd) }
    let bytes = Array(text.utf8)
    XCTAssertEqual(write(fd, bytes, bytes.count), bytes.count)
}

/// The names in a folder as the file system has them (FileManager may mangle names that are not UTF-8).
func rawNames(in folder: URL) throws -> [[UInt8]] {
    guard let dir = opendir(folder.path) else { throw CocoaError(.fileReadNoSuchFile) }
    defer { closedir(dir) }
    var names: [[UInt8]] = []
    while let entry = readdir(dir) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { Array($0.prefix { $0 != 0 }) }
        if name != Array(".".utf8) && name != Array("..".utf8) { names.append(name) }
    }
    return names.sorted { $0.lexicographicallyPrecedes($1) }
}

/// A Unix socket listening at `url`; its descriptor.
func listeningSocket(at url: URL) throws -> Int32 {
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    let path = Array(url.path.utf8)
    withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: path.prefix($0.count - 1)) }
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
    }
    guard fd >= 0, bound == 0, listen(fd, 1) == 0 else { throw CocoaError(.fileWriteUnknown) }
    return fd
}

/// Opens and closes each FIFO for writing, without waiting, every
/// millisecond until stopped: a reader blocked in open(2) gets in and reads
/// an end of file at once. Returns the stop, which waits for the knocking to end.
func knock(on fifos: [URL]) -> () -> Void {
    let stop = DispatchSemaphore(value: 0), done = DispatchGroup()
    DispatchQueue.global().async(group: done) {
        while stop.wait(timeout: .now() + .milliseconds(1)) == .timedOut {
            for fifo in fifos {
                let fd = open(fifo.path, O_WRONLY | O_NONBLOCK)
                if fd >= 0 { close(fd) }
            }
        }
    }
    return {
        stop.signal()
        done.wait()
    }
}
