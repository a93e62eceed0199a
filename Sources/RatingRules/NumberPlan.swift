/// The Indian number plan as SPEC section 3 states it: one home for number
/// normalisation and outbound call-type classification.
public enum NumberPlan {
    /// Normalises a dialled or presented number: drops spaces, `-`, `(`, `)`;
    /// `00` becomes `+`; Indian numbers (10 digits starting 6-9, `0` + 10
    /// digits, `91` + 10 digits, `1800`/`1860` toll-free) become `+91...`.
    public static func normalize(_ raw: String) -> String {
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

    /// Call type of an outbound call to an already normalised destination.
    public static func outboundCallType(_ destination: String) -> CallType {
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
