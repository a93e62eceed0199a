/// A value that can be a statement's parameter: its text as PostgreSQL
/// reads it (libpq's text format).
public protocol PostgresEncodable {
    var postgresText: String { get }
}

extension String: PostgresEncodable {
    public var postgresText: String { self }
}

extension Substring: PostgresEncodable {
    public var postgresText: String { String(self) }
}

extension Int: PostgresEncodable {
    public var postgresText: String { String(self) }
}

extension Int32: PostgresEncodable {
    public var postgresText: String { String(self) }
}

extension Int64: PostgresEncodable {
    public var postgresText: String { String(self) }
}

extension Double: PostgresEncodable {
    public var postgresText: String { String(self) }
}

extension Bool: PostgresEncodable {
    public var postgresText: String { self ? "true" : "false" }
}

/// A text[] literal: `{"a","b"}`, quotes and backslashes escaped.
extension Array: PostgresEncodable where Element == String {
    public var postgresText: String {
        var out = [UInt8]("{".utf8)
        out.reserveCapacity(2 + reduce(0) { $0 + $1.utf8.count + 3 })
        for var item in self {
            if out.count > 1 { out.append(UInt8(ascii: ",")) }
            out.append(UInt8(ascii: "\""))
            item.withUTF8 { utf8 in
                // Most items (uuids) have nothing to escape: appended whole.
                guard utf8.contains(where: { $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) else {
                    out.append(contentsOf: utf8)
                    return
                }
                for b in utf8 {
                    if b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") { out.append(UInt8(ascii: "\\")) }
                    out.append(b)
                }
            }
            out.append(UInt8(ascii: "\""))
        }
        out.append(UInt8(ascii: "}"))
        return String(decoding: out, as: UTF8.self)
    }
}
