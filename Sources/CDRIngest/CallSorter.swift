import Foundation
import RatingRules

/// One call as the first reading keeps it until its file's duplicates are
/// known: enough to count it, total its usage and allocate its minutes.
public struct ScannedCall: Sendable, Equatable {
    // In this order the fields pack into 72 bytes.
    public var key: CDRKey
    public var status: CallStatus
    public var type: CallType
    public var line: UInt32
    public var start: Int64
    /// The usage period's start; `Int64.min` when the call counts in none.
    public var periodStart: Int64
    /// The caller's index of the call's subscription; -1 when it matched none.
    public var subscription: Int32
    /// The call's `CallCharge` in pieces (billed seconds 0: not charged; tariff version -1: no tariff).
    var billedSeconds: Int32 = 0, bundleSeconds: Int32 = 0
    var fullCost: Int64 = 0
    var tariffVersion: Int32 = -1, tariffPrefix: Int32 = 0, tariffBillsec: Int32 = 0

    public init(key: CDRKey, line: UInt32, start: Int64, subscription: Int32, periodStart: Int64, charge: CallCharge?,
                status: CallStatus, type: CallType) {
        self.key = key
        self.line = line
        self.start = start
        self.subscription = subscription
        self.periodStart = periodStart
        self.status = status
        self.type = type
        if let charge {
            billedSeconds = Int32(clamping: charge.billedSeconds)
            bundleSeconds = Int32(clamping: charge.bundleSeconds)
            fullCost = charge.fullCost.units
            if let t = charge.tariff { (tariffVersion, tariffPrefix, tariffBillsec) = (t.version, t.prefix, t.billsec) }
        }
    }

    /// The call's price before the bundle; nil when it is not charged.
    public var charge: CallCharge? {
        guard billedSeconds > 0 else { return nil }
        return CallCharge(billedSeconds: Int(billedSeconds), bundleSeconds: Int(bundleSeconds), fullCost: Money(units: fullCost),
                          tariff: tariffVersion < 0 ? nil : TariffRef(version: tariffVersion, prefix: tariffPrefix, billsec: tariffBillsec))
    }

    /// (uuid, line) order: the first line of a uuid comes first.
    static func < (a: ScannedCall, b: ScannedCall) -> Bool { a.key != b.key ? a.key < b.key : a.line < b.line }
}

/// Sorts a file's calls by uuid, then line, in memory that does not grow
/// with the file: up to `runLength` calls are sorted in memory; past that,
/// sorted runs are written to files in `directory` and merged back when
/// drained. A file of at most `runLength` calls never touches the disk.
///
/// Calls whose key is a canonical uuid (nearly all) are held packed: plain
/// integers, which sort by moving bytes, with no reference count to touch;
/// the others (text keys) apart, as they are.
public final class CallSorter {
    private let runLength: Int
    private let directory: URL
    /// The calls in memory, in one property: each access to a property of this object is checked at
    /// run time (exclusivity), and five of them a call were two thirds of adding it.
    private var held = Held()
    private struct Held {
        var packed: [PackedCall] = []
        var texts: [ScannedCall] = []
        /// Calls added, on disk or in memory.
        var count = 0
        /// The calls in memory are sorted (a drain that kept them does not sort them again).
        var sorted = true

        /// Adds a call; true once `runLength` calls are in memory.
        mutating func add(_ call: ScannedCall, runLength: Int) -> Bool {
            if case let .uuid(hi, lo) = call.key {
                // Room for a whole run at once: growing by doubling would hold the old buffer and the new (pages untouched cost nothing).
                if packed.capacity == 0 { packed.reserveCapacity(runLength) }
                packed.append(PackedCall(hi: hi, lo: lo, call))
            } else {
                texts.append(call)
            }
            count += 1
            sorted = false
            return packed.count + texts.count >= runLength
        }

