import Foundation
import XCTest
@testable import CDRIngest

final class CDRFileReaderTests: ScratchFolderTestCase {
    private func file(_ name: String, _ bytes: [UInt8]) -> String {
        TS.write(bytes, to: dir.appendingPathComponent(name))
    }

    private func file(_ name: String, _ text: String) -> String { file(name, Array(text.utf8)) }

    struct Lines {
        var numbers: [Int] = []
        var lines: [[UInt8]] = []
        var oversized: [Int: Int] = [:]   // line number -> real length
        var chunkSizes: [Int] = []
        var firstNumbers: [Int] = []
        var strings: [String] { lines.map { String(decoding: $0, as: UTF8.self) } }
    }

    private func readAll(_ path: String, maxLines: Int = 1000) throws -> (Lines, CDRFileReader) {
        let reader = try CDRFileReader(path: path)
        var out = Lines()
        while let chunk = try reader.nextChunk(maxLines: maxLines) {
            XCTAssertLessThanOrEqual(chunk.count, maxLines)
            XCTAssertGreaterThan(chunk.count, 0)
            out.chunkSizes.append(chunk.count)
            out.firstNumbers.append(chunk.firstLineNumber)
            for i in 0 ..< chunk.count {
                out.numbers.append(chunk.firstLineNumber + i)
                out.lines.append(Array(chunk.line(i)))
                if let n = chunk.oversized[i] { out.oversized[chunk.firstLineNumber + i] = n }
            }
        }
        XCTAssertNil(try reader.nextChunk(maxLines: maxLines), "stays at the end")
        return (out, reader)
    }

    /// Distinct, realistic-looking lines.
    private func sampleLines(_ n: Int) -> [String] {
        (1 ... n).map { i in
            CDRText.freeswitch(caller: String(9_800_000_000 + i * 7919 % 100_000), start: "2024-10-05 10:00:00",
                               duration: String(130 + i % 17), billsec: String(125 + i % 5),
                               uuid: "uuid-\(i)-\(i * 2_654_435_761 % 1_000_003)")
        }
    }

    // MARK: size once decompressed

    func testExpandedSizeIsTheFileOrWhatGzipRecords() throws {
        let text = Array(String(repeating: "a line of a CDR file\n", count: 1000).utf8) // 21,000 bytes
        XCTAssertEqual(CDRFileReader.expandedSize(path: file("plain.csv", text)), 21_000)
        XCTAssertEqual(CDRFileReader.expandedSize(path: file("one.csv.gz", try TS.gzip(text))), 21_000)
        // Two members: gzip records the last one's size only (an estimate, as documented).
        let two = try TS.gzip(text) + TS.gzip(Array("x\n".utf8))
        XCTAssertEqual(CDRFileReader.expandedSize(path: file("two.csv.gz", two)), 2)
        XCTAssertNil(CDRFileReader.expandedSize(path: "/nonexistent/file.csv"))
    }

    // MARK: plain text

    func testPlainLF() throws {
        let (r, reader) = try readAll(file("a.csv", "one\ntwo\nthree\n"))
        XCTAssertFalse(reader.isGzip)
        XCTAssertNil(reader.streamError)
        XCTAssertEqual(r.strings, ["one", "two", "three"])
        XCTAssertEqual(r.numbers, [1, 2, 3])
    }

    func testCRLF() throws {
        let (r, _) = try readAll(file("a.csv", "one\r\ntwo\r\nthree\r\n"))
        XCTAssertEqual(r.strings, ["one", "two", "three"])
    }

    func testUTF8BOMIsDropped() throws {
        let (r, _) = try readAll(file("a.csv", [0xEF, 0xBB, 0xBF] + Array("one,x\ntwo\n".utf8)))
        XCTAssertEqual(r.strings, ["one,x", "two"])
        XCTAssertEqual(r.lines[0].first, UInt8(ascii: "o"))
    }

