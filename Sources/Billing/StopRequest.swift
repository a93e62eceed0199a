import ConcurrencyHelpers
import Foundation
import Postgres

/// A request to stop the run (SIGINT, SIGTERM), set from a signal handler's
/// thread: it cancels the statement in flight, so that the current file's
/// transaction rolls back at once, and the run stops before the next file.
public final class StopRequest: Sendable {
    private struct State {
        var signal: Int32?
        var canceller: QueryCanceller?
    }
    private let state = Locked(State())

    public init() {}

    /// The signal that asked the run to stop, if one did.
    public var signal: Int32? { state.withLock { $0.signal } }

    public func request(_ signal: Int32) {
        let canceller = state.withLock { s in
            if s.signal == nil { s.signal = signal }
            return s.canceller
        }
        canceller?.cancel() // outside the lock: PQcancel waits for the server
    }

    /// The connection whose statements a stop cancels.
    func watch(_ db: Connection) {
        let canceller = db.makeCanceller()
        state.withLock { $0.canceller = canceller }
    }

    /// Throws `RunStopped` once a stop was requested.
    func check(file: String?) throws {
        if let s = signal { throw RunStopped(signal: s, file: file) }
    }
}

/// The run stopped on a signal: the file in progress was rolled back.
public struct RunStopped: OperatorFacingError, CustomStringConvertible {
    public let signal: Int32
    public let file: String?

    public var description: String {
        let name = signal == SIGINT ? "SIGINT" : signal == SIGTERM ? "SIGTERM" : "signal \(signal)"
        return "stopped by \(name)" + (file.map { ": \($0) was rolled back, nothing of it is stored" } ?? "")
            + "; files before it are committed. Run again to go on"
    }

    /// As a shell reports a process killed by the signal.
    public var exitCode: Int32 { 128 + signal }
}