        /// Sorts the calls in memory, unless they are.
        mutating func sort() {
            guard !sorted else { return }
            packed.withUnsafeMutableBufferPointer { CallSorter.sortInPlace($0) }
            texts.sort(by: <)
            sorted = true
        }
    }
    /// A sorted run on disk: its packed calls as they are in memory (72 bytes each, written and read
    /// back whole), and its text-keyed calls apart, as `SpillWriter` writes them (nil: none).
    private struct Run { let packed: URL, texts: URL? }
    private var runs: [Run] = []
    public var count: Int { held.count }

    public init(runLength: Int, directory: URL) {
        self.runLength = max(1, runLength)
        self.directory = directory
    }

    deinit { CallSorter.remove(runs) }

    private static func remove(_ runs: [Run]) {
        for url in runs.flatMap({ [$0.packed, $0.texts].compactMap { $0 } }) { try? FileManager.default.removeItem(at: url) }
    }

    /// Sorted runs written so far (for tests and the debug log).
    public var spilledRuns: Int { runs.count }

    public func add(_ call: ScannedCall) throws {
        if held.add(call, runLength: runLength) { try spill() }
    }

    private func spill() throws {
        let name = "cdr-rater-run-\(getpid())-\(UUID().uuidString)"
        let packedURL = directory.appendingPathComponent(name + ".bin")
        held.sort()
        var textsURL: URL?
        do { // the buffers shared while written: let go of them before they are emptied (or emptying copies them)
            let (packed, texts) = (held.packed, held.texts)
            // Written as they are in memory, in one go: record by record, a call cost as much to write as to parse.
            try packed.withUnsafeBytes { try PackedCursor.writeRun($0, to: packedURL) }
            if !texts.isEmpty {
                let url = directory.appendingPathComponent(name + ".text.bin")
                textsURL = url
                do {
                    let writer = try SpillWriter(url)
                    for c in texts { writer.put(c) }
                    try writer.close()
                } catch {
                    try? FileManager.default.removeItem(at: packedURL)
                    try? FileManager.default.removeItem(at: url)
                    throw error
                }
            }
        }
        runs.append(Run(packed: packedURL, texts: textsURL))
        held.packed.removeAll(keepingCapacity: true)
        held.texts.removeAll(keepingCapacity: true)
        held.sorted = true
    }

    /// Lets go of every call added (and of the runs on disk).
    public func removeAll() {
        CallSorter.remove(runs)
        runs = []
        held = Held()
    }

    /// Every call added, in (uuid, line) order; the sorter is empty afterwards,
    /// unless `keep`: then it holds the same calls, for another `drain`.
    public func drain(keep: Bool = false, _ each: (ScannedCall) throws -> Void) throws {
        held.sort()
        let (packed, texts) = (held.packed, held.texts)
        var memory = MergedInMemory(packed: packed, texts: texts)
        defer { if !keep { removeAll() } }
        if runs.isEmpty {
            while let c = memory.next() { try each(c) }
            return
        }
        if texts.isEmpty && runs.allSatisfy({ $0.texts == nil }) {
            try packed.withUnsafeBufferPointer { try mergePacked(memory: $0, each) }
            return
        }
        // A k-way merge of the runs and the buffer; k is small (a run per `runLength` calls), so a linear pick is enough.
        var sources: [() throws -> ScannedCall?] = []
        for run in runs {
            let merged = try RunCursor(run)
            sources.append { try merged.next() }
        }
        sources.append { memory.next() }
        var heads = try sources.map { try $0() }
        while true {
            var best: Int?
            for i in heads.indices {
                if let h = heads[i], best.map({ h < heads[$0]! }) ?? true { best = i }
            }
            guard let pick = best else { break }
            try each(heads[pick]!)
            heads[pick] = try sources[pick]()
        }
    }

