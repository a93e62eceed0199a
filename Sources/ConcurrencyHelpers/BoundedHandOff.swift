/// A bounded hand-off from one producer thread to one consumer: the
/// producer fills the next item while the consumer works on the last, and
/// waits when `capacity` items are waiting (back-pressure), so memory in
/// flight stays bounded. Rating uses it between the thread that rates calls
/// and the one that sends them to COPY, so the server is not left waiting.
public final class BoundedHandOff<Item: Sendable>: Sendable {
    private struct State {
        var items: [Item] = []
        var finished = false, cancelled = false
        /// Why the producer stopped early, given to the consumer after the items before it.
        var failure: (any Error)?
    }
    private let state = ConditionLocked(State())
    private let capacity: Int

    public init(capacity: Int) { self.capacity = capacity }

    /// Blocks while full; returns false once the consumer has gone.
    public func put(_ item: Item) -> Bool {
        state.withLock(when: { $0.items.count < capacity || $0.cancelled }) { s in
            if s.cancelled { return false }
            s.items.append(item)
            return true
        }
    }

    /// The producer has put its last item. Once finished, a later `finish` changes nothing.
    public func finish() {
        state.withLock { $0.finished = true }
    }

    /// The producer stopped early, with `error`: `next` throws it once the
    /// items put before it were taken. Ignored when already finished.
    public func finish(throwing error: any Error) {
        state.withLock { s in
            guard !s.finished else { return }
            s.finished = true
            s.failure = error
        }
    }

    /// The consumer stops early: wakes a producer blocked in `put`.
    public func cancel() {
        state.withLock { s in
            s.cancelled = true
            s.items.removeAll()
        }
    }

    /// The next item, or nil when the producer has finished and all were taken.
    public func take() -> Item? {
        state.withLock(when: { !$0.items.isEmpty || $0.finished }) { s in
            s.items.isEmpty ? nil : s.items.removeFirst()
        }
    }

    /// As `take`, but throws the error the producer finished with
    /// (`finish(throwing:)`) where `take` returns nil.
    public func next() throws -> Item? {
        try state.withLock(when: { !$0.items.isEmpty || $0.finished }) { s in
            if !s.items.isEmpty { return s.items.removeFirst() }
            if let failure = s.failure { throw failure }
            return nil
        }
    }
}
