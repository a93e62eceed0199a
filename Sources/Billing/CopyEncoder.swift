import RatingRules

/// Builds PostgreSQL COPY text-format rows straight into a byte buffer, with
/// no intermediate strings on the hot path.
struct CopyEncoder {
    private(set) var buffer: [UInt8] = []
    private var first = true

    init(capacity: Int = 1 << 20) { buffer.reserveCapacity(capacity + 4096) }

    /// A text value, escaped for COPY; nil is NULL.
    mutating func text(_ s: String?) {
        separator()
        guard var s else { buffer.append(0x5C); buffer.append(UInt8(ascii: "N")); return }
        s.withUTF8 { appendEscaped($0) }
    }

    /// A field whose bytes are already COPY-safe (digits, enum names, prepared pieces).
    mutating func raw(_ bytes: [UInt8]) {
        separator()
        buffer.append(contentsOf: bytes)
    }

    /// Appends to the current field without a separator.
    mutating func append(_ bytes: [UInt8]) { buffer.append(contentsOf: bytes) }

    mutating func int<I: BinaryInteger>(_ v: I) {
        separator()
        appendDigits(Int64(v))
    }

    /// Appends digits to the current field without a separator.
    mutating func appendDigits(_ v: Int64) { TextPieces.digits(v, to: &buffer) }

    /// An instant as `YYYY-MM-DD HH:MM:SS+00`.
    mutating func timestamp(_ epoch: Int64) {
        separator()
        appendTimestamp(epoch)
    }

    mutating func appendTimestamp(_ epoch: Int64) { TextPieces.timestamp(epoch, to: &buffer) }

    /// A UUID from its two 64-bit halves, in the canonical lowercase form.
    mutating func uuid(_ high: UInt64, _ low: UInt64) {
        separator()
        CDRKey.appendUUIDText(high, low, to: &buffer)
    }

    mutating func endRow() {
        buffer.append(0x0A)
        first = true
    }

    mutating func clear() { buffer.removeAll(keepingCapacity: true) }

    private mutating func separator() {
        if !first { buffer.append(0x09) }
        first = false
    }

    private mutating func appendEscaped(_ bytes: UnsafeBufferPointer<UInt8>) {
        if !bytes.contains(where: { $0 == 0x5C || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }) {
            buffer.append(contentsOf: bytes)
            return
        }
        for b in bytes {
            switch b {
            case 0x5C: buffer.append(0x5C); buffer.append(0x5C)
            case 0x09: buffer.append(0x5C); buffer.append(UInt8(ascii: "t"))
            case 0x0A: buffer.append(0x5C); buffer.append(UInt8(ascii: "n"))
            case 0x0D: buffer.append(0x5C); buffer.append(UInt8(ascii: "r"))
            default: buffer.append(b)
            }
        }
    }

    /// COPY-escaped bytes of a string, to prepare a piece once and append it often.
    static func escaped(_ s: String) -> [UInt8] {
        var e = CopyEncoder(capacity: 0)
        e.text(s)
        return e.buffer
    }
}

/// Text both encoders write: decimal digits, a UTC instant, a JSON string.
enum TextPieces {
    static func digits(_ v: Int64, to buffer: inout [UInt8]) {
        if v < 0 { buffer.append(UInt8(ascii: "-")) }
        var m = v.magnitude
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var n = 0
        withUnsafeMutableBytes(of: &digits) { d in
            repeat { d[n] = UInt8(m % 10) + 0x30; m /= 10; n += 1 } while m > 0
            while n > 0 { n -= 1; buffer.append(d[n]) }
        }
    }

    /// `YYYY-MM-DD HH:MM:SS+00`.
    static func timestamp(_ epoch: Int64, to buffer: inout [UInt8]) {
        let t = ZoneRules.utc.local(of: epoch)
        func two(_ v: Int) { buffer.append(UInt8(v / 10) + 0x30); buffer.append(UInt8(v % 10) + 0x30) }
        two(t.year / 100); two(t.year % 100)
        buffer.append(UInt8(ascii: "-")); two(t.month)
        buffer.append(UInt8(ascii: "-")); two(t.day)
        buffer.append(UInt8(ascii: " ")); two(t.hour)
        buffer.append(UInt8(ascii: ":")); two(t.minute)
        buffer.append(UInt8(ascii: ":")); two(t.second)
        buffer.append(contentsOf: [UInt8(ascii: "+"), 0x30, 0x30])
    }

    /// A JSON string literal, quotes included.
    static func jsonString(_ s: String, to buffer: inout [UInt8]) {
        var s = s
        buffer.append(UInt8(ascii: "\""))
        s.withUTF8 { bytes in
            if !bytes.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == 0x5C }) {
                buffer.append(contentsOf: bytes)
                return
            }
            let backslash: [UInt8] = [0x5C]
            for b in bytes {
                switch b {
                case UInt8(ascii: "\""): buffer.append(contentsOf: backslash + [b])
                case 0x5C: buffer.append(contentsOf: backslash + backslash)
                case 0 ..< 0x20:
                    let hex = Array("0123456789abcdef".utf8)
                    buffer.append(contentsOf: backslash + [UInt8(ascii: "u"), 0x30, 0x30, hex[Int(b >> 4)], hex[Int(b & 15)]])
                default: buffer.append(b)
                }
            }
        }
        buffer.append(UInt8(ascii: "\""))
    }
}