    /// The merge of runs that hold uuid-keyed calls only (nearly every file):
    /// packed calls compared as integers, read from disk a buffer at a time.
    private func mergePacked(memory: UnsafeBufferPointer<PackedCall>, _ each: (ScannedCall) throws -> Void) throws {
        var cursors: [PackedCursor] = []
        defer { for i in cursors.indices { cursors[i].release() } }
        for run in runs {
            cursors.append(try PackedCursor(run.packed))
            if try !cursors[cursors.count - 1].fill() { var done = cursors.removeLast(); done.release() }
        }
        if !memory.isEmpty { cursors.append(PackedCursor(memory: memory)) }
        while !cursors.isEmpty {
            var best = 0
            for i in 1 ..< cursors.count where cursors[i].current < cursors[best].current { best = i }
            try each(cursors[best].current.call)
            if try !cursors[best].advance() { var done = cursors.remove(at: best); done.release() }
        }
    }

    /// Packed calls one at a time: from a run on disk (read into a buffer of
    /// its own) or from the sorted buffer in memory.
    private struct PackedCursor {
        private var base: UnsafeMutablePointer<PackedCall>
        private var position = 0, count = 0
        private var fd: Int32
        /// Calls the buffer of a run on disk holds.
        private static let bufferCalls = 16384

        /// A run on disk; `fill` before reading.
        init(_ url: URL) throws {
            fd = open(url.path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw SpillError("cannot read a spill file \(url.path): \(String(cString: strerror(errno)))") }
            base = .allocate(capacity: PackedCursor.bufferCalls)
        }

        /// The sorted buffer in memory (not owned).
        init(memory: UnsafeBufferPointer<PackedCall>) {
            fd = -1
            base = UnsafeMutablePointer(mutating: memory.baseAddress!)
            count = memory.count
        }

        var current: PackedCall { base[position] }

        /// To the next call; false at the end.
        mutating func advance() throws -> Bool {
            position += 1
            return position < count ? true : try fill()
        }

        /// Reads the next buffer of a run on disk; false when none is left.
        mutating func fill() throws -> Bool {
            guard fd >= 0 else { return false }
            let want = PackedCursor.bufferCalls * MemoryLayout<PackedCall>.stride
            var got = 0
            let raw = UnsafeMutableRawPointer(base)
            while got < want {
                let n = read(fd, raw + got, want - got)
                if n < 0 && errno == EINTR { continue }
                guard n >= 0 else { throw SpillError("cannot read a spill file: \(String(cString: strerror(errno)))") }
                if n == 0 { break }
                got += n
            }
            guard got % MemoryLayout<PackedCall>.stride == 0 else { throw SpillError("a spill file ends inside a call: it was changed while read") }
            (position, count) = (0, got / MemoryLayout<PackedCall>.stride)
            return count > 0
        }

        /// Closes a run's file and frees its buffer.
        mutating func release() {
            guard fd >= 0 else { return }
            close(fd)
            base.deallocate()
            base = UnsafeMutablePointer(bitPattern: MemoryLayout<PackedCall>.alignment)! // released: nothing to read
            (position, count, fd) = (0, 0, -1)
        }

        /// Writes sorted packed calls to a new run file.
        static func writeRun(_ bytes: UnsafeRawBufferPointer, to url: URL) throws {
            let fd = open(url.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            guard fd >= 0 else {
                throw SpillError("cannot create the spill file \(url.path): check that the temporary folder (TMPDIR) is writable and has room")
            }
            var done = 0
            while done < bytes.count {
                // A megabyte a call, as `SpillWriter` writes: one call of a whole run (18 MiB) was slower in the kernel.
                let n = write(fd, bytes.baseAddress! + done, min(1 << 20, bytes.count - done))
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else {
                    let reason = String(cString: strerror(errno))
                    close(fd)
                    try? FileManager.default.removeItem(at: url)
                    throw SpillError("cannot write a spill file: \(reason); check the room left in the temporary folder (TMPDIR)")
                }
                done += n
            }
            guard close(fd) == 0 else {
                let reason = String(cString: strerror(errno))
                try? FileManager.default.removeItem(at: url)
                throw SpillError("cannot write a spill file: \(reason); check the room left in the temporary folder (TMPDIR)")
            }
        }
    }

