/// A statement and its parameters, written as one string: each
/// interpolated value is sent as a parameter (`$1`, `$2`, ...), never
/// spliced into the SQL, as postgres-nio's `PostgresQuery`:
///
///     try db.execute("UPDATE cdr_files SET finished_at = now() WHERE id = \(fileId)")
///
/// SQL that is trusted text (a fragment the code holds, an identifier it
/// checked) goes in with `\(unescaped: fragment)`. Parameters are sent as
/// text with no type, as `Connection.query(_:_:)` sends them, so the server
/// infers each one's type from where it stands (add a cast where it cannot).
public struct PostgresQuery: Sendable, Hashable, ExpressibleByStringInterpolation {
    public var sql: String
    /// The parameters' text; nil is SQL NULL.
    public var binds: [String?]

    /// SQL with `$n` placeholders for `binds`, put together by hand.
    public init(unsafeSQL sql: String, binds: [String?] = []) {
        self.sql = sql
        self.binds = binds
    }

    public init(stringLiteral sql: String) { self.init(unsafeSQL: sql) }

    public init(stringInterpolation: StringInterpolation) {
        self.init(unsafeSQL: stringInterpolation.sql, binds: stringInterpolation.binds)
    }

    public struct StringInterpolation: StringInterpolationProtocol {
        var sql = ""
        var binds: [String?] = []

        public init(literalCapacity: Int, interpolationCount: Int) {
            sql.reserveCapacity(literalCapacity + 3 * interpolationCount)
            binds.reserveCapacity(interpolationCount)
        }

        public mutating func appendLiteral(_ literal: String) { sql += literal }

        /// The value as the next parameter.
        public mutating func appendInterpolation(_ value: some PostgresEncodable) {
            bind(value.postgresText)
        }

        /// The value as the next parameter; nil is NULL.
        public mutating func appendInterpolation(_ value: (some PostgresEncodable)?) {
            bind(value?.postgresText)
        }

        /// Trusted SQL text, as it is: never a value that came from outside.
        public mutating func appendInterpolation(unescaped fragment: String) { sql += fragment }

        private mutating func bind(_ text: String?) {
            binds.append(text)
            sql += "$\(binds.count)"
        }
    }
}

extension Connection {
    /// Runs one statement, its interpolated values sent as parameters.
    /// (Not an overload of `query`: a string literal would pick the `String`
    /// one and splice the values into the SQL.)
    @discardableResult
    public func execute(_ query: PostgresQuery) throws -> QueryResult {
        try self.query(query.sql, query.binds)
    }

    /// `forEachRow` of a query with interpolated values.
    public func forEachRow(_ query: PostgresQuery, _ body: ([String?]) throws -> Void) throws {
        try forEachRow(query.sql, query.binds, body)
    }
}
