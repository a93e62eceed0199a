import Foundation
import Logging

/// Logs, at debug level (CDR_RATER_TRACE=1), how long each step of a run took.
struct StepTimer {
    let logger: Logger
    private var mark = Date()

    init(logger: Logger) { self.logger = logger }

    mutating func restart() { mark = Date() }

    /// Logs the time since the last step (or restart) under `name`.
    mutating func callAsFunction(_ name: String) {
        logger.debug("  \(name): \(String(format: "%.2f", Date().timeIntervalSince(mark))) s")
        mark = Date()
    }
}