    /// A run on disk in (uuid, line) order: its packed calls and its text-keyed ones merged.
    private final class RunCursor {
        private var packed: PackedCursor
        private var hasPacked: Bool
        private let texts: SpillReader?
        private var text: ScannedCall?

        init(_ run: Run) throws {
            var packed = try PackedCursor(run.packed)
            do {
                hasPacked = try packed.fill()
                texts = try run.texts.map(SpillReader.init)
                text = try texts?.next()
            } catch {
                packed.release() // deinit does not run for an object whose init threw: its buffer and file go here
                throw error
            }
            self.packed = packed
        }

        deinit { packed.release() }

        func next() throws -> ScannedCall? {
            if hasPacked, text.map({ packed.current.call < $0 }) ?? true {
                let c = packed.current.call
                hasPacked = try packed.advance()
                return c
            }
            guard let t = text else { return nil }
            text = try texts?.next()
            return t
        }
    }

    /// Sorts in place, with no scratch buffer (the standard library's stable
    /// sort takes half the buffer again: 12 MiB for a run): quicksort, median
    /// of three, insertion sort for short ranges, heapsort past a depth of
    /// 2 log2 n, so no file's order can make it quadratic. No two packed
    /// calls are equal (a line is in one call), so stability does not matter.
    private static func sortInPlace(_ a: UnsafeMutableBufferPointer<PackedCall>) {
        func insertion(_ lo: Int, _ hi: Int) {
            guard hi - lo > 1 else { return }
            for i in lo + 1 ..< hi {
                let x = a[i]
                var j = i
                while j > lo && x < a[j - 1] { a[j] = a[j - 1]; j -= 1 }
                a[j] = x
            }
        }
        func heapsort(_ lo: Int, _ hi: Int) {
            let n = hi - lo
            func siftDown(_ start: Int, _ end: Int) {
                var root = start
                while 2 * root + 1 < end {
                    var child = 2 * root + 1
                    if child + 1 < end && a[lo + child] < a[lo + child + 1] { child += 1 }
                    guard a[lo + root] < a[lo + child] else { return }
                    a.swapAt(lo + root, lo + child)
                    root = child
                }
            }
            for start in stride(from: n / 2 - 1, through: 0, by: -1) { siftDown(start, n) }
            for end in stride(from: n - 1, to: 0, by: -1) {
                a.swapAt(lo, lo + end)
                siftDown(0, end)
            }
        }
        func sort(_ lo: Int, _ hi: Int, _ depth: Int) {
            var (lo, hi, depth) = (lo, hi, depth)
            while hi - lo > 16 {
                if depth == 0 { heapsort(lo, hi); return }
                depth -= 1
                let mid = lo + (hi - lo) / 2
                if a[mid] < a[lo] { a.swapAt(mid, lo) }
                if a[hi - 1] < a[lo] { a.swapAt(hi - 1, lo) }
                if a[hi - 1] < a[mid] { a.swapAt(hi - 1, mid) }
                let pivot = a[mid]
                var i = lo, j = hi - 1
                while i <= j {
                    while a[i] < pivot { i += 1 }
                    while pivot < a[j] { j -= 1 }
                    if i <= j { a.swapAt(i, j); i += 1; j -= 1 }
                }
                // The shorter side first by recursion, the longer by the loop: the stack stays at log2 n.
                if j + 1 - lo < hi - i { sort(lo, j + 1, depth); lo = i } else { sort(i, hi, depth); hi = j + 1 }
            }
            insertion(lo, hi)
        }
        var depth = 0, n = a.count
        while n > 1 { depth += 2; n >>= 1 }
        sort(0, a.count, depth)
    }

    /// A call whose key is a canonical uuid, as plain integers (72 bytes).
    private struct PackedCall {
        var hi: UInt64, lo: UInt64
        var start: Int64, periodStart: Int64
        var fullCost: Int64
        var line: UInt32
        var subscription: Int32
        var billedSeconds: Int32, bundleSeconds: Int32
        var tariffVersion: Int32, tariffPrefix: Int32, tariffBillsec: Int32
        var status: CallStatus, type: CallType

