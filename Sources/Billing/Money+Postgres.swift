import Postgres
import RatingRules

/// Money as a numeric column's text and as a parameter, exact both ways
/// (RatingRules knows no SQL, so the conformances live here).
extension Money: PostgresTextDecodable, PostgresEncodable {
    public init?(postgresText text: String) { self.init(text) }
    public var postgresText: String { description }
}