/// A JSON string literal (quotes included).
func jsonString(_ s: String) -> String {
    var out = "\""
    for scalar in s.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            if scalar.value < 0x20 {
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
    }
    return out + "\""
}

/// Builds PostgreSQL COPY binary-format rows straight into a byte buffer:
/// the server reads uuids, timestamps, integers and numerics as they are
/// stored instead of parsing their text (SPEC section 7, ingest speed).
/// Every field is a big-endian 32-bit length (-1: NULL) and its bytes.
struct BinaryCopyEncoder {
    private(set) var buffer: [UInt8] = []
    /// Where the current row's field count goes, and how many fields it has so far.
    private var rowStart = 0
    private var fields: Int16 = 0
    /// Where the length of an open field (`openField`) goes.
    private var fieldStart = 0

    init(capacity: Int = 1 << 20) { buffer.reserveCapacity(capacity + 4096) }

    /// The stream's header: signature, flags, no header extension.
    static let header: [UInt8] = Array("PGCOPY\n".utf8) + [0xFF, 0x0D, 0x0A, 0x00] + [0, 0, 0, 0] + [0, 0, 0, 0]
    /// The stream's trailer: a field count of -1.
    static let trailer: [UInt8] = [0xFF, 0xFF]

    mutating func beginRow() {
        rowStart = buffer.count
        fields = 0
        put(Int16(0))
    }

    mutating func endRow() {
        withUnsafeBytes(of: fields.bigEndian) { b in
            buffer[rowStart] = b[0]
            buffer[rowStart + 1] = b[1]
        }
    }

    mutating func null() {
        fields += 1
        put(Int32(-1))
    }

    /// text, varchar or an enum's label; nil is NULL.
    mutating func text(_ s: String?) {
        guard var s else { return null() }
        fields += 1
        s.withUTF8 { b in
            put(Int32(b.count))
            buffer.append(contentsOf: b)
        }
    }

    /// A CDR's uuid as text: a canonical one written from its two halves, no String made.
    mutating func text(_ key: CDRKey) {
        guard case let .uuid(high, low) = key else { return text(key.text) }
        fields += 1
        put(Int32(36))
        CDRKey.appendUUIDText(high, low, to: &buffer)
    }

    /// Bytes of a text field prepared once (an enum's label).
    mutating func text(bytes: [UInt8]) {
        fields += 1
        put(Int32(bytes.count))
        buffer.append(contentsOf: bytes)
    }

    mutating func int4(_ v: Int) {
        fields += 1
        put(Int32(4))
        put(Int32(truncatingIfNeeded: v))
    }

    /// A uuid from its two 64-bit halves.
    mutating func uuid(_ high: UInt64, _ low: UInt64) {
        fields += 1
        put(Int32(16))
        put(high)
        put(low)
    }

    /// A uuid given as text (a catalog id); nil is NULL.
    mutating func uuid(_ s: String?) {
        guard let s else { return null() }
        guard case let .uuid(high, low) = CDRKey(s.lowercased()) else { preconditionFailure("not a uuid: \(s)") }
        uuid(high, low)
    }

    /// timestamptz: microseconds since 2000-01-01 00:00:00 UTC.
    mutating func timestamptz(_ epoch: Int64) {
        fields += 1
        put(Int32(8))
        put((epoch - 946_684_800) * 1_000_000)
    }

    /// numeric of a Money (four decimals): base-10000 digits, most significant first.
    mutating func numeric(_ m: Money) {
        fields += 1
        var digits: [Int16] = []
        var whole = m.units.magnitude / UInt64(Money.scale)
        while whole > 0 {
            digits.insert(Int16(whole % 10_000), at: 0)
            whole /= 10_000
        }
        let weight = Int16(digits.count) - 1
        digits.append(Int16(m.units.magnitude % UInt64(Money.scale)))
        while digits.last == 0 { digits.removeLast() }
        put(Int32(8 + 2 * digits.count))
        put(Int16(digits.count))
        put(digits.isEmpty ? 0 : weight)
        put(m.units < 0 ? Int16(0x4000) : 0)
        put(Int16(4)) // dscale
        for d in digits { put(d) }
    }

    /// Opens a field whose bytes are appended next (`append`), its length set by `closeField`.
    mutating func openField() {
        fields += 1
        fieldStart = buffer.count
        put(Int32(0))
    }

    mutating func closeField() {
        withUnsafeBytes(of: Int32(buffer.count - fieldStart - 4).bigEndian) { b in
            for i in 0 ..< 4 { buffer[fieldStart + i] = b[i] }
        }
    }

    /// Appends to the open field.
    mutating func append(_ bytes: [UInt8]) { buffer.append(contentsOf: bytes) }

    mutating func append(byte: UInt8) { buffer.append(byte) }

    mutating func appendDigits(_ v: Int64) { TextPieces.digits(v, to: &buffer) }
    mutating func appendTimestamp(_ epoch: Int64) { TextPieces.timestamp(epoch, to: &buffer) }
    mutating func appendJSONString(_ s: String) { TextPieces.jsonString(s, to: &buffer) }

    mutating func clear() { buffer.removeAll(keepingCapacity: true) }

    private mutating func put<I: FixedWidthInteger>(_ v: I) {
        withUnsafeBytes(of: v.bigEndian) { buffer.append(contentsOf: $0) }
    }
}
