/// The Indian number plan as SPEC section 3 states it: one home for number
/// normalisation and outbound call-type classification.
public enum NumberPlan {
    /// Normalises a dialled or presented number: drops spaces, `-`, `(`, `)`;
    /// `00` becomes `+`; Indian numbers (10 digits starting 6-9, `0` + 10
    /// digits, `91` + 10 digits, `1800`/`1860` toll-free) become `+91...`.
    public static func normalize(_ raw: String) -> String {
        var bytes = raw
        switch bytes.withUTF8({ normalizeASCII($0) }) {
        case .unchanged?: return raw
        case .changed(let s)?: return s
        case nil: return normalizeByCharacters(raw)
        }
    }

    /// `normalize` by String's own tests, for any number: the definition the byte path follows.
    static func normalizeByCharacters(_ raw: String) -> String {
        let strip: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x2D || $0 == 0x28 || $0 == 0x29 || $0 == 0x09 }
        var s = raw.utf8.contains(where: strip) ? String(decoding: raw.utf8.filter { !strip($0) }, as: UTF8.self) : raw
        if s.hasPrefix("00") { s = "+" + s.dropFirst(2) }
        guard !s.hasPrefix("+") else { return s }
        let digits = s.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
        guard digits else { return s }
        let n = s.utf8.count
        if n == 10, let first = s.utf8.first, first >= UInt8(ascii: "6") && first <= UInt8(ascii: "9") {
            return "+91" + s
        }
        if n == 11, s.hasPrefix("0") { return "+91" + s.dropFirst() }
        if n == 12, s.hasPrefix("91") { return "+" + s }
        if (s.hasPrefix("1800") || s.hasPrefix("1860")) && (10...11).contains(n) { return "+91" + s }
        return s
    }

    private enum Normalized { case unchanged, changed(String) }

    /// `normalize` over the bytes of a number that is printable ASCII (nearly
    /// all): there a Character is a byte, so the byte tests below are the
    /// String tests of `normalize`, without its Unicode-aware prefix checks
    /// and intermediate strings. nil for anything else (CR, which joins LF
    /// into one Character, any other control character, any non-ASCII byte).
    private static func normalizeASCII(_ raw: UnsafeBufferPointer<UInt8>) -> Normalized? {
        // On the stack: the number's bytes less those stripped, 3 bytes before them for a prefix.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: raw.count + 3) { buffer -> Normalized? in
            let s = buffer.baseAddress! + 3
            var n = 0, stripped = false
            for b in raw {
                guard b >= 0x20 && b < 0x7F || b == 0x09 else { return nil }
                if b == 0x20 || b == 0x2D || b == 0x28 || b == 0x29 || b == 0x09 { stripped = true } else { s[n] = b; n += 1 }
            }
            func at(_ i: Int, _ c: Unicode.Scalar) -> Bool { i < n && s[i] == UInt8(ascii: c) }
            /// `prefix` then the bytes from `dropping` on (the prefix written over the bytes dropped and the room before).
            func make(_ prefix: StaticString, dropping: Int) -> Normalized {
                let p = prefix.utf8CodeUnitCount
                let start = s + dropping - p
                for k in 0 ..< p { start[k] = prefix.utf8Start[k] }
                return .changed(String(decoding: UnsafeBufferPointer(start: start, count: n - dropping + p), as: UTF8.self))
            }
            if at(0, "0") && at(1, "0") { return make("+", dropping: 2) }
            let unchanged: Normalized = stripped ? .changed(String(decoding: UnsafeBufferPointer(start: s, count: n), as: UTF8.self)) : .unchanged
            if at(0, "+") { return unchanged }
            for i in 0 ..< n where s[i] < 0x30 || s[i] > 0x39 { return unchanged }
            if n == 10, s[0] >= UInt8(ascii: "6") && s[0] <= UInt8(ascii: "9") { return make("+91", dropping: 0) }
            if n == 11, at(0, "0") { return make("+91", dropping: 1) }
            if n == 12, at(0, "9") && at(1, "1") { return make("+", dropping: 0) }
            if (10...11).contains(n), at(0, "1") && at(1, "8") && (at(2, "0") || at(2, "6")) && at(3, "0") { return make("+91", dropping: 0) }
            return unchanged
        }
    }

    /// Call type of an outbound call to an already normalised destination.
    public static func outboundCallType(_ destination: String) -> CallType {
        var bytes = destination
        if let type = bytes.withUTF8({ outboundCallTypeASCII($0) }) { return type }
        return outboundCallTypeByCharacters(destination)
    }

    /// `outboundCallType` over the bytes of an ASCII number (nearly all): there
    /// the prefixes tested, which end in a digit or `+`, are prefixes of bytes
    /// (the only ASCII pair that is one Character is CR LF). nil for anything else.
    private static func outboundCallTypeASCII(_ d: UnsafeBufferPointer<UInt8>) -> CallType? {
        for b in d where b >= 0x80 { return nil }
        let n = d.count
        func at(_ i: Int, _ c: Unicode.Scalar) -> Bool { i < n && d[i] == UInt8(ascii: c) }
        if at(0, "+") && at(1, "9") && at(2, "1") && at(3, "1") && at(4, "8") && (at(5, "0") || at(5, "6")) && at(6, "0") {
            return .toll_free
        }
        guard at(0, "+") else { return .local }
        guard at(1, "9") && at(2, "1") else { return .isd }
        if n - 3 == 10, d[3] >= UInt8(ascii: "6") {
            for i in 3 ..< n where d[i] < 0x30 || d[i] > 0x39 { return .std }
            return .mobile
        }
        return .std
    }

    /// `outboundCallType` by String's own tests, for any number: the definition the byte path follows.
    static func outboundCallTypeByCharacters(_ destination: String) -> CallType {
        if destination.hasPrefix("+911800") || destination.hasPrefix("+911860") { return .toll_free }
        guard destination.hasPrefix("+") else { return .local }
        guard destination.hasPrefix("+91") else { return .isd }
        let national = destination.utf8.dropFirst(3)
        if national.count == 10, national.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
           let first = national.first, first >= UInt8(ascii: "6") {
            return .mobile
        }
        return .std
    }
}
