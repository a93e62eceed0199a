/// One row of a result, decoded by the types asked for, column by column,
/// as postgres-nio's `PostgresRow.decode((A, B, C).self)`: a NULL or a
/// text that is not the type throws a `PostgresError` naming the column,
/// instead of crashing in a force unwrap.
public struct PostgresRow: Sendable {
    /// The columns' names, as the statement gave them.
    public let columns: [String]
    /// The columns' text; nil is NULL.
    public let cells: [String?]

    public init(columns: [String], cells: [String?]) {
        self.columns = columns
        self.cells = cells
    }

    /// The row as a tuple of `types`, one for each column, in order:
    /// `row.decode((String, Int64?).self)`, or `row.decode(Bool.self)` for one column.
    public func decode<each T: PostgresDecodable>(_ types: (repeat each T).Type) throws(PostgresError) -> (repeat each T) {
        var index = 0
        func next<V: PostgresDecodable>(_: V.Type) throws(PostgresError) -> V {
            defer { index += 1 }
            guard index < cells.count else {
                throw PostgresError(kind: .decoding, message: "the row has \(cells.count) column(s); more were decoded")
            }
            do {
                return try V(postgresText: cells[index])
            } catch {
                let name = index < columns.count ? columns[index] : "?"
                let why = error == .null ? "it is NULL" : "its text is not one"
                throw PostgresError(kind: .decoding, message: "column \(index + 1) (\(name)) cannot be decoded as \(V.self): \(why)",
                                    column: name)
            }
        }
        let values = (repeat try next((each T).self))
        guard index == cells.count else {
            throw PostgresError(kind: .decoding, message: "the row has \(cells.count) column(s); \(index) were decoded")
        }
        return values
    }
}

extension QueryResult {
    /// The rows, to decode one by one.
    public var typedRows: [PostgresRow] { rows.map { PostgresRow(columns: columns, cells: $0) } }

    /// Every row as a tuple of `types`.
    public func decode<each T: PostgresDecodable>(_ types: (repeat each T).Type) throws(PostgresError) -> [(repeat each T)] {
        var out: [(repeat each T)] = []
        out.reserveCapacity(rows.count)
        for cells in rows { out.append(try PostgresRow(columns: columns, cells: cells).decode((repeat each T).self)) }
        return out
    }

    /// The first row as a tuple of `types`; nil when there is no row.
    public func decodeFirst<each T: PostgresDecodable>(_ types: (repeat each T).Type) throws(PostgresError) -> (repeat each T)? {
        guard let cells = rows.first else { return nil }
        let values: (repeat each T) = try PostgresRow(columns: columns, cells: cells).decode((repeat each T).self)
        return values
    }

    /// The first column of the first row as `type`, as `scalar` is the text:
    /// nil when there is no row or the value is NULL.
    public func scalar<T: PostgresDecodable>(_ type: T.Type) throws(PostgresError) -> T? {
        guard let cells = rows.first, let text = cells.first ?? nil else { return nil }
        return try PostgresRow(columns: Array(columns.prefix(1)), cells: [text]).decode(T.self)
    }
}