        init(hi: UInt64, lo: UInt64, _ c: ScannedCall) {
            (self.hi, self.lo, start, periodStart, line) = (hi, lo, c.start, c.periodStart, c.line)
            (subscription, status, type) = (c.subscription, c.status, c.type)
            (billedSeconds, bundleSeconds, fullCost) = (c.billedSeconds, c.bundleSeconds, c.fullCost)
            (tariffVersion, tariffPrefix, tariffBillsec) = (c.tariffVersion, c.tariffPrefix, c.tariffBillsec)
        }

        var call: ScannedCall {
            var c = ScannedCall(key: .uuid(hi, lo), line: line, start: start, subscription: subscription, periodStart: periodStart,
                                charge: nil, status: status, type: type)
            (c.billedSeconds, c.bundleSeconds, c.fullCost) = (billedSeconds, bundleSeconds, fullCost)
            (c.tariffVersion, c.tariffPrefix, c.tariffBillsec) = (tariffVersion, tariffPrefix, tariffBillsec)
            return c
        }

        /// (uuid, line) order, as `ScannedCall`'s.
        static func < (a: PackedCall, b: PackedCall) -> Bool {
            a.hi != b.hi ? a.hi < b.hi : a.lo != b.lo ? a.lo < b.lo : a.line < b.line
        }
    }

    /// The packed calls and the text-keyed ones, each sorted, merged in (uuid, line) order.
    private struct MergedInMemory {
        let packed: [PackedCall], texts: [ScannedCall]
        var p = 0, t = 0

        init(packed: [PackedCall], texts: [ScannedCall]) { (self.packed, self.texts) = (packed, texts) }

        mutating func next() -> ScannedCall? {
            if t == texts.count {
                guard p < packed.count else { return nil }
                p += 1
                return packed[p - 1].call
            }
            if p < packed.count {
                let a = packed[p].call
                if a < texts[t] { p += 1; return a }
            }
            t += 1
            return texts[t - 1]
        }
    }
}

/// uuids in byte order, on disk: what a dry run has seen in its earlier
/// files (they are not in the database, so it remembers them itself).
/// Each file's keys are checked in one pass, in byte order, merged with
/// the earlier ones into the next file of seen keys.
public final class SeenKeys {
    private let directory: URL
    private var file: URL?
    private var reader: SpillReader?
    private var writer: SpillWriter?
    private var next: URL?
    private var head: CDRKey?

    public init(directory: URL) { self.directory = directory }

    /// Whether an earlier file's keys are held.
    public var holdsKeys: Bool { file != nil }

    deinit {
        for url in [file, next].compactMap({ $0 }) { try? FileManager.default.removeItem(at: url) }
    }

    /// `remember`: whether this file's keys are kept for files after it (not for the run's last file:
    /// writing them was a quarter of counting a call). Without it the keys held stay as they are.
    public func startPass(remember: Bool = true) throws {
        if remember {
            let url = directory.appendingPathComponent("cdr-rater-seen-\(getpid())-\(UUID().uuidString).bin")
            writer = try SpillWriter(url)
            next = url
        }
        reader = try file.map(SpillReader.init)
        head = try reader?.nextKey()
    }

    /// Whether an earlier file had `key`; keys come in ascending order, each
    /// once. An unseen key is remembered for the next files.
    public func check(_ key: CDRKey) throws -> Bool {
        while let h = head, h < key {
            writer?.put(h)
            head = try reader?.nextKey()
        }
        if head == key { return true }
        writer?.put(key)
        return false
    }

    public func endPass() throws {
        guard let writer else { reader = nil; head = nil; return } // nothing remembered: the keys held stay
        while let h = head {
            writer.put(h)
            head = try reader?.nextKey()
        }
        try writer.close()
        reader = nil
        self.writer = nil
        if let file { try? FileManager.default.removeItem(at: file) }
        file = next
        next = nil
    }
}

/// Writes spill records: a key is a tag byte, then 16 bytes (a canonical
/// UUID) or a 2-byte length and the text; a call adds its fixed fields.
final class SpillWriter {
    private let handle: FileHandle
    private var bytes: [UInt8] = []
    private var failed: Error?

