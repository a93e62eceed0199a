import ConcurrencyHelpers
import Dispatch
import Foundation
import RatingRules

/// A line that could not become a call: where, why, and the line itself.
public struct RejectedLine: Sendable {
    public let lineNumber: Int
    public let reason: String
    /// The raw line (cut at the reader's line-length limit).
    public let raw: [UInt8]
}

/// What parsing one file produced: every line is in exactly one of the two lists.
public struct ParsedFile: Sendable {
    public var calls: [ClassifiedCall] = []
    public var rejects: [RejectedLine] = []
    public var lineCount = 0
    public var layout: CDRLayout?
    /// Set when the file ended early (truncated or corrupt gzip).
    public var streamError: String?
}

/// The calls and rejects of consecutive lines of a file, in line order.
public struct ParsedChunk: Sendable {
    public var calls: [ClassifiedCall] = []
    public var rejects: [RejectedLine] = []
    public var lineCount = 0
    /// Bytes of the file read once the chunk was cut: for progress.
    public var bytesRead: Int64 = 0
}

/// Parses and classifies a file's lines on a pool of Dispatch workers.
///
/// The reader cuts the file into chunks; at most `workers` chunks are being
/// parsed at once and the reader waits for a free worker (back-pressure), so
/// memory in flight is bounded. Results are put back in line order, so the
/// output does not depend on the worker count or the chunk size.
public struct FileParser: Sendable {
    public var layout: CDRLayout?
    public var switchZone: ZoneRules
    public var classifier: CallClassifier
    public var workers: Int
    public var chunkLines: Int

    /// Lines per work chunk unless told otherwise (`rate --chunk-lines`).
    public static let defaultChunkLines = 8192

    public init(layout: CDRLayout?, switchZone: ZoneRules, classifier: CallClassifier, workers: Int,
                chunkLines: Int = FileParser.defaultChunkLines) {
        self.layout = layout
        self.switchZone = switchZone
        self.classifier = classifier
        self.workers = max(1, workers)
        self.chunkLines = max(1, chunkLines)
    }

    /// Parses the whole file into memory (for tests and small files).
    public func parse(path: RawPath) throws -> ParsedFile {
        var result = ParsedFile()
        let end = try parse(path: path) { chunk in
            result.calls.append(contentsOf: chunk.calls)
            result.rejects.append(contentsOf: chunk.rejects)
        }
        result.lineCount = end.lineCount
        result.layout = end.layout
        result.streamError = end.streamError
        return result
    }

    /// How a streamed file ended.
    public struct FileEnd: Sendable {
        public var lineCount = 0
        public var layout: CDRLayout?
        /// Set when the file ended early (truncated or corrupt gzip).
        public var streamError: String?
        /// SHA-256 of the bytes read, when the whole file was read.
        public var sha256: String?
    }

    /// Streams the file: `each` gets every chunk's calls and rejects in line
    /// order, on the calling thread, while a reader thread decompresses and cuts
    /// the next chunks and up to `workers` of them are parsed at once. At most
    /// `2 x workers + 2` chunks are read but not yet taken by `each`
    /// (back-pressure), so memory stays flat whatever the file's size.
    public func parse(path: RawPath, each: (ParsedChunk) throws -> Void) throws -> FileEnd {
        let reader = try CDRFileReader(path: path) // here, so that a file that cannot be opened fails at once
        let results = ChunkResults(capacity: 2 * workers + 2)
        let running = DispatchSemaphore(value: workers)
        let parsing = DispatchGroup()
        let queue = DispatchQueue(label: "cdr-rater.parse", attributes: .concurrent)
        let (layout, chunkLines, switchZone, classifier) = (self.layout, self.chunkLines, self.switchZone, self.classifier)
        defer { parsing.wait() } // never leave a worker behind (the reader is joined before this)
        // The reader thread: `reader` is sent to it and used by it alone.
        let ((), end) = try ProducerThread.run(produce: {
            var end = FileEnd()
            end.layout = layout
            var layoutKnownFrom = layout == nil ? Int.max : 1
            var sequence = 0
            do {
                while results.waitForRoom() {
                    guard let chunk = try reader.nextChunk(maxLines: chunkLines) else { results.giveBackRoom(); break }
                    end.lineCount += chunk.count
                    if end.layout == nil, let (detected, index) = FileParser.detectLayout(chunk) {
                        end.layout = detected
                        layoutKnownFrom = chunk.firstLineNumber + index
                    }
                    let decoder = RecordDecoder(layout: end.layout ?? .freeswitch, zone: switchZone, layoutKnownFrom: layoutKnownFrom)
                    let seq = sequence
                    sequence += 1
                    running.wait()
                    queue.async(group: parsing) {
                        results.store(FileParser.parseChunk(chunk, decoder: decoder, classifier: classifier), at: seq)
                        running.signal()
                    }
                }
                end.streamError = reader.streamError?.message
                end.sha256 = reader.sha256
                results.finish(chunks: sequence, end: .success(end))
            } catch {
                results.finish(chunks: sequence, end: .failure(error)) // in line order, after the chunks before it
            }
        }, consume: {
            defer { results.cancel() } // wakes a reader waiting for room when `each` threw
            var delivered = 0
            while let chunk = results.take(delivered) {
                delivered += 1
                try each(chunk)
            }
            return try results.end!.get()
        })
        return end
    }

