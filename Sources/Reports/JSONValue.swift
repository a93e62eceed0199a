import Foundation

/// A JSON value as the reports write it: strings, integers, booleans,
/// arrays and objects (money is text, so there are no floats). Built from
/// these, it always encodes, so no `try!` is needed where JSONSerialization
/// took `[String: Any]` and could in principle refuse it.
public indirect enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// Pretty-printed with sorted keys, exactly as JSONSerialization writes
    /// `[.prettyPrinted, .sortedKeys]` (the reports' format from the start):
    /// two spaces a level, `"key" : value`, slashes escaped, and keys in its
    /// order (numeric, case-insensitive comparison, not byte order).
    public var prettyPrinted: String {
        var out = ""
        write(into: &out, level: 0)
        return out
    }

    private func write(into out: inout String, level: Int) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .string(let s): JSONValue.write(s, into: &out)
        case .array(let items):
            JSONValue.container("[", "]", items.count, level, into: &out) { i, out in
                items[i].write(into: &out, level: level + 1)
            }
        case .object(let members):
            let keys = members.keys.sorted(by: JSONValue.keyOrder)
            JSONValue.container("{", "}", keys.count, level, into: &out) { i, out in
                JSONValue.write(keys[i], into: &out)
                out += " : "
                members[keys[i]]?.write(into: &out, level: level + 1)
            }
        }
    }

    /// Each element on its own line, indented; an empty one as `[`, a blank line, `]`, as JSONSerialization has it.
    private static func container(_ open: String, _ close: String, _ count: Int, _ level: Int, into out: inout String,
                                  element: (Int, inout String) -> Void) {
        let inner = String(repeating: "  ", count: level + 1)
        out += open + "\n"
        for i in 0 ..< count {
            if i > 0 { out += ",\n" }
            out += inner
            element(i, &out)
        }
        out += "\n" + String(repeating: "  ", count: level) + close
    }

    /// JSONSerialization's key order (swift-corelibs-foundation compares keys so, in the system locale).
    private static func keyOrder(_ a: String, _ b: String) -> Bool {
        a.compare(b, options: [.numeric, .caseInsensitive, .forcedOrdering], range: a.startIndex ..< a.endIndex,
                  locale: Locale(identifier: "")) == .orderedAscending
    }

    private static func write(_ s: String, into out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "/": out += "\\/"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case let c where c.value < 0x20:
                let hex = String(c.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements) { _, last in last })
    }
}