    init(_ url: URL) throws {
        guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
            throw SpillError("cannot create the spill file \(url.path): check that the temporary folder (TMPDIR) is writable and has room")
        }
        handle = try FileHandle(forWritingTo: url)
        bytes.reserveCapacity(1 << 20)
    }

    func put(_ key: CDRKey) {
        switch key {
        case let .uuid(hi, lo):
            bytes.append(0)
            int(hi)
            int(lo)
        case let .text(s):
            bytes.append(1)
            let utf8 = Array(s.utf8.prefix(Int(UInt16.max)))
            int(UInt16(utf8.count))
            bytes.append(contentsOf: utf8)
        }
        if bytes.count >= 1 << 20 { flush() }
    }

    func put(_ c: ScannedCall) {
        put(c.key)
        // The buffer out of the object while its fields go in, back at the end: each access to the object's
        // property is checked at run time (exclusivity), a dozen a call.
        var out = bytes
        bytes = []
        defer { bytes = out }
        func int<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        int(c.line)
        int(c.start)
        int(c.subscription)
        int(c.periodStart)
        int(c.billedSeconds); int(c.bundleSeconds); int(c.fullCost)
        int(c.tariffVersion); int(c.tariffPrefix); int(c.tariffBillsec)
        out.append(UInt8(CallStatus.allCases.firstIndex(of: c.status)!))
        out.append(UInt8(CallType.allCases.firstIndex(of: c.type)!))
    }

    func int<T: FixedWidthInteger>(_ v: T) {
        withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) }
    }

    func byte(_ b: UInt8) { bytes.append(b) }

    /// A string as its UTF-8 length (UInt32, `UInt32.max` for nil) and bytes.
    func text(_ s: String?) {
        guard var s else { int(UInt32.max); return }
        s.withUTF8 { utf8 in
            int(UInt32(utf8.count))
            bytes.append(contentsOf: utf8)
        }
    }

    /// Writes out what is buffered once it passes a megabyte.
    func flushIfFull() { if bytes.count >= 1 << 20 { flush() } }

    private func flush() {
        guard failed == nil, !bytes.isEmpty else { return }
        do { try handle.write(contentsOf: bytes) } catch { failed = error }
        bytes.removeAll(keepingCapacity: true)
    }

    func close() throws {
        flush()
        try? handle.close()
        if let failed { throw SpillError("cannot write a spill file: \(failed.localizedDescription); check the room left in the temporary folder (TMPDIR)") }
    }
}

/// Reads what `SpillWriter` wrote, a megabyte at a time.
final class SpillReader {
    private let handle: FileHandle
    private var bytes: [UInt8] = []
    private var position = 0
    private var atEnd = false
    private static let largestRecord = 1 + 2 + Int(UInt16.max) + 64

    /// Whether the reader opened `handle` (and closes it).
    private let owned: Bool

    init(_ url: URL) throws { handle = try FileHandle(forReadingFrom: url); owned = true }
    /// Reads from `handle`'s current offset; the handle stays its owner's.
    init(handle: FileHandle) { self.handle = handle; owned = false }
    deinit { if owned { try? handle.close() } }

    /// Makes at least `count` bytes (or what is left of the file) readable at `position`.
    func fill(atLeast count: Int = SpillReader.largestRecord) throws {
        while !atEnd && bytes.count - position < count {
            bytes.removeFirst(position)
            position = 0
            let more = try handle.read(upToCount: max(1 << 20, count)) ?? Data()
            if more.isEmpty { atEnd = true } else { bytes.append(contentsOf: more) }
        }
    }

    /// Whether every byte written was read.
    var isAtEnd: Bool { atEnd && position >= bytes.count }

    func byte() -> UInt8 {
        position += 1
        return bytes[position - 1]
    }

