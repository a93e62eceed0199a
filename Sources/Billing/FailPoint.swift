import Foundation

/// Named places where a test can make the process die at once, as a kill -9
/// would, without racing a signal against the database: the process kills
/// itself with SIGKILL when `CDR_RATER_FAIL_POINT` names the place.
enum FailPoint {
    static let armed = ProcessInfo.processInfo.environment["CDR_RATER_FAIL_POINT"]

    static func hit(_ name: String) {
        if armed == name { kill(getpid(), SIGKILL) }
    }
}
