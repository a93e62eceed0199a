import Postgres
import RatingCore

/// Money as a numeric column's text and as a parameter, exact both ways
/// (RatingCore knows no SQL, so the conformances live here).
extension Money: PostgresTextDecodable, PostgresEncodable {
    public init?(postgresText text: String) { self.init(text) }
    public var postgresText: String { description }
}