    /// The length of the string `text` reads next, 0 for nil.
    func textLength() -> Int {
        let n = bytes.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: position, as: UInt32.self)) }
        return n == UInt32.max ? 0 : Int(n)
    }

    /// What `SpillWriter.text` wrote.
    func text() -> String? {
        let n = int(UInt32.self)
        guard n != UInt32.max else { return nil }
        defer { position += Int(n) }
        return bytes.withUnsafeBufferPointer { String(decoding: UnsafeBufferPointer(rebasing: $0[position ..< position + Int(n)]), as: UTF8.self) }
    }

    func int<T: FixedWidthInteger>(_: T.Type) -> T {
        let v = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: position, as: T.self) }
        position += MemoryLayout<T>.size
        return T(littleEndian: v)
    }

    func nextKey() throws -> CDRKey? {
        try fill()
        guard position < bytes.count else { return nil }
        let tag = bytes[position]
        position += 1
        if tag == 0 {
            let hi = int(UInt64.self), lo = int(UInt64.self)
            return .uuid(hi, lo)
        }
        let n = Int(int(UInt16.self))
        defer { position += n }
        return .text(String(decoding: bytes[position ..< position + n], as: UTF8.self))
    }

    func next() throws -> ScannedCall? {
        guard let key = try nextKey() else { return nil }
        let line = int(UInt32.self), start = int(Int64.self), sub = int(Int32.self), period = int(Int64.self)
        var c = ScannedCall(key: key, line: line, start: start, subscription: sub, periodStart: period, charge: nil,
                            status: .answered, type: .local)
        (c.billedSeconds, c.bundleSeconds, c.fullCost) = (int(Int32.self), int(Int32.self), int(Int64.self))
        (c.tariffVersion, c.tariffPrefix, c.tariffBillsec) = (int(Int32.self), int(Int32.self), int(Int32.self))
        (c.status, c.type) = (CallStatus.allCases[Int(bytes[position])], CallType.allCases[Int(bytes[position + 1])])
        position += 2
        return c
    }
}

/// A spill file could not be written or read.
public struct SpillError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// Line numbers of a file's duplicate lines, kept as ranges of consecutive
/// lines: a file that is all duplicates (sent twice under another name) is one range.
public struct DuplicateLines: Sendable {
    private var ranges: [(first: UInt32, last: UInt32)] = []
    private var pending: [UInt32] = []
    public private(set) var count = 0

    public init() {}

    /// Adds a line, in any order.
    public mutating func insert(_ line: Int) {
        pending.append(UInt32(line))
        count += 1
        if pending.count >= 1 << 16 { settle() }
    }

    /// Folds the lines added since the last call into the sorted ranges.
    private mutating func settle() {
        guard !pending.isEmpty else { return }
        pending.sort()
        var merged: [(first: UInt32, last: UInt32)] = []
        merged.reserveCapacity(ranges.count + 1)
        func take(_ first: UInt32, _ last: UInt32) {
            if let end = merged.last?.last, UInt64(first) <= UInt64(end) + 1 {
                merged[merged.count - 1].last = max(end, last)
            } else {
                merged.append((first, last))
            }
        }
        var i = 0, j = 0
        while i < ranges.count || j < pending.count {
            if j == pending.count || (i < ranges.count && ranges[i].first <= pending[j]) {
                take(ranges[i].first, ranges[i].last)
                i += 1
            } else {
                take(pending[j], pending[j])
                j += 1
            }
        }
        ranges = merged
        pending.removeAll(keepingCapacity: true)
    }

    /// Done adding: ready for `contains`.
    public mutating func seal() { settle() }

    /// Whether a line is a duplicate (after `seal`).
    public func contains(_ line: Int) -> Bool {
        let l = UInt32(line)
        var lo = 0, hi = ranges.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if ranges[mid].last < l { lo = mid + 1 } else { hi = mid }
        }
        return lo < ranges.count && ranges[lo].first <= l
    }

    /// Ranges held: what the set costs in memory.
    public var rangeCount: Int { ranges.count }
}
