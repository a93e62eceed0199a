/// Splits one CSV line (no line ending) into fields the way switches write
/// them: quoted or bare fields, `""` inside quotes, commas inside quotes,
/// empty fields. Reuses its buffers between lines.
public struct CSVLine {
    /// Unescaped field contents, back to back.
    private(set) var storage: [UInt8] = []
    /// Field i is `storage[bounds[i] ..< bounds[i + 1]]`.
    private(set) var bounds: [Int] = []

    public init() {
        storage.reserveCapacity(1024)
        bounds.reserveCapacity(32)
    }

    public enum Problem: Error, Equatable {
        case unterminatedQuote
        case textAfterClosingQuote(field: Int)
    }

    public var count: Int { bounds.count - 1 }

    public subscript(i: Int) -> ArraySlice<UInt8> { storage[bounds[i] ..< bounds[i + 1]] }

    /// Field i's bytes.
    public func withField<R>(_ i: Int, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        storage.withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[bounds[i] ..< bounds[i + 1]])) }
    }

    /// Field i decoded as UTF-8 (the line was validated before parsing).
    public func string(_ i: Int) -> String {
        storage.withUnsafeBufferPointer { String(decoding: UnsafeBufferPointer(rebasing: $0[bounds[i] ..< bounds[i + 1]]), as: UTF8.self) }
    }

    /// Parses `line`, replacing the previous contents.
    public mutating func parse<C: Collection>(_ line: C) throws(Problem) where C.Element == UInt8 {
        let parsed = line.withContiguousStorageIfAvailable { split($0) } ?? Array(line).withUnsafeBufferPointer { split($0) }
        if let problem = parsed { throw problem }
    }

    /// Field by field, over raw bytes: a quoted field's text runs to its next
    /// quote (`""` inside is one quote), a bare field's to the next comma; a
    /// field's contents are never longer than the line, so `storage` is sized
    /// once and written by index. What a byte-by-byte state machine reads:
    /// a quote starts quoting only at a field's start, anything but a comma
    /// after a closing quote is an error, the line may not end inside quotes.
    private mutating func split(_ line: UnsafeBufferPointer<UInt8>) -> Problem? {
        bounds.removeAll(keepingCapacity: true)
        bounds.append(0)
        if storage.count < line.count { storage = [UInt8](repeating: 0, count: max(line.count, 2 * storage.count)) }
        var fields = bounds // the buffers out of `self` while written (no overlapping access), back at the end
        bounds = []
        defer { bounds = fields }
        let quote = UInt8(ascii: "\""), comma = UInt8(ascii: ",")
        let n = line.count
        return storage.withUnsafeMutableBufferPointer { outBuffer -> Problem? in
            guard let out = outBuffer.baseAddress, let p = line.baseAddress else { fields.append(0); return nil } // an empty line: one empty field
            var i = 0, w = 0
            func copy(_ from: Int, _ to: Int) {
                if to > from { (out + w).update(from: p + from, count: to - from); w += to - from }
            }
            while true {
                if i < n && p[i] == quote {
                    i += 1
                    while true {
                        let j = CSVLine.next(quote, in: p, from: i, to: n)
                        copy(i, j)
                        if j == n { return .unterminatedQuote }
                        if j + 1 < n && p[j + 1] == quote { out[w] = quote; w += 1; i = j + 2; continue } // "" inside quotes
                        i = j + 1 // the closing quote
                        break
                    }
                    if i == n { fields.append(w); return nil }
                    guard p[i] == comma else { return .textAfterClosingQuote(field: fields.count) }
                    fields.append(w)
                    i += 1
                } else {
                    let j = CSVLine.next(comma, in: p, from: i, to: n)
                    copy(i, j)
                    fields.append(w)
                    if j == n { return nil }
                    i = j + 1
                }
            }
        }
    }
}

extension CSVLine {
    /// The index of the first `byte` in `p[from ..< to]`, or `to`: eight bytes at a time, then one by one.
    @inline(__always)
    static func next(_ byte: UInt8, in p: UnsafePointer<UInt8>, from: Int, to n: Int) -> Int {
        var j = from
        let ones = UInt64(0x0101_0101_0101_0101), highs = UInt64(0x8080_8080_8080_8080)
        let pattern = ones &* UInt64(byte)
        while j + 8 <= n {
            // A zero byte of w ^ pattern is a match: the classic has-zero-byte test, exact for the first match.
            // The first byte the least significant, whatever the machine's byte order.
            let x = UInt64(littleEndian: UnsafeRawPointer(p + j).loadUnaligned(as: UInt64.self)) ^ pattern
            let found = (x &- ones) & ~x & highs
            if found != 0 { return j + found.trailingZeroBitCount >> 3 }
            j += 8
        }
        while j < n && p[j] != byte { j += 1 }
        return j
    }
}

extension Collection where Element == UInt8 {
    /// A non-negative decimal integer, or nil (a sign, a space or an empty field is not one).
    var nonNegativeInt: Int? {
        guard !isEmpty, count <= 12 else { return nil }
        var v = 0
        for b in self {
            guard b >= 0x30 && b <= 0x39 else { return nil }
            v = v * 10 + Int(b - 0x30)
        }
        return v
    }
}