    /// Chunks between the reader thread, the workers and the consumer: parsed
    /// chunks by sequence number, room for the reader, and how the file ended.
    final class ChunkResults: Sendable {
        private struct State {
            var byIndex: [Int: ParsedChunk] = [:]
            var outstanding = 0 // read, not yet taken
            /// Set by the reader at the end: how many chunks it read, and how the file ended.
            var end: (chunks: Int, result: Result<FileEnd, Error>)?
            var cancelled = false
        }
        private let state = ConditionLocked(State())
        private let capacity: Int

        init(capacity: Int) { self.capacity = capacity }

        /// How the file ended, once the reader said so.
        var end: Result<FileEnd, Error>? { state.withLock { $0.end?.result } }

        /// The reader waits here before reading a chunk; false once cancelled.
        func waitForRoom() -> Bool {
            state.withLock(when: { $0.outstanding < capacity || $0.cancelled }) { s in
                if s.cancelled { return false }
                s.outstanding += 1
                return true
            }
        }

        /// The reader found no chunk after all.
        func giveBackRoom() {
            state.withLock { $0.outstanding -= 1 }
        }

        func store(_ r: ParsedChunk, at i: Int) {
            state.withLock { $0.byIndex[i] = r }
        }

        func finish(chunks: Int, end: Result<FileEnd, Error>) {
            state.withLock { $0.end = (chunks, end) }
        }

        func cancel() {
            state.withLock { $0.cancelled = true }
        }

        /// Chunk `i` once parsed; nil when the reader finished with fewer chunks.
        func take(_ i: Int) -> ParsedChunk? {
            state.withLock(when: { $0.byIndex[i] != nil || ($0.end.map { i >= $0.chunks } ?? false) }) { s in
                guard let chunk = s.byIndex.removeValue(forKey: i) else { return nil }
                s.outstanding -= 1
                return chunk
            }
        }
    }

    /// The layout of the first line that has a known field count, and that line's index.
    static func detectLayout(_ chunk: LineChunk) -> (CDRLayout, Int)? {
        var csv = CSVLine()
        for i in 0 ..< chunk.count {
            guard (try? csv.parse(chunk.line(i))) != nil else { continue }
            if let layout = CDRLayout.detect(fieldCount: csv.count) { return (layout, i) }
        }
        return nil
    }

    static func parseChunk(_ chunk: LineChunk, decoder: RecordDecoder, classifier: CallClassifier) -> ParsedChunk {
        var out = ParsedChunk()
        out.lineCount = chunk.count
        out.bytesRead = chunk.bytesRead
        out.calls.reserveCapacity(chunk.count)
        var csv = CSVLine()
        var periods = CallClassifier.PeriodMemo()
        var fieldMemo = FieldMemo()
        for i in 0 ..< chunk.count {
            let line = chunk.line(i)
            let number = chunk.firstLineNumber + i
            func reject(_ reason: String) {
                out.rejects.append(RejectedLine(lineNumber: number, reason: reason, raw: Array(line)))
            }
            if let length = chunk.oversized[i] {
                reject("line is \(length) bytes long, over the \(CDRFileReader.maxLineLength)-byte limit"); continue
            }
            if line.isEmpty { reject("empty line"); continue }
            guard isCleanText(line) else { reject("not text: invalid UTF-8 or control characters"); continue }
            do {
                try csv.parse(line)
            } catch {
                switch error {
                case .unterminatedQuote: reject("unterminated quoted field")
                case .textAfterClosingQuote(let field): reject("text after the closing quote of field \(field)")
                }
                continue
            }
            do {
                let record = try decoder.decode(csv, rawLine: line, lineNumber: number, memo: &fieldMemo)
                let call = classifier.classify(record, periods: &periods)
                guard call.maximumCost <= Money.largestCallCost else {
                    reject("\(CallCharge.minutes(call.billedSeconds)) charged minutes could cost more than a call's cost can hold (\(Money.largestCallCost))")
                    continue
                }
                out.calls.append(call)
            } catch {
                reject(error.text)
            }
        }
        return out
    }

    /// Valid UTF-8 with no control characters but tab (no NUL, no stray CR).
    static func isCleanText(_ line: ArraySlice<UInt8>) -> Bool {
        var asciiOnly = true
        let clean: Bool = line.withUnsafeBufferPointer { buf in
            guard let base = buf.baseAddress else { return true }
            let n = buf.count
            var i = 0
            // Eight bytes at a time while they are printable ASCII (0x20-0x7E): a line of a switch nearly always is.
            let low = UInt64(0x0101_0101_0101_0101), high = UInt64(0x8080_8080_8080_8080)
            while i + 8 <= n {
                let w = UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)
                // A byte below 0x20, 0x7F or 0x80 and above sets its high bit in one of these.
                let below = (w &- low &* 0x20) & ~w
                let del = ((w ^ (low &* 0x7F)) &- low) & ~(w ^ (low &* 0x7F))
                if (below | del | w) & high != 0 { break }
                i += 8
            }
            while i < n {
                let b = base[i]
                if b < 0x20 && b != 0x09 { return false }
                if b == 0x7F { return false }
                if b >= 0x80 { asciiOnly = false }
                i += 1
            }
            return true
        }
        if !clean { return false }
        if asciiOnly { return true }
        return String(validating: line, as: UTF8.self) != nil
    }
}
