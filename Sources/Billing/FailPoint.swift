import Foundation

/// Named places where a test can make the process die at once, as a kill -9
/// would (`hit`), or a step fail (`fail`), without racing a signal against
/// the database: when `CDR_RATER_FAIL_POINT` names the place.
public enum FailPoint {
    /// The place `CDR_RATER_FAIL_POINT` names (tests only); nil in normal runs.
    /// Read once, at first use: a constant, so any thread may read it.
    public static let armed: String? = ProcessInfo.processInfo.environment["CDR_RATER_FAIL_POINT"]

    static func hit(_ name: String) {
        if armed == name { kill(getpid(), SIGKILL) }
    }

    /// Throws, as a failing statement would, when `CDR_RATER_FAIL_POINT` names the place.
    static func fail(_ name: String) throws {
        if armed == name { throw BillingError("stopped at fail point \(name)") }
    }

    /// Keeps the session's server process busy for a minute, as a long
    /// statement would, when armed: a test kills the process meanwhile and
    /// the server session outlives it, holding its locks.
    static func stall(_ name: String, _ db: RatingDatabase) {
        if armed == name { db.stallForFailPoint() }
    }
}