    func testBOMWithCRLF() throws {
        let (r, _) = try readAll(file("a.csv", [0xEF, 0xBB, 0xBF] + Array("one\r\ntwo\r\n".utf8)))
        XCTAssertEqual(r.strings, ["one", "two"])
    }

    func testNoTrailingNewline() throws {
        let (r, _) = try readAll(file("a.csv", "one\ntwo"))
        XCTAssertEqual(r.strings, ["one", "two"])
        XCTAssertEqual(r.numbers, [1, 2])
        let (crlf, _) = try readAll(file("b.csv", "one\r\ntwo\r"))
        XCTAssertEqual(crlf.strings, ["one", "two"])
    }

    func testEmptyLinesAreLines() throws {
        let (r, _) = try readAll(file("a.csv", "one\n\ntwo\n\r\nthree\n"))
        XCTAssertEqual(r.strings, ["one", "", "two", "", "three"])
        XCTAssertEqual(r.numbers, [1, 2, 3, 4, 5])
    }

    func testEmptyFile() throws {
        let (r, reader) = try readAll(file("empty.csv", ""))
        XCTAssertTrue(r.lines.isEmpty)
        XCTAssertFalse(reader.isGzip)
        XCTAssertNil(reader.streamError)
    }

    func testMissingFileThrows() {
        XCTAssertThrowsError(try CDRFileReader(path: dir.appendingPathComponent("nope.csv").path))
    }

    /// A FIFO with no writer opens at once (non-blocking) and is refused as
    /// not a regular file, by the reader and by the hash alike; so is a device.
    func testAFIFOOrADeviceIsRefusedNeverWaitedOn() throws {
        let fifo = dir.appendingPathComponent("swapped-in.csv")
        XCTAssertEqual(mkfifo(fifo.path, 0o644), 0)
        // A reader that waited in open(2) for a writer gets one (and an end of file): it fails here instead of hanging.
        let writer = DispatchSemaphore(value: 0), knocked = DispatchGroup()
        DispatchQueue.global().async(group: knocked) {
            while writer.wait(timeout: .now() + .milliseconds(1)) == .timedOut {
                let fd = open(fifo.path, O_WRONLY | O_NONBLOCK)
                if fd >= 0 { close(fd) }
            }
        }
        defer { writer.signal(); knocked.wait() }
        for attempt in [{ _ = try CDRFileReader(path: fifo.path) }, { _ = try CDRFileReader.sha256(path: fifo.path) }] {
            XCTAssertThrowsError(try attempt()) { error in
                XCTAssertEqual((error as? NotARegularFile)?.kind, "a FIFO (named pipe)", "\(error)")
            }
        }
        XCTAssertThrowsError(try CDRFileReader(path: "/dev/zero")) { XCTAssertEqual(($0 as? NotARegularFile)?.kind, "a character device") }
        XCTAssertNil(CDRFileReader.expandedSize(path: fifo.path))
    }

    func testLargePlainFileSpanningBuffers() throws {
        let lines = sampleLines(6000)   // ~1.3 MB, several 256 KiB reads
        let (r, _) = try readAll(file("big.csv", lines.joined(separator: "\n") + "\n"), maxLines: 777)
        XCTAssertEqual(r.strings, lines)
        XCTAssertEqual(r.numbers, Array(1 ... 6000))
    }

    // MARK: chunks and line numbers

    func testLineNumbersAcrossChunksWithSmallMaxLines() throws {
        let text = (1 ... 10).map { "line\($0)" }.joined(separator: "\n") + "\n"
        let (r, _) = try readAll(file("a.csv", text), maxLines: 3)
        XCTAssertEqual(r.chunkSizes, [3, 3, 3, 1])
        XCTAssertEqual(r.firstNumbers, [1, 4, 7, 10])
        XCTAssertEqual(r.numbers, Array(1 ... 10))
        XCTAssertEqual(r.strings, (1 ... 10).map { "line\($0)" })
        let (one, _) = try readAll(file("b.csv", text), maxLines: 1)
        XCTAssertEqual(one.firstNumbers, Array(1 ... 10))
        XCTAssertEqual(one.strings, r.strings)
    }

