import Foundation

/// With CDR_RATER_TRACE=1, logs how long each step of a run took.
struct StepTimer {
    let log: (String) -> Void
    private let enabled = ProcessInfo.processInfo.environment["CDR_RATER_TRACE"] == "1"
    private var mark = Date()

    init(log: @escaping (String) -> Void) { self.log = log }

    mutating func restart() { mark = Date() }

    /// Logs the time since the last step (or restart) under `name`.
    mutating func callAsFunction(_ name: String) {
        if enabled { log("  \(name): \(String(format: "%.2f", Date().timeIntervalSince(mark))) s") }
        mark = Date()
    }
}
