/// A value a result's column can be decoded as, from its text (libpq's
/// text format), as postgres-nio's `PostgresDecodable`.
public protocol PostgresDecodable {
    /// `text` is nil for SQL NULL.
    init(postgresText text: String?) throws(PostgresDecodingFailure)
}

/// Why a column's text is not the value asked for; `PostgresRow.decode`
/// turns it into a `PostgresError` naming the column.
public enum PostgresDecodingFailure: Error, Sendable, Equatable {
    /// NULL, where the type asked for has no NULL (decode an Optional for that).
    case null
    /// Text that is not such a value.
    case invalid
}

/// A type decoded from non-NULL text by a failable init.
public protocol PostgresTextDecodable: PostgresDecodable {
    init?(postgresText text: String)
}

extension PostgresTextDecodable {
    public init(postgresText text: String?) throws(PostgresDecodingFailure) {
        guard let text else { throw .null }
        guard let value = Self(postgresText: text) else { throw .invalid }
        self = value
    }
}

extension String: PostgresTextDecodable {
    public init?(postgresText text: String) { self = text }
}

extension Int: PostgresTextDecodable {
    public init?(postgresText text: String) { self.init(text) }
}

extension Int32: PostgresTextDecodable {
    public init?(postgresText text: String) { self.init(text) }
}

extension Int64: PostgresTextDecodable {
    public init?(postgresText text: String) { self.init(text) }
}

extension Double: PostgresTextDecodable {
    public init?(postgresText text: String) { self.init(text) }
}

/// PostgreSQL writes a boolean as t or f.
extension Bool: PostgresTextDecodable {
    public init?(postgresText text: String) {
        switch text {
        case "t": self = true
        case "f": self = false
        default: return nil
        }
    }
}

/// NULL decodes as nil.
extension Optional: PostgresDecodable where Wrapped: PostgresDecodable {
    public init(postgresText text: String?) throws(PostgresDecodingFailure) {
        self = try text.map { (t: String) throws(PostgresDecodingFailure) in try Wrapped(postgresText: t) }
    }
}
