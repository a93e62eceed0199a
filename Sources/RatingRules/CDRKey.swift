/// A CDR uuid held compactly: a canonical lowercase UUID (what FreeSWITCH
/// writes) as two integers with no heap allocation, anything else as text.
/// Ordered as the bytes of the text, like the uuids themselves.
public enum CDRKey: Hashable, Sendable, Comparable {
    case uuid(UInt64, UInt64)
    case text(String)

    public init(_ s: String) {
        var s = s
        self = s.withUTF8 { CDRKey.parseUUID($0) } ?? .text(s)
    }

    /// The key of a uuid's bytes when they are a canonical uuid (what `init` makes `.uuid` of); nil otherwise.
    public static func canonical(_ b: UnsafeBufferPointer<UInt8>) -> CDRKey? { parseUUID(b) }

    /// `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, lowercase hex only: then the
    /// numeric order of the two halves is the byte order of the text.
    private static func parseUUID(_ b: UnsafeBufferPointer<UInt8>) -> CDRKey? {
        guard b.count == 36, b[8] == 0x2D, b[13] == 0x2D, b[18] == 0x2D, b[23] == 0x2D else { return nil }
        // By fixed ranges, the digits' values or'ed together: any byte not a lowercase hex digit leaves a bit above 15.
        var bad: UInt8 = 0, high: UInt64 = 0, low: UInt64 = 0
        func take(_ r: Range<Int>, into v: inout UInt64) {
            for i in r {
                let c = b[i]
                let d: UInt8 = c &- 0x30 < 10 ? c &- 0x30 : c &- 0x61 < 6 ? c &- 0x61 &+ 10 : 0xFF
                bad |= d
                v = v << 4 | UInt64(d & 0xF)
            }
        }
        take(0 ..< 8, into: &high); take(9 ..< 13, into: &high); take(14 ..< 18, into: &high)
        take(19 ..< 23, into: &low); take(24 ..< 36, into: &low)
        return bad > 0xF ? nil : .uuid(high, low)
    }

    /// The uuid as written.
    public var text: String {
        switch self {
        case .text(let s): return s
        case .uuid(let hi, let lo):
            var out = [UInt8]()
            out.reserveCapacity(36)
            CDRKey.appendUUIDText(hi, lo, to: &out)
            return String(decoding: out, as: UTF8.self)
        }
    }

    /// Appends a UUID given by its two 64-bit halves in the canonical
    /// lowercase form `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`.
    public static func appendUUIDText(_ high: UInt64, _ low: UInt64, to out: inout [UInt8]) {
        for n in 0 ..< 2 {
            let half = n == 0 ? high : low
            for i in 0 ..< 16 {
                let position = n * 16 + i
                if position == 8 || position == 12 || position == 16 || position == 20 { out.append(UInt8(ascii: "-")) }
                out.append(hexDigits[Int((half >> UInt64(60 - 4 * i)) & 0xF)])
            }
        }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// Equal when the bytes are: PostgreSQL compares uuids byte by byte,
    /// where Swift's String would call two spellings of "é" equal.
    public static func == (a: CDRKey, b: CDRKey) -> Bool {
        switch (a, b) {
        case let (.uuid(ah, al), .uuid(bh, bl)): return ah == bh && al == bl
        case let (.text(x), .text(y)): return x.utf8.elementsEqual(y.utf8)
        default: return false
        }
    }

    public func hash(into h: inout Hasher) {
        switch self {
        case let .uuid(hi, lo): h.combine(0 as UInt8); h.combine(hi); h.combine(lo)
        case let .text(s): h.combine(1 as UInt8); for b in s.utf8 { h.combine(b) }
        }
    }

    public static func < (a: CDRKey, b: CDRKey) -> Bool {
        if case .uuid(let ah, let al) = a, case .uuid(let bh, let bl) = b { return (ah, al) < (bh, bl) }
        return bytewiseLess(a.text, b.text)
    }
}
