import Foundation

/// A value behind a lock: the only way to it is `withLock`, so it can be
/// shared between threads without the class around it claiming more.
///
/// The shape of swift-nio's `NIOLockedValueBox` and of the standard
/// library's `Synchronization.Mutex` (which needs macOS 15; the package
/// supports 13). As with `Mutex`, the value goes in and out as `sending`,
/// so a non-Sendable value kept here cannot stay reachable from outside
/// the lock, and `Locked` is Sendable whatever it holds.
public final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    public init(_ value: sending Value) { self.value = value }

    /// Runs `body` on the value, holding the lock: keep it short, and never
    /// take another `Locked` inside it (no lock order is kept).
    public func withLock<Result, Failure: Error>(
        _ body: (inout sending Value) throws(Failure) -> sending Result
    ) throws(Failure) -> sending Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}

extension Locked where Value: Sendable {
    /// A copy of the value, read under the lock.
    public var value: Value { withLock { $0 } }
}
