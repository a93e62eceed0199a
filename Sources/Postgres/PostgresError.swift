import Foundation

/// A failure talking to PostgreSQL, keeping the server's SQLSTATE and message.
///
/// Messages never contain the connection password: `Connection` scrubs every
/// text that came from libpq before it builds one of these.
public struct PostgresError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable { case badConnectionString, connection, query }

    public let kind: Kind
    /// Five-character SQLSTATE code from the server, when it sent one.
    public let sqlState: String?
    public let message: String
    public let detail: String?

    public init(kind: Kind, sqlState: String? = nil, message: String, detail: String? = nil) {
        self.kind = kind
        self.sqlState = sqlState
        self.message = message
        self.detail = detail
    }

    public var description: String {
        var text = message
        if let detail, !detail.isEmpty { text += " (\(detail))" }
        if let sqlState { text += " [SQLSTATE \(sqlState)]" }
        return text
    }

    /// What to do when a table is missing (SQLSTATE 42P01): the schema was never migrated.
    public var missingSchemaHint: String {
        sqlState == "42P01" ? "; is the database migrated? run 'cdr-rater migrate' (and 'cdr-rater seed') first" : ""
    }
}

/// Collapses libpq's multi-line messages into one line.
func oneLine(_ text: String) -> String {
    text.split(whereSeparator: { $0 == "\n" || $0 == "\r" })
        .map { $0.trimmingCharacters(in: .whitespaces) }
        .filter { !$0.isEmpty }
        .joined(separator: "; ")
}
