import Foundation

/// A value behind a lock that threads can also wait on until it is in a
/// state they need: `Locked` plus a condition variable, for hand-offs
/// between threads (`BoundedHandOff`, the file parser's reordering).
///
/// Every `withLock` wakes the waiters afterwards, since it may have made
/// true what they wait for; each checks its own condition again.
public final class ConditionLocked<Value>: @unchecked Sendable {
    private let condition = NSCondition()
    private var value: Value

    public init(_ value: sending Value) { self.value = value }

    /// Runs `body` on the value, holding the lock, then wakes the waiters.
    public func withLock<Result, Failure: Error>(
        _ body: (inout sending Value) throws(Failure) -> sending Result
    ) throws(Failure) -> sending Result {
        condition.lock()
        defer { condition.broadcast(); condition.unlock() }
        return try body(&value)
    }

    /// Waits until `ready` holds for the value, then runs `body` on it, as
    /// `withLock`. `ready` is checked under the lock after every change.
    public func withLock<Result, Failure: Error>(
        when ready: (Value) -> Bool,
        _ body: (inout sending Value) throws(Failure) -> sending Result
    ) throws(Failure) -> sending Result {
        condition.lock()
        defer { condition.broadcast(); condition.unlock() }
        while !ready(value) { condition.wait() }
        return try body(&value)
    }
}
