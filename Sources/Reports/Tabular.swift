import Foundation

/// Columns and rows of text, rendered as an aligned table, CSV or JSON:
/// the one renderer behind the reports and listings (`cdr-rater rate`,
/// `rerate`, `files`, `partitions list`), so quoting and alignment live in
/// one place.
public struct Tabular: Sendable {
    public enum Alignment: Sendable { case left, right }

    public var columns: [String]
    /// One cell for each column in every row.
    public var rows: [[String]]

    public init(columns: [String], rows: [[String]]) {
        self.columns = columns
        self.rows = rows
    }

    /// The header and the rows, each a line: cells padded to their column's
    /// widest (or `minimumWidths`), `separator` between them, and no
    /// whitespace at the end of a line.
    public func tableLines(separator: String = "  ", alignment: (Int) -> Alignment = { _ in .left },
                           minimumWidths: [Int] = []) -> [String] {
        let all = [columns] + rows
        let widths = columns.indices.map { i in
            all.reduce(i < minimumWidths.count ? minimumWidths[i] : 0) { max($0, $1[i].count) }
        }
        return all.map { cells in
            var line = cells.enumerated().map { i, c in
                switch alignment(i) {
                // Foundation's padding, as the reports always had it.
                case .left: c.padding(toLength: widths[i], withPad: " ", startingAt: 0)
                case .right: String(repeating: " ", count: widths[i] - c.count) + c
                }
            }.joined(separator: separator)
            while let last = line.unicodeScalars.last, CharacterSet.whitespaces.contains(last) { line.unicodeScalars.removeLast() }
            return line
        }
    }

    /// CSV: the header, then the rows, each line ending in a newline; a cell
    /// holding a comma, a double quote or a line break is quoted, its quotes doubled.
    public func csv() -> String {
        ([columns] + rows).map { $0.map(Tabular.csvCell).joined(separator: ",") + "\n" }.joined()
    }

    static func csvCell(_ s: String) -> String {
        guard s.unicodeScalars.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return s }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// JSON: an array of one object a row, keyed by column, pretty-printed with sorted keys, ending in a newline.
    public func json() -> String {
        JSONValue.array(rows.map { row in .object(Dictionary(zip(columns, row.map(JSONValue.string))) { _, last in last }) })
            .prettyPrinted + "\n"
    }
}
