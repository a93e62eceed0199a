import Foundation

/// Runs a producer on a thread of its own while the calling thread
/// consumes what it makes, then joins it: the producer's result, or its
/// error, comes back to the caller, so no box has to carry it across.
///
/// The producer closure is `sending`: whatever it captures goes to the new
/// thread and is not used by the caller meanwhile, which the compiler
/// checks. What the two threads share (a `BoundedHandOff`, a `Locked`) must
/// be Sendable. Its result is not `sending`: it may be (or hold) what the
/// closure captured, such as the state the producer built up, which comes
/// back to the caller at the join, after the producer's thread let go of it.
public enum ProducerThread {
    /// Runs `produce` on a new thread and `consume` on this one, and waits
    /// for both. A `consume` error wins, since the consumer usually fails
    /// first and the producer then stops because it has gone; otherwise a
    /// `produce` error; otherwise both results.
    ///
    /// `consume` must not return while `produce` waits for it (on a full
    /// hand-off, say), or the join waits forever: `run(through:)` handles
    /// that for a `BoundedHandOff`.
    public static func run<P, C>(
        produce: sending @escaping () throws -> P,
        consume: () throws -> C
    ) throws -> (P, C) {
        let job = Job(produce)
        Thread { job.run() }.start()
        let consumed = Result { try consume() }
        let produced = job.join()
        let c = try consumed.get() // first: its error wins
        return (try produced.get(), c)
    }

    /// `run` with the two ends of a hand-off: when `produce` returns, the
    /// hand-off is finished; when it throws, finished with its error (which
    /// the consumer's `next` throws after the items before it); when
    /// `consume` ends, cancelled, so a producer blocked in `put` is let go
    /// before the join. `produce` may finish the hand-off itself earlier,
    /// to let the consumer end while it does more; its error after that
    /// comes back at the join only.
    public static func run<P, C, Item>(
        through handOff: BoundedHandOff<Item>,
        produce: sending @escaping () throws -> P,
        consume: () throws -> C
    ) throws -> (P, C) {
        try run(produce: { () throws -> P in
            do {
                let p = try produce()
                handOff.finish()
                return p
            } catch {
                handOff.finish(throwing: error)
                throw error
            }
        }, consume: {
            defer { handOff.cancel() }
            return try consume()
        })
    }

    /// The producer's closure and, once it ran, its result: handed to the
    /// new thread whole and read back only after `done`, so never by two
    /// threads at once.
    private final class Job<P>: @unchecked Sendable {
        private var produce: (() throws -> P)?
        private var result: Result<P, any Error>?
        private let done = DispatchSemaphore(value: 0)

        init(_ produce: sending @escaping () throws -> P) { self.produce = produce }

        /// On the producer's thread.
        func run() {
            do {
                let body = produce.take()!
                result = Result { try body() }
            } // the closure and what it captured are let go before the caller goes on
            done.signal()
        }

        /// On the caller's thread: waits for `run` to end.
        func join() -> Result<P, any Error> {
            done.wait()
            return result.take()!
        }
    }
}
