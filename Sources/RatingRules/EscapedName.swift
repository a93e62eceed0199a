import Foundation

/// A file name or path as it may be shown in a log line, report or
/// listing: bytes that are not UTF-8, control characters (C0, DEL, C1)
/// and the characters that reorder or break lines (bidi controls, line
/// and paragraph separators) become `\xNN` / `\u{NNNN}`, so that a name
/// can never forge a log line nor recolour a terminal. Escaping an
/// escaped name changes nothing (a backslash is left as it is), so it
/// is safe to apply wherever a name is shown. The one escaping function.
public func escapedName<Bytes: Collection>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
    var out = ""
    var rest = Array(bytes)[...]
    while !rest.isEmpty {
        // The longest valid UTF-8 prefix, then one byte that is not.
        var decoder = UTF8()
        var iterator = rest.makeIterator()
        var consumed = 0
        decoding: while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar):
                out += shown(scalar)
                consumed += UTF8.width(scalar)
            case .emptyInput:
                break decoding
            case .error:
                out += String(format: "\\x%02x", rest[rest.startIndex + consumed])
                consumed += 1
                break decoding
            }
        }
        rest = rest.dropFirst(consumed)
    }
    return out
}

/// A Unicode scalar as `escapedName` shows it.
private func shown(_ scalar: Unicode.Scalar) -> String {
    switch scalar.value {
    case 0x00 ..< 0x20, 0x7F: return String(format: "\\x%02x", scalar.value)
    case 0x80 ..< 0xA0, 0x061C, 0x200E, 0x200F, 0x2028 ... 0x202E, 0x2066 ... 0x2069:
        return String(format: "\\u{%04x}", scalar.value)
    default: return String(Character(scalar))
    }
}
