import CISAL
import Foundation
import RatingRules

/// A run of consecutive lines of one file, stored back to back in one buffer.
public struct LineChunk: Sendable {
    /// 1-based number of the first line.
    public let firstLineNumber: Int
    public let bytes: [UInt8]
    /// Line i is `bytes[starts[i] ..< starts[i + 1]]`, line endings removed.
    public let starts: [Int]
    /// Lines cut short because they were over the length limit: index -> real length.
    public let oversized: [Int: Int]
    /// Bytes of the file (compressed, when it is gzip) read once this chunk was cut.
    public var bytesRead: Int64 = 0

    public var count: Int { starts.count - 1 }
    public func line(_ i: Int) -> ArraySlice<UInt8> { bytes[starts[i] ..< starts[i + 1]] }
}

/// Why a file could not be read to its end.
public struct FileReadError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

/// The path names something other than a regular file (a FIFO, a device,
/// a socket, a folder): it is never read, so it can never block the run.
public struct NotARegularFile: Error, CustomStringConvertible {
    public let path: RawPath
    /// What it is, e.g. "a FIFO (named pipe)".
    public let kind: String
    public var description: String { "\(path): \(kind), not a regular file: skipped, never read" }

    /// What a file of mode `mode` (stat's st_mode) is, for the operator.
    public static func kind(of mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFIFO: return "a FIFO (named pipe)"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        case S_IFSOCK: return "a socket"
        case S_IFDIR: return "a folder"
        case S_IFLNK: return "a symbolic link"
        default: return "not a file"
        }
    }
}

/// Opens `path` for reading without ever waiting: non-blocking (a FIFO
/// opens at once instead of waiting for a writer), then the opened
/// descriptor itself must be a regular file, so that nothing swapped in
/// between a listing and the open can block the run. Returns a handle that
/// closes the descriptor when released.
public func openRegularFile(_ path: RawPath) throws -> FileHandle {
    let fd = path.withCString { open($0, O_RDONLY | O_NONBLOCK | O_CLOEXEC) }
    guard fd >= 0 else {
        throw FileReadError(message: "\(path): cannot open the file for reading: \(String(cString: strerror(errno)))")
    }
    var info = stat()
    guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
        let mode = info.st_mode
        close(fd)
        throw NotARegularFile(path: path, kind: NotARegularFile.kind(of: mode))
    }
    _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
    return FileHandle(fileDescriptor: fd, closeOnDealloc: true)
}

/// Reads a CDR file as a stream of lines, gzip (one or several members) or
/// plain text, told apart by the first bytes. Memory stays at a few fixed
/// buffers whatever the file's size.
///
/// Not thread-safe, and not Sendable: one thread at a time. `FileParser`
/// opens it on the caller's thread (so that a file that cannot be opened
/// fails at once) and sends it to its reader thread (`ProducerThread`),
/// which alone uses it from then on; the compiler checks the hand-over.
public final class CDRFileReader {
    public static let maxLineLength = 64 * 1024
    public let path: RawPath
    public private(set) var isGzip = false
    /// Set when the stream ended early (a truncated or corrupt gzip file):
    /// the lines returned before it are whole lines of the file.
    public private(set) var streamError: FileReadError?

    private let handle: FileHandle
    /// Bytes of the file read so far (compressed, when it is gzip): for progress.
    public private(set) var bytesRead: Int64 = 0
    private let rawDigest = SHA256Digest()
    /// SHA-256 of the file's bytes as read, once the whole file was read.
    public private(set) var sha256: String?
    /// ISA-L's inflate state (igzip: about twice zlib's speed, streaming as zlib does); nil for plain text.
    private var gunzip: UnsafeMutableRawPointer?
    private var rawBuffer = [UInt8]()
    private var rawStart = 0, rawEnd = 0
    private var rawEOF = false
    private var textBuffer = [UInt8](repeating: 0, count: 256 * 1024)
    private var pending = [UInt8]()    // bytes of a line not yet complete
    private var pendingDropped = 0     // bytes of an oversized line not kept
    private var nextLineNumber = 1
    private var sawBOMCheck = false
    private var finished = false

    public init(path: RawPath) throws {
        self.path = path
        handle = try openRegularFile(path)
        rawBuffer = [UInt8](repeating: 0, count: 256 * 1024)
        try fillRaw()
        if rawEnd - rawStart >= 2, rawBuffer[rawStart] == 0x1f, rawBuffer[rawStart + 1] == 0x8b {
            isGzip = true
            guard let state = cdr_gunzip_new() else { throw FileReadError(message: "\(path): gzip decompression could not start") }
            gunzip = state
        }
    }

