import Foundation
import Logging

/// Logs, at debug level (CDR_RATER_TRACE=1), how long each step of a run
/// took. A class: the pieces of a file's rating mark steps on one clock.
final class StepTimer {
    let logger: Logger
    private var mark = Date()

    init(logger: Logger) { self.logger = logger }

    func restart() { mark = Date() }

    /// Logs the time since the last step (or restart) under `name`.
    func callAsFunction(_ name: String) {
        logger.debug("  \(name): \(String(format: "%.2f", Date().timeIntervalSince(mark))) s")
        mark = Date()
    }
}
