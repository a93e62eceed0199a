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

    /// Field i decoded as UTF-8 (the line was validated before parsing).
    public func string(_ i: Int) -> String {
        storage.withUnsafeBufferPointer { String(decoding: UnsafeBufferPointer(rebasing: $0[bounds[i] ..< bounds[i + 1]]), as: UTF8.self) }
    }

    /// Parses `line`, replacing the previous contents.
    public mutating func parse<C: Collection>(_ line: C) throws(Problem) where C.Element == UInt8 {
        let parsed = line.withContiguousStorageIfAvailable { split($0) } ?? Array(line).withUnsafeBufferPointer { split($0) }
        if let problem = parsed { throw problem }
    }

    /// The state machine, over raw bytes: a field's contents are never longer
    /// than the line, so `storage` is sized once and written by index.
    private mutating func split(_ line: UnsafeBufferPointer<UInt8>) -> Problem? {
        bounds.removeAll(keepingCapacity: true)
        bounds.append(0)
        if storage.count < line.count { storage = [UInt8](repeating: 0, count: max(line.count, 2 * storage.count)) }
        let quote = UInt8(ascii: "\""), comma = UInt8(ascii: ",")
        var inQuotes = false, afterQuote = false, fieldStart = true
        var pendingQuote = false // inside quotes, saw a quote that may be an escape
        var w = 0
        let n = line.count
        return storage.withUnsafeMutableBufferPointer { out -> Problem? in
            var i = 0
            while i < n {
                let b = line[i]
                i += 1
                if inQuotes {
                    if pendingQuote {
                        pendingQuote = false
                        if b == quote { out[w] = quote; w += 1; continue }
                        inQuotes = false; afterQuote = true
                        // fall through to handle b outside quotes
                    } else if b == quote {
                        pendingQuote = true; continue
                    } else {
                        // The rest of the quoted text up to the next quote, copied at once.
                        var j = i
                        while j < n && line[j] != quote { j += 1 }
                        out[w] = b
                        if j > i { UnsafeMutableRawPointer(out.baseAddress! + w + 1).copyMemory(from: line.baseAddress! + i, byteCount: j - i) }
                        w += 1 + j - i
                        i = j
                        continue
                    }
                }
                if b == comma {
                    bounds.append(w)
                    fieldStart = true; afterQuote = false
                } else if afterQuote {
                    return .textAfterClosingQuote(field: bounds.count)
                } else if b == quote && fieldStart {
                    inQuotes = true; fieldStart = false
                } else {
                    out[w] = b; w += 1; fieldStart = false
                }
            }
            if inQuotes && !pendingQuote { return .unterminatedQuote }
            bounds.append(w)
            return nil
        }
    }
}

extension ArraySlice where Element == UInt8 {
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
