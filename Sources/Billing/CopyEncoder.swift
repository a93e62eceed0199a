import RatingCore

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

    /// Appends a JSON string literal, quotes included, COPY-escaped, to the current field.
    mutating func appendJSONString(_ s: String) {
        var s = s
        buffer.append(UInt8(ascii: "\""))
        s.withUTF8 { bytes in
            if !bytes.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == 0x5C }) {
                buffer.append(contentsOf: bytes)
                return
            }
            for b in bytes {
                switch b {
                // JSON's backslash escapes, each backslash doubled for COPY.
                case UInt8(ascii: "\""): buffer.append(contentsOf: [0x5C, 0x5C, b])
                case 0x5C: buffer.append(contentsOf: [0x5C, 0x5C, 0x5C, 0x5C])
                case 0 ..< 0x20:
                    let hex = Array("0123456789abcdef".utf8)
                    buffer.append(contentsOf: [0x5C, 0x5C, UInt8(ascii: "u"), 0x30, 0x30, hex[Int(b >> 4)], hex[Int(b & 15)]])
                default: buffer.append(b)
                }
            }
        }
        buffer.append(UInt8(ascii: "\""))
    }

    mutating func int<I: BinaryInteger>(_ v: I) {
        separator()
        appendDigits(Int64(v))
    }

    /// Appends digits to the current field without a separator.
    mutating func appendDigits(_ v: Int64) {
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

    /// An instant as `YYYY-MM-DD HH:MM:SS+00`.
    mutating func timestamp(_ epoch: Int64) {
        separator()
        appendTimestamp(epoch)
    }

    mutating func appendTimestamp(_ epoch: Int64) {
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
