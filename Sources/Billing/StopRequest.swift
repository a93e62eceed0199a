import Foundation
import Postgres

/// A request to stop the run (SIGINT, SIGTERM), set from a signal handler's
/// thread: it cancels the statement in flight, so that the current file's
/// transaction rolls back at once, and the run stops before the next file.
public final class StopRequest: @unchecked Sendable {
    private let lock = NSLock()
    private var signalNumber: Int32?
    private var canceller: QueryCanceller?

    public init() {}

    /// The signal that asked the run to stop, if one did.
    public var signal: Int32? { lock.lock(); defer { lock.unlock() }; return signalNumber }

    public func request(_ signal: Int32) {
        lock.lock()
        if signalNumber == nil { signalNumber = signal }
        let c = canceller
        lock.unlock()
        c?.cancel()
    }

    /// The connection whose statements a stop cancels.
    func watch(_ db: Connection) {
        lock.lock(); canceller = db.makeCanceller(); lock.unlock()
    }

    /// Throws `RunStopped` once a stop was requested.
    func check(file: String?) throws {
        if let s = signal { throw RunStopped(signal: s, file: file) }
    }
}

/// The run stopped on a signal: the file in progress was rolled back.
public struct RunStopped: Error, CustomStringConvertible {
    public let signal: Int32
    public let file: String?

    public var description: String {
        let name = signal == SIGINT ? "SIGINT" : signal == SIGTERM ? "SIGTERM" : "signal \(signal)"
        return "stopped by \(name)" + (file.map { ": \($0) was rolled back, nothing of it is stored" } ?? "")
            + "; files before it are committed. Run again to go on"
    }
}