    func testExactMultipleOfMaxLines() throws {
        let (r, _) = try readAll(file("a.csv", "a\nb\nc\nd\n"), maxLines: 2)
        XCTAssertEqual(r.chunkSizes, [2, 2])
        XCTAssertEqual(r.firstNumbers, [1, 3])
    }

    // MARK: oversized lines

    func testOversizedLineReportedAndLaterLinesCorrect() throws {
        let max = CDRFileReader.maxLineLength
        let long = [UInt8](repeating: UInt8(ascii: "x"), count: max + 10)
        let exact = [UInt8](repeating: UInt8(ascii: "y"), count: max)
        let bytes = Array("first\n".utf8) + long + Array("\n".utf8) + exact + Array("\nafter,1\nafter,2\n".utf8)
        let (r, _) = try readAll(file("a.csv", bytes), maxLines: 2)
        XCTAssertEqual(r.numbers, [1, 2, 3, 4, 5])
        XCTAssertEqual(r.oversized, [2: max + 10], "only line 2 is over the limit; a line of exactly the limit is fine")
        XCTAssertLessThanOrEqual(r.lines[1].count, max)
        XCTAssertEqual(r.lines[2], exact)
        XCTAssertEqual(r.strings[0], "first")
        XCTAssertEqual(r.strings[3], "after,1")
        XCTAssertEqual(r.strings[4], "after,2")
    }

    func testLineOfExactlyMaxLengthSameWithCRLFAsWithLF() throws {
        // The limit is on the line, line ending removed: CRLF and LF files read the same.
        let max = CDRFileReader.maxLineLength
        let exact = [UInt8](repeating: UInt8(ascii: "y"), count: max)
        let (lf, _) = try readAll(file("lf.csv", exact + Array("\nnext\n".utf8)))
        let (crlf, _) = try readAll(file("crlf.csv", exact + Array("\r\nnext\r\n".utf8)))
        XCTAssertEqual(lf.oversized, [:])
        XCTAssertEqual(crlf.oversized, [:])
        XCTAssertEqual(crlf.lines, lf.lines)
    }

    func testOversizedLastLineWithoutNewline() throws {
        let max = CDRFileReader.maxLineLength
        let bytes = Array("a\n".utf8) + [UInt8](repeating: 0x41, count: max * 3 + 1)
        let (r, _) = try readAll(file("a.csv", bytes))
        XCTAssertEqual(r.numbers, [1, 2])
        XCTAssertEqual(r.oversized, [2: max * 3 + 1])
    }

    // MARK: gzip

    func testGzip() throws {
        let gz = try TS.gzip(Array("one\ntwo\r\nthree\n".utf8))
        let (r, reader) = try readAll(file("a.csv.gz", gz))
        XCTAssertTrue(reader.isGzip)
        XCTAssertNil(reader.streamError)
        XCTAssertEqual(r.strings, ["one", "two", "three"])
    }

    func testGzipToldApartByBytesNotName() throws {
        let gz = try TS.gzip(Array("one\ntwo\n".utf8))
        let (r, reader) = try readAll(file("misnamed.csv", gz))
        XCTAssertTrue(reader.isGzip)
        XCTAssertEqual(r.strings, ["one", "two"])
        let (p, plain) = try readAll(file("misnamed.gz", "one\ntwo\n"))
        XCTAssertFalse(plain.isGzip)
        XCTAssertEqual(p.strings, ["one", "two"])
    }

    func testGzipWithBOMAndNoTrailingNewline() throws {
        let gz = try TS.gzip([0xEF, 0xBB, 0xBF] + Array("one\ntwo".utf8))
        let (r, _) = try readAll(file("a.gz", gz))
        XCTAssertEqual(r.strings, ["one", "two"])
    }