    deinit {
        if let gunzip { cdr_gunzip_free(gunzip) }
        try? handle.close()
    }

    /// What zlib says of the same damage (the message this reader gave with zlib), by ISA-L's code.
    static func corruption(_ code: Int32) -> String {
        switch code {
        case ISAL_INVALID_BLOCK: return "invalid block type"
        case ISAL_INVALID_SYMBOL: return "invalid code"
        case ISAL_INVALID_LOOKBACK: return "invalid distance too far back"
        case ISAL_INVALID_WRAPPER: return "incorrect header check"
        case ISAL_UNSUPPORTED_METHOD: return "unknown compression method"
        case ISAL_INCORRECT_CHECKSUM: return "incorrect data check"
        default: return "code \(code)"
        }
    }

    private func fillRaw() throws {
        if rawStart < rawEnd { return }
        let data = handle.readData(ofLength: rawBuffer.count)
        bytesRead += Int64(data.count)
        rawStart = 0
        rawEnd = data.count
        if data.isEmpty {
            if !rawEOF { sha256 = rawDigest.finalizeHex() }
            rawEOF = true
            return
        }
        data.withUnsafeBytes { rawDigest.update($0) }
        data.withUnsafeBytes { src in
            rawBuffer.withUnsafeMutableBytes { dst in dst.copyMemory(from: src) }
        }
    }

    /// Decompresses (or copies) the next piece of text; returns its length, 0 at the end.
    private func nextText() throws -> Int {
        while true {
            try fillRaw()
            if !isGzip {
                if rawEOF { return 0 }
                let n = rawEnd - rawStart
                textBuffer.withUnsafeMutableBytes { dst in
                    rawBuffer.withUnsafeBytes { src in
                        dst.copyMemory(from: UnsafeRawBufferPointer(rebasing: src[rawStart ..< rawEnd]))
                    }
                }
                rawStart = rawEnd
                return n
            }
            if rawEOF && betweenMembers { return 0 }
            // Skip zero padding between members, as gzip -d does.
            if betweenMembers {
                while rawStart < rawEnd && rawBuffer[rawStart] == 0 { rawStart += 1 }
                if rawStart == rawEnd { continue }
                betweenMembers = false
                // Not a member's magic bytes: zlib says so at once, where ISA-L would wait for a whole header (and at
                // the end of the file call short trailing junk truncated).
                if rawBuffer[rawStart] != 0x1f || (rawStart + 1 < rawEnd && rawBuffer[rawStart + 1] != 0x8b) {
                    streamError = FileReadError(message: "gzip data is corrupt (\(CDRFileReader.corruption(ISAL_INVALID_WRAPPER)))")
                    rawEOF = true
                    rawStart = rawEnd
                    return 0
                }
            }
            // At the end of the file too (no input): output the inflater holds back is still given out.
            var consumed: UInt32 = 0, produced: UInt32 = 0, memberEnd: Int32 = 0
            let rc: Int32 = rawBuffer.withUnsafeMutableBufferPointer { raw in
                textBuffer.withUnsafeMutableBufferPointer { text in
                    cdr_gunzip(gunzip, raw.baseAddress! + rawStart, UInt32(rawEnd - rawStart), text.baseAddress!, UInt32(text.count),
                               &consumed, &produced, &memberEnd)
                }
            }
            rawStart += Int(consumed)
            if rc < 0 {
                streamError = FileReadError(message: "gzip data is corrupt (\(CDRFileReader.corruption(rc)))")
                rawEOF = true
                rawStart = rawEnd
            } else if memberEnd != 0 {
                cdr_gunzip_reset(gunzip)
                betweenMembers = true
            }
            if produced > 0 { return Int(produced) }
            if streamError != nil { return 0 }
            if rawEOF && !betweenMembers {
                streamError = FileReadError(message: "gzip stream is truncated (the file ends in the middle of compressed data)")
                return 0
            }
        }
    }
    private var betweenMembers = false

