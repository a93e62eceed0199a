import RatingCore

/// Builds PostgreSQL COPY text-format rows straight into a byte buffer.
struct CopyEncoder {
    private(set) var buffer: [UInt8] = []
    private var first = true

    init(capacity: Int = 1 << 20) { buffer.reserveCapacity(capacity) }

    mutating func text(_ s: String?) {
        separator()
        guard let s else { buffer.append(contentsOf: [0x5C, 0x4E]); return } // \N
        for b in s.utf8 {
            switch b {
            case 0x5C: buffer.append(0x5C); buffer.append(0x5C)
            case 0x09: buffer.append(0x5C); buffer.append(UInt8(ascii: "t"))
            case 0x0A: buffer.append(0x5C); buffer.append(UInt8(ascii: "n"))
            case 0x0D: buffer.append(0x5C); buffer.append(UInt8(ascii: "r"))
            default: buffer.append(b)
            }
        }
    }

    mutating func int<I: BinaryInteger>(_ v: I) { text(String(v)) }

    mutating func endRow() {
        buffer.append(0x0A)
        first = true
    }

    mutating func clear() { buffer.removeAll(keepingCapacity: true) }

    private mutating func separator() {
        if !first { buffer.append(0x09) }
        first = false
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
            if scalar.value < 0x20 { out += String(format: "\\u%04x", scalar.value) } else { out.unicodeScalars.append(scalar) }
        }
    }
    return out + "\""
}

import Foundation