    func testTwoGzipMembersConcatenated() throws {
        let a = try TS.gzip(Array("one\ntwo\n".utf8))
        let b = try TS.gzip(Array("three\nfour\n".utf8))
        let (r, reader) = try readAll(file("ab.gz", a + b), maxLines: 3)
        XCTAssertTrue(reader.isGzip)
        XCTAssertNil(reader.streamError)
        XCTAssertEqual(r.strings, ["one", "two", "three", "four"])
        XCTAssertEqual(r.numbers, [1, 2, 3, 4])
    }

    func testGzipMembersSplittingALine() throws {
        // `cat a.gz b.gz` where the first member ends mid-line
        let a = try TS.gzip(Array("one\ntw".utf8))
        let b = try TS.gzip(Array("o\nthree\n".utf8))
        let (r, reader) = try readAll(file("ab.gz", a + b))
        XCTAssertNil(reader.streamError)
        XCTAssertEqual(r.strings, ["one", "two", "three"])
    }

    func testLargeGzipManyMembers() throws {
        let lines = sampleLines(9000)
        var bytes: [UInt8] = []
        for part in stride(from: 0, to: lines.count, by: 3000) {
            bytes += try TS.gzip(Array((lines[part ..< part + 3000].joined(separator: "\n") + "\n").utf8))
        }
        let (r, reader) = try readAll(file("big.gz", bytes), maxLines: 1000)
        XCTAssertNil(reader.streamError)
        XCTAssertEqual(r.lines.count, 9000)
        XCTAssertEqual(r.strings, lines)
    }

    func testTruncatedGzipReportsErrorAndReturnsOnlyWholeLines() throws {
        let lines = sampleLines(3000)
        let gz = try TS.gzip(Array((lines.joined(separator: "\n") + "\n").utf8))
        let cut = Array(gz.prefix(gz.count / 2))
        let (r, reader) = try readAll(file("cut.gz", cut), maxLines: 100)
        XCTAssertTrue(reader.isGzip)
        XCTAssertNotNil(reader.streamError)
        XCTAssertGreaterThan(r.lines.count, 0)
        XCTAssertLessThan(r.lines.count, lines.count)
        // Every line handed out is a whole line of the file, in order.
        XCTAssertEqual(r.numbers, Array(1 ... r.lines.count))
        for (i, line) in r.strings.enumerated() where line != lines[i] {
            XCTFail("line \(i + 1) is not a whole line of the file: \(line.count) of \(lines[i].count) bytes")
        }
    }

    func testTruncatedSecondMember() throws {
        let a = try TS.gzip(Array("one\ntwo\n".utf8))
        let b = try TS.gzip(Array(sampleLines(2000).joined(separator: "\n").utf8))
        let (r, reader) = try readAll(file("ab.gz", a + b.prefix(b.count - 20)))
        XCTAssertNotNil(reader.streamError)
        XCTAssertEqual(Array(r.strings.prefix(2)), ["one", "two"])
    }

    func testCorruptGzipReportsError() throws {
        var gz = try TS.gzip(Array(sampleLines(2000).joined(separator: "\n").utf8))
        for i in stride(from: gz.count / 2, to: gz.count / 2 + 64, by: 1) { gz[i] ^= 0x5A }
        let (_, reader) = try readAll(file("bad.gz", gz))
        XCTAssertNotNil(reader.streamError)
    }

    func testGzipOfEmptyText() throws {
        let gz = try TS.gzip([])
        let (r, reader) = try readAll(file("empty.gz", gz))
        XCTAssertTrue(reader.isGzip)
        XCTAssertNil(reader.streamError)
        XCTAssertTrue(r.lines.isEmpty)
    }

    // MARK: sha256

    func testSha256OfFileBytes() throws {
        let path = file("abc.txt", "abc")
        let (hex, size) = try CDRFileReader.sha256(path: path)
        XCTAssertEqual(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(size, 3)
    }
}