    /// The next chunk of at most `maxLines` lines, or nil at the end of the file.
    public func nextChunk(maxLines: Int) throws -> LineChunk? {
        if finished { return nil }
        var bytes = [UInt8]()
        bytes.reserveCapacity(maxLines * lineBytes)
        var starts = [0]
        starts.reserveCapacity(maxLines + 1)
        var oversized: [Int: Int] = [:]
        let first = nextLineNumber

        func endLine() {
            if pendingDropped == 0, pending.last == UInt8(ascii: "\r") { pending.removeLast() }
            if pending.count > CDRFileReader.maxLineLength {
                pendingDropped += pending.count - CDRFileReader.maxLineLength
                pending.removeLast(pending.count - CDRFileReader.maxLineLength)
            }
            if !sawBOMCheck {
                sawBOMCheck = true
                if pending.starts(with: [0xEF, 0xBB, 0xBF]) { pending.removeFirst(3) }
            }
            if pendingDropped > 0 { oversized[starts.count - 1] = pending.count + pendingDropped }
            bytes.append(contentsOf: pending)
            starts.append(bytes.count)
            pending.removeAll(keepingCapacity: true)
            pendingDropped = 0
            nextLineNumber += 1
        }

        while starts.count - 1 < maxLines {
            if textStart >= textEnd {
                textEnd = try nextText()
                textStart = 0
                if textEnd == 0 {
                    // A last line without a newline is whole only if the stream ended cleanly.
                    if streamError == nil, !pending.isEmpty || pendingDropped > 0 { endLine() }
                    finished = true
                    break
                }
            }
            // Copy up to the next newline.
            let newline: Int? = textBuffer.withUnsafeBufferPointer { buf in
                memchr(buf.baseAddress! + textStart, 0x0A, textEnd - textStart).map { UnsafePointer($0.assumingMemoryBound(to: UInt8.self)) - buf.baseAddress! }
            }
            let stop = newline ?? textEnd
            if let newline, pending.isEmpty, pendingDropped == 0, sawBOMCheck, newline - textStart <= CDRFileReader.maxLineLength {
                // A whole line within the buffer (nearly every line): straight into the chunk, as `endLine` would put it.
                var end = newline
                if end > textStart && textBuffer[end - 1] == UInt8(ascii: "\r") { end -= 1 }
                textBuffer.withUnsafeBufferPointer { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: $0[textStart ..< end])) }
                starts.append(bytes.count)
                nextLineNumber += 1
                textStart = newline + 1
                continue
            }
            let room = CDRFileReader.maxLineLength + 1 - pending.count // + 1: a CR that endLine drops
            let take = min(room, stop - textStart)
            if take > 0 { pending.append(contentsOf: textBuffer[textStart ..< textStart + take]) }
            pendingDropped += (stop - textStart) - take
            textStart = stop
            if newline != nil { textStart += 1; endLine() }
        }
        if starts.count == 1 { return nil }
        // The next chunk's room by this one's lines (within 200 and 1,024 bytes a line): at a fixed 200, the
        // lines of a switch (about 214 bytes) outgrew every chunk's buffer, copied once more as it doubled.
        lineBytes = min(1024, max(200, bytes.count / (starts.count - 1) + 16))
        var chunk = LineChunk(firstLineNumber: first, bytes: bytes, starts: starts, oversized: oversized)
        chunk.bytesRead = bytesRead
        return chunk
    }
    private var textStart = 0, textEnd = 0
    /// Bytes a line to reserve in a chunk's buffer.
    private var lineBytes = 200

    /// About how many bytes the file's lines take once decompressed: for
    /// gzip, what its last member records (ISIZE, modulo 4 GiB: a file of
    /// several members or past 4 GiB says less), else the file's size; nil
    /// when it cannot be read.
    public static func expandedSize(path: RawPath) -> Int64? {
        guard let h = try? openRegularFile(path) else { return nil }
        defer { try? h.close() }
        guard let size = try? h.seekToEnd() else { return nil }
        try? h.seek(toOffset: 0)
        let magic = [UInt8](h.readData(ofLength: 2))
        guard magic == [0x1f, 0x8b], size >= 18 else { return Int64(size) }
        try? h.seek(toOffset: size - 4)
        let isize = [UInt8](h.readData(ofLength: 4))
        guard isize.count == 4 else { return nil }
        return isize.reversed().reduce(Int64(0)) { $0 << 8 | Int64($1) }
    }

    /// SHA-256 of the file's bytes as stored (compressed when gzip), in hex;
    /// `checkpoint` runs before each MiB (a stop request throws there).
    public static func sha256(path: RawPath, checkpoint: () throws -> Void = {}) throws -> (hex: String, size: Int64) {
        let h = try openRegularFile(path)
        defer { try? h.close() }
        let digest = SHA256Digest()
        var size: Int64 = 0
        while true {
            try checkpoint()
            let data = h.readData(ofLength: 1 << 20)
            if data.isEmpty { break }
            size += Int64(data.count)
            data.withUnsafeBytes { digest.update($0) }
        }
        return (digest.finalizeHex(), size)
    }
}
