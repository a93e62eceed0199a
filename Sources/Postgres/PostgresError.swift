import Foundation

/// A failure talking to PostgreSQL, keeping the server's SQLSTATE and message.
///
/// Messages never contain the connection password: `Connection` scrubs every
/// text that came from libpq before it builds one of these.
public struct PostgresError: Error, CustomStringConvertible, Sendable {
    /// `decoding`: a result's column was not the type the code asked for (`PostgresRow.decode`).
    public enum Kind: Sendable { case badConnectionString, connection, query, decoding }

    public let kind: Kind
    /// Five-character SQLSTATE code from the server, when it sent one.
    public let sqlState: String?
    public let message: String
    public let detail: String?
    /// The column a `decoding` error is about.
    public let column: String?

    public init(kind: Kind, sqlState: String? = nil, message: String, detail: String? = nil, column: String? = nil) {
        self.kind = kind
        self.sqlState = sqlState
        self.message = message
        self.detail = detail
        self.column = column
    }

    public var description: String {
        var text = message
        if let detail, !detail.isEmpty { text += " (\(detail))" }
        if let sqlState { text += " [SQLSTATE \(sqlState)]" }
        return text
    }

    /// The SQLSTATE as a named code, when the server sent one.
    public var code: Code? { sqlState.map(Code.init(rawValue:)) }

    /// What to do when a table is missing: the schema was never migrated.
    public var missingSchemaHint: String {
        code == .undefinedTable ? "; is the database migrated? run 'cdr-rater migrate' (and 'cdr-rater seed') first" : ""
    }

    /// What to do when a privilege is missing: a role other than the owner was never granted the nightly job's.
    public var privilegeHint: String {
        code == .insufficientPrivilege
            ? "; a role that does not own the schema needs the nightly job's grants first (the owner runs 'cdr-rater grants --role NAME --apply'), "
                + "and migrate, seed, grants and partitions detach/attach run as the owner only"
            : ""
    }

    /// SQLSTATE codes the product tells apart, named as PostgreSQL's
    /// errcodes appendix names them (as postgres-nio's `PostgresError.Code`).
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        public static let uniqueViolation = Code(rawValue: "23505")
        public static let checkViolation = Code(rawValue: "23514")
        public static let numericValueOutOfRange = Code(rawValue: "22003")
        public static let undefinedTable = Code(rawValue: "42P01")
        public static let insufficientPrivilege = Code(rawValue: "42501")
        public static let queryCanceled = Code(rawValue: "57014")
        public static let adminShutdown = Code(rawValue: "57P01")
        public static let crashShutdown = Code(rawValue: "57P02")
        public static let connectionFailure = Code(rawValue: "08006")
        public static let lockNotAvailable = Code(rawValue: "55P03")
        public static let deadlockDetected = Code(rawValue: "40P01")
        public static let serializationFailure = Code(rawValue: "40001")
    }
}

/// Collapses libpq's multi-line messages into one line.
func oneLine(_ text: String) -> String {
    text.split(whereSeparator: { $0 == "\n" || $0 == "\r" })
        .map { $0.trimmingCharacters(in: .whitespaces) }
        .filter { !$0.isEmpty }
        .joined(separator: "; ")
}
